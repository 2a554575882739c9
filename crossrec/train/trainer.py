"""The training loop: a method's plan of phases -> epochs -> steps, with events, early stopping and a final test.

Callbacks are plain callables `callback(event, payload)`. Events:
  start      {phases, epochs, device}
  phase      {phase}
  steps      {phase, epoch, rows: [(step, {name: value}), ...]}   (flushed about twice a second)
  epoch      {phase, epoch, seconds, progress}
  validation {phase, epoch, metrics}
  embeddings {stage: "before"|"after", vectors}
A callback may raise to stop training (the worker does so on cancel).
"""

from __future__ import annotations

import copy
import math
import time
from dataclasses import dataclass, field

import torch

from crossrec.data.pair import DomainPair
from crossrec.eval.explain import top_lists
from crossrec.eval.protocol import SAMPLED_NOTE, evaluate, evaluate_per_user, parse_mode, summarize
from crossrec.methods.base import Method
from crossrec.methods.plan import Phase
from crossrec.train.device import pick_device
from crossrec.train.seeding import seed_everything
from crossrec.train.threads import choose_threads
from crossrec.tensors.pair_tensors import PairTensors
from crossrec.tensors.sampling import batch_rows

FLUSH_SECONDS = 0.5
SELECT_METRIC = "ndcg@10"


def at_cap(best_epoch: int, cap: int) -> bool:
    """A best validation epoch in the last 10% of the epoch cap: likely still improving when stopped."""
    return best_epoch > 0.9 * cap


class TrainingDiverged(RuntimeError):
    """A loss became NaN or infinite."""


@dataclass
class TrainResult:
    metrics: dict                 # test metrics per group: {"cold": {...}, "warm": {...}}
    valid: dict                   # validation metrics of the selected state
    best_epoch: int
    train_seconds: float
    eval: str
    device: str
    sizes: dict
    embeddings_before: dict = field(repr=False, default_factory=dict)
    embeddings_after: dict = field(repr=False, default_factory=dict)
    notes: list = field(default_factory=list)
    per_user: dict = field(repr=False, default_factory=dict)   # test metrics of every test user
    at_cap: list = field(default_factory=list)  # phases whose best epoch was in the last 10% of their cap
    threads: list = field(default_factory=list)  # CPU threads chosen at the start of each phase
    valid_groups: dict = field(default_factory=dict)          # final validation metrics, cold and warm
    top_lists: dict = field(repr=False, default_factory=dict)  # each test user's top-K and held-out ranks


def train_step(phase: Phase, batch, optimizers) -> dict:
    """One optimisation step: named losses, backward on 'loss', every optimiser steps.
    A phase without optimisers updates its parameters inside its own step."""
    losses = phase.step(batch)
    if phase.optimizers is not None:
        for opt in optimizers:
            opt.zero_grad(set_to_none=True)
        losses["loss"].backward()
        for opt in optimizers:
            opt.step()
    if phase.after_step is not None:
        phase.after_step()
    return losses


class Trainer:
    def __init__(self, method: Method, pair: DomainPair, device: str = "auto", seed: int = 0,
                 eval_mode: str = "full", callbacks=()):
        parse_mode(eval_mode)  # fail before any work (a run request was checked the same way)
        self.method, self.pair, self.seed, self.eval_mode = method, pair, seed, eval_mode
        self.device = pick_device(device)
        self.callbacks = list(callbacks)

    def _emit(self, event: str, **payload) -> None:
        for callback in self.callbacks:
            callback(event, payload)

    def _flush(self, phase: Phase, epoch, pending) -> None:
        """Emit the pending steps' losses; a loss the phase sums over its batch's rows is shown
        per row, so an epoch's last, smaller batch does not dip the curve."""
        if not pending:
            return
        names = list(pending[0][1])
        values = torch.stack([torch.stack([losses[n].detach().float() for n in names])
                              for _, losses, _ in pending]).cpu().tolist()
        rows = []
        for (step, _, n_rows), vals in zip(pending, values):
            bad = [n for n, v in zip(names, vals) if not math.isfinite(v)]
            if bad:
                kind = "NaN" if any(math.isnan(v) for v in vals) else "infinite"
                raise TrainingDiverged(f"loss became {kind} at epoch {epoch}, step {step} "
                                       f"({bad[0]}); try a smaller lr")
            rows.append((step, {n: v / n_rows if n in phase.summed else v for n, v in zip(names, vals)}))
        pending.clear()
        self._emit("steps", phase=phase.name, epoch=epoch, rows=rows)

    def _validate(self, phase: Phase, group: str) -> dict:
        self.method.model_.eval()
        scorer = phase.scorer or self.method.score
        result = evaluate(scorer, self.data, "valid", (group,), self.eval_mode)[group]
        self.method.model_.train()
        return result

    def _run_phase(self, phase: Phase, generator, done_epochs: int, total_epochs: int) -> tuple[int, dict]:
        method = self.method
        group = phase.select
        if group is not None and self.data.users_of("valid", group).numel() == 0:
            group = None  # nothing to select on (e.g. no cold validation users)
        optimizers = phase.optimizers() if phase.optimizers is not None else []
        best_score, best_epoch, best_state, best_valid, waited = -1.0, 0, None, {}, 0
        step = 0
        last_flush = 0.0  # the first step of a phase is shown at once
        for epoch in range(1, phase.epochs + 1):
            started = time.perf_counter()
            pending = []
            method.model_.train()
            for batch in phase.batches(generator):
                losses = train_step(phase, batch, optimizers)
                step += 1
                pending.append((step, losses, max(1, batch_rows(batch))))
                if time.perf_counter() - last_flush > FLUSH_SECONDS:
                    self._flush(phase, epoch, pending)
                    last_flush = time.perf_counter()
            self._flush(phase, epoch, pending)
            self._emit("epoch", phase=phase.name, epoch=epoch, seconds=time.perf_counter() - started,
                       progress=(done_epochs + epoch) / total_epochs)
            if group is None:
                continue
            valid = self._validate(phase, group)
            self._emit("validation", phase=phase.name, epoch=epoch, metrics=valid)
            if valid[SELECT_METRIC] > best_score:
                best_score, best_epoch, best_valid, waited = valid[SELECT_METRIC], epoch, valid, 0
                best_state = copy.deepcopy(method.model_.state_dict())
            else:
                waited += 1
                if waited >= method.settings.patience:
                    break
        if best_state is not None:
            method.model_.load_state_dict(best_state)
        if phase.on_end is not None:
            phase.on_end()
        if group is not None and at_cap(best_epoch, phase.epochs):
            self.at_cap.append(phase.name)
        return (best_epoch or phase.epochs), best_valid

    def _snapshot(self) -> dict:
        """The method's user vectors, computed in eval mode (no dropout, no sampling)."""
        self.method.model_.eval()
        with torch.no_grad():
            vectors = self.method.embeddings()
        self.method.model_.train()
        return vectors

    def fit(self) -> TrainResult:
        method = self.method
        generator = seed_everything(self.seed, self.device)
        started = time.perf_counter()
        self.data = PairTensors(self.pair, self.device)
        if method.needs_overlap:
            self.pair.require_overlap(f"method {method.name}")
        self.pair.require_test_users()
        method.setup(self.data, generator)
        plan = method.plan()
        self.at_cap: list[str] = []
        self.threads: list[int] = []
        total = max(1, sum(phase.epochs for phase in plan))
        self._emit("start", phases=[phase.name for phase in plan], epochs=total, device=str(self.device))
        # "Before alignment" is the start of training, or of the method's aligning phase.
        before = {} if any(phase.aligns for phase in plan) else self._snapshot()
        done, best_epoch, valid = 0, 0, {}
        for phase in plan:
            if phase.aligns:
                before = self._snapshot()
            if self.device.type == "cpu":  # threads that fit the machine as it is now
                threads = choose_threads(busy_with_self=torch.get_num_threads() if done else 0.0)
                torch.set_num_threads(threads)
                self.threads.append(threads)
            self._emit("phase", phase=phase.name)
            if phase.on_start is not None:
                phase.on_start()
            epoch, phase_valid = self._run_phase(phase, generator, done, total)
            done += phase.epochs
            if phase_valid:
                best_epoch, valid = epoch, phase_valid
        if before:
            self._emit("embeddings", stage="before", vectors=before)
        method.model_.eval()
        train_seconds = time.perf_counter() - started
        per_user = evaluate_per_user(method.score, self.data, "test", ("cold", "warm"), self.eval_mode)
        metrics = summarize(per_user)
        lists = top_lists(method.score, self.data, "test", ("cold", "warm"))
        # validation of the final state, per group: how baselines are chosen without test data
        valid_groups = evaluate(method.score, self.data, "valid", ("cold", "warm", "all"), self.eval_mode)
        after = self._snapshot()
        if after:
            self._emit("embeddings", stage="after", vectors=after)
        notes = [SAMPLED_NOTE] if self.eval_mode != "full" else []
        return TrainResult(metrics=metrics, valid=valid, best_epoch=best_epoch,
                           train_seconds=train_seconds, eval=self.eval_mode, device=str(self.device),
                           sizes=method.sizes(), embeddings_before=before, embeddings_after=after,
                           notes=notes, per_user=per_user, valid_groups=valid_groups, at_cap=self.at_cap,
                           threads=self.threads, top_lists=lists)
