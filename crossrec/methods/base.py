"""The method contract (DESIGN §3) and typed settings.

A method is one class with a settings dataclass, `phases`, and
`setup / batches / training_step / optimizers / score / embeddings`. The constructor only
stores settings (scikit-learn's rule); everything fitted ends in `_`.
"""

from __future__ import annotations

import dataclasses
from typing import ClassVar, Iterator

import numpy as np
import torch
from torch import nn

from crossrec.methods.settings import (CommonSettings, check_values, make_settings,  # noqa: F401
                                      parse_assignments, setting, settings_schema)
from crossrec.train.tensors import PairTensors


class Method:
    """Base class of a transfer method. Subclasses set the class attributes and override hooks."""

    name: ClassVar[str] = ""
    family: ClassVar[str] = ""
    summary: ClassVar[str] = ""      # two short lines: what it does, why it transfers
    paper: ClassVar[str] = ""
    loss_latex: ClassVar[str] = ""   # the objective, for st.latex
    Settings: ClassVar[type] = CommonSettings
    phases: ClassVar[tuple[str, ...]] = ("target",)
    needs_overlap: ClassVar[bool] = True
    alignment_phase: ClassVar[str | None] = None  # embeddings "before" are taken when it starts

    def __init__(self, settings=None, **overrides):
        if settings is None or isinstance(settings, dict):
            settings = make_settings(self.Settings, {**(settings or {}), **overrides}, self.name)
        elif overrides:
            settings = dataclasses.replace(settings, **overrides)
        self.settings = settings

    # --- lifecycle -------------------------------------------------------------------------
    def setup(self, data: PairTensors, generator: torch.Generator) -> None:
        """Build `self.model_` (an nn.Module holding every parameter) on `data.device`."""
        raise NotImplementedError

    def batches(self, phase: str, generator: torch.Generator) -> Iterator:
        """The batches of one epoch of `phase`."""
        raise NotImplementedError

    def training_step(self, batch, phase: str) -> dict[str, torch.Tensor]:
        """Named losses; 'loss' is minimised, the others are logged as their own curves."""
        raise NotImplementedError

    def optimizers(self, phase: str) -> list[torch.optim.Optimizer]:
        raise NotImplementedError

    def start_phase(self, phase: str) -> None:
        """Hook when a phase starts."""

    def after_step(self, phase: str) -> None:
        """Hook after the optimiser step (e.g. schedules)."""

    def end_phase(self, phase: str) -> None:
        """Hook when a phase ends (the best state of the phase is already restored)."""

    def epochs_for(self, phase: str) -> int:
        return self.settings.epochs

    def validation_group(self, phase: str) -> str | None:
        """Which validation users select the best epoch of `phase` (None: no early stopping)."""
        return "all"

    # --- use -------------------------------------------------------------------------------
    def score(self, users: torch.Tensor) -> torch.Tensor:
        """Scores [len(users), n_target_items] of every target item, as a new tensor
        (the evaluator masks it in place)."""
        raise NotImplementedError

    def embeddings(self) -> dict[str, np.ndarray]:
        """User vectors: 'source' and 'target' representations (and 'aligned' where it aligns)."""
        return {}

    def sizes(self) -> dict[str, int]:
        """Parameter counts, reported with the run."""
        return {"parameters": sum(p.numel() for p in self.model_.parameters())}


# --- helpers shared by methods ---------------------------------------------------------------

def sgd_and_adam(model: nn.Module, lr_sparse: float, lr_dense: float) -> list[torch.optim.Optimizer]:
    """Plain SGD for sparse embedding tables (BPR's update), Adam for dense layers."""
    sparse = [p for m in model.modules() if isinstance(m, nn.Embedding) and m.sparse
              for p in m.parameters(recurse=False)]
    ids = {id(p) for p in sparse}
    dense = [p for p in model.parameters() if id(p) not in ids and p.requires_grad]
    opts: list[torch.optim.Optimizer] = []
    if sparse:
        opts.append(torch.optim.SGD(sparse, lr=lr_sparse))
    if dense:
        opts.append(torch.optim.Adam(dense, lr=lr_dense))
    return opts


def to_numpy(t: torch.Tensor) -> np.ndarray:
    return t.detach().float().cpu().numpy()
