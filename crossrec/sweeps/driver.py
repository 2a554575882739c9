"""Sweep state and its driver. A sweep is a row of the store; its Optuna study lives in
`optuna.sqlite` beside the store (Optuna keeps its own schema there). Whichever scheduler is
alive drives it (under a file lock): it tells Optuna how finished trials did, prunes running
trials whose validation curve lags (Optuna's median pruner), and asks for new trials while the
sweep has trials left and the worker has room. Each trial is a run; selection uses validation
NDCG@10 of all validation users only.
"""

from __future__ import annotations

import fcntl
import functools
import math
from contextlib import contextmanager

from crossrec.data.catalog import is_synthetic, synthetic_settings
from crossrec.errors import SettingError
from crossrec.runs.artifacts import ArtifactStore
from crossrec.runs.store import ACTIVE, RunStore, new_sweep_id
from crossrec.sweeps.space import check_space

OBJECTIVE = "ndcg@10"
MAX_TRIALS = 10_000  # a sweep's ceiling: a typo of extra zeros must not keep a worker busy for ever
SAMPLERS = ("tpe", "random", "grid")


def objective(run: dict) -> float | None:
    """The validation value a trial is judged by (None before it is done)."""
    valid = ((run.get("summary") or {}).get("valid_groups") or {}).get("all") or {}
    return valid.get(OBJECTIVE)


def study_storage(store: RunStore):
    """The Optuna storage of a home, made once per process (the driver asks every second)."""
    return _storage_at(str(store.home / "optuna.sqlite"))


@functools.lru_cache(maxsize=8)
def _storage_at(path: str):
    import optuna
    return optuna.storages.RDBStorage(f"sqlite:///{path}", engine_kwargs={"connect_args": {"timeout": 30}})


def _distributions(space: dict) -> dict:
    import optuna.distributions as d
    out = {}
    for name, spec in space.items():
        if spec["kind"] == "float":
            out[name] = d.FloatDistribution(spec["low"], spec["high"], log=spec["log"])
        elif spec["kind"] == "int":
            out[name] = d.IntDistribution(spec["low"], spec["high"], log=spec["log"])
        elif spec["kind"] == "choice":
            out[name] = d.CategoricalDistribution(spec["choices"])
    return out


def _sampler(sweep: dict, n_trials: int):
    """The sampler, seeded per ask: a study is reloaded each step, so a fixed seed alone would
    repeat its first suggestion; sampler seed and trial count together stay reproducible."""
    import optuna
    seed = (sweep["sampler_seed"] * 1_000_003 + n_trials) % 2**32
    if sweep["sampler"] == "random":
        return optuna.samplers.RandomSampler(seed=seed)
    if sweep["sampler"] == "grid":
        # The grid sampler shuffles its grid with the seed and names points by their index in it:
        # the seed must stay the same at every reload, or two trials get one point.
        grid = {n: s["choices"] for n, s in sweep["space"].items() if s["kind"] == "choice"}
        return optuna.samplers.GridSampler(grid, seed=sweep["sampler_seed"])
    return optuna.samplers.TPESampler(seed=seed)


def _study(store: RunStore, sweep: dict):
    import optuna
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    pruner = optuna.pruners.MedianPruner(n_startup_trials=2, n_warmup_steps=2) if sweep["prune"] \
        else optuna.pruners.NopPruner()
    storage = study_storage(store)
    n_trials = len(storage.get_all_trials(storage.get_study_id_from_name(sweep["id"]), deepcopy=False))
    return optuna.load_study(study_name=sweep["id"], storage=storage, sampler=_sampler(sweep, n_trials),
                             pruner=pruner)


def default_params(space: dict, defaults: dict, knobs: dict) -> dict:
    """The first trial: every searched key at its default (clamped into its range)."""
    params = {}
    for name, spec in space.items():
        if spec["kind"] == "fixed":
            continue
        value = (knobs if spec["target"] == "knob" else defaults).get(name)
        if spec["kind"] == "choice":
            params[name] = value if value in spec["choices"] else spec["choices"][0]
        else:
            params[name] = min(max(value, spec["low"]), spec["high"])
    return params


def create_sweep(store: RunStore, card: dict, pair: dict, space: dict, trials: int, sampler: str,
                 prune: bool, sampler_seed: int, seed: int, device: str = "auto", owner: str = "",
                 cap: int | None = None) -> str:
    """Store the sweep and its study; the defaults are enqueued as trial 0. `cap`: refused
    (storing nothing) when its owner already holds that many queued or running runs."""
    import optuna
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    check_space(card["settings"], space)
    if sampler not in SAMPLERS:
        raise SettingError(f"unknown sampler {sampler!r}; use {', '.join(SAMPLERS)}")
    if sampler == "grid" and any(s["kind"] in ("float", "int") for s in space.values()):
        raise SettingError("the grid sampler needs lists (key=a,b,c), not ranges")
    if not any(s["kind"] != "fixed" for s in space.values()):
        raise SettingError("nothing to search: every key of the space is fixed")
    if not 1 <= trials <= MAX_TRIALS:
        raise SettingError(f"--trials must be between 1 and {MAX_TRIALS:,}, got {trials:,}")
    store.check_cap(owner, cap)  # before the study is written
    sweep_id = new_sweep_id()  # the study first: a worker may drive the sweep as soon as its row exists
    study = optuna.create_study(study_name=sweep_id, storage=study_storage(store), direction="maximize")
    defaults = {r["name"]: r["default"] for r in card["settings"]}
    knobs = _knobs(pair)
    if sampler != "grid":  # a grid is the user's explicit values; the defaults may lie off it
        study.enqueue_trial(default_params(space, defaults, knobs), skip_if_exists=True)
    store.create_sweep(pair, card["name"], space, trials, sampler, prune, sampler_seed, seed, device,
                       sweep_id=sweep_id, owner=owner, cap=cap)
    _keep_record(store, sweep_id)
    return sweep_id


def _keep_record(store: RunStore, sweep_id: str) -> None:
    """The sweep's row beside the run folders, so `recover` restores it with its runs."""
    ArtifactStore(store.home / "artifacts").save_sweep_record(store.get_sweep(sweep_id))


def _finish(store: RunStore, sweep_id: str, status: str, **fields) -> None:
    store.finish_sweep(sweep_id, status, **fields)
    _keep_record(store, sweep_id)


def _knobs(pair: dict) -> dict:
    name = pair.get("catalog", "")
    if not is_synthetic(pair):
        return {}
    s = synthetic_settings(name)
    return {k: getattr(s, k) for k in s.RANGES}


def trial_request(sweep: dict, params: dict) -> tuple[dict, dict]:
    """(pair reference, settings) of a trial: knobs go into the synthetic pair's name."""
    settings, knobs = {}, {}
    for name, spec in sweep["space"].items():
        value = spec["value"] if spec["kind"] == "fixed" else params[name]
        (knobs if spec["target"] == "knob" else settings)[name] = value
    pair = dict(sweep["pair"])
    if knobs:
        base, _, given = pair["catalog"].partition(":")
        merged = dict(p.split("=") for p in given.split(",") if p) | {k: str(v) for k, v in knobs.items()}
        pair["catalog"] = base + ":" + ",".join(f"{k}={v}" for k, v in sorted(merged.items()))
    return pair, settings


@contextmanager
def _driving(store: RunStore):
    with open(store.home / "sweeps.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def drive(store: RunStore, slots: int, launch=None, sweep_ids: list[str] | None = None) -> None:
    """One step of every running sweep (of `sweep_ids`, when given); the scheduler calls this
    about once a second. `launch(pair, method, settings, **fields)` queues a trial's run
    (default: `store.create_run`, a queued run for the local worker)."""
    running = [s for s in store.list_sweeps(("running",)) if sweep_ids is None or s["id"] in sweep_ids]
    if not running:
        return
    with _driving(store):
        for sweep in running:
            try:
                _step(store, store.get_sweep(sweep["id"]), slots, launch or store.create_run)
            except Exception as err:  # noqa: BLE001 - a broken sweep must not stop the worker
                _finish(store, sweep["id"], "failed", error=f"{type(err).__name__}: {err}".splitlines()[0])


def _tell(study, *args, **kwargs) -> None:
    """study.tell, where an exhausted grid's `study.stop()` (meant for `optimize`) is not an
    error: the trial is recorded first, and the sweep ends by its own trial count."""
    try:
        study.tell(*args, **kwargs)
    except RuntimeError as err:
        if "Study.stop" not in str(err):
            raise


def _report_curve(store: RunStore, live, reported: dict, run: dict) -> list[float]:
    """Report the run's validation curve (one value per epoch) to its live Optuna trial, the
    epochs not in `reported` yet; returns the curve."""
    curve = [m["value"] for m in store.metrics(run["id"]) if m["name"] == f"valid_{OBJECTIVE}"]
    for step, value in enumerate(curve):
        if step not in reported:
            live.report(value, step)
    return curve


def _step(store: RunStore, sweep: dict, slots: int, launch) -> None:
    import optuna
    from optuna.trial import TrialState
    if sweep["status"] != "running":
        return
    study = _study(store, sweep)
    trials = {t.number: t for t in study.get_trials(deepcopy=False)}
    runs = store.sweep_runs(sweep["id"])
    for run in runs:
        trial = trials.get(run["trial"])
        if trial is None or trial.state != TrialState.RUNNING:
            continue
        # the whole curve, also of a run that finished between two ticks: the median pruner
        # compares a running trial with finished trials at the same epoch
        live = optuna.trial.Trial(study, trial._trial_id) if sweep["prune"] else None
        curve = _report_curve(store, live, trial.intermediate_values, run) if live is not None else []
        if run["status"] == "done":
            value = objective(run)
            _tell(study, trial.number, value if value is not None and math.isfinite(value) else None,
                       state=None if value is not None else TrialState.FAIL)
        elif run["status"] in ("failed", "cancelled"):
            _tell(study, trial.number, state=TrialState.FAIL)
        elif run["status"] == "pruned":
            _tell(study, trial.number, state=TrialState.PRUNED)
        elif run["status"] == "running" and curve and live.should_prune():
            store.request_prune(run["id"])
    active = sum(r["status"] in ACTIVE for r in runs)
    distributions = _distributions(sweep["space"])
    while len(runs) < sweep["trials"] and active < slots:
        trial = study.ask(distributions)
        pair, settings = trial_request(sweep, trial.params)
        run_id = launch(pair, sweep["method"], settings, seed=sweep["seed"], device=sweep["device"],
                        sweep_id=sweep["id"], trial=trial.number, owner=sweep.get("owner") or "")
        runs.append(store.get_run(run_id))
        active += 1
    if len(runs) >= sweep["trials"] and not any(r["status"] in ACTIVE for r in runs):
        done = [r for r in runs if r["status"] == "done" and objective(r) is not None]
        best = max(done, key=objective)["id"] if done else None
        _finish(store, sweep["id"], "done" if best else "failed", best_run=best,
                           error=None if best else "no trial finished")


def sweep_report(store: RunStore, sweep_id: str) -> dict:
    """Trials with their settings and validation metrics; the best with its test metrics (shown
    once the sweep is done: selection never looks at test data)."""
    sweep = store.get_sweep(sweep_id)
    runs = store.sweep_runs(sweep_id)
    valid = lambda r: ((r.get("summary") or {}).get("valid_groups") or {}).get("all") or {}  # noqa: E731
    trials = [{"run_id": r["id"], "trial": r["trial"], "status": r["status"], "pair": r["pair"],
               "settings": r["settings"], "valid": valid(r)} for r in runs]
    best = next((r for r in runs if r["id"] == sweep["best_run"]), None)
    return {"sweep_id": sweep_id, "status": sweep["status"], "method": sweep["method"],
            "space": sweep["space"], "trials": trials, "error": sweep["error"],
            "best": None if best is None else {"run_id": best["id"], "pair": best["pair"],
                                               "settings": best["settings"], "valid": valid(best),
                                               "test": best["metrics"] if sweep["status"] == "done" else None}}
