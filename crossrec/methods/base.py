"""The method contract (DESIGN §3) and typed settings.

A method is one class with a settings dataclass, `phases`, and
`setup / batches / training_step / optimizers / score / embeddings`. The constructor only
stores settings (scikit-learn's rule); everything fitted ends in `_`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, ClassVar, Iterator

import numpy as np
import torch
from torch import nn

from crossrec.data.errors import SettingError
from crossrec.train.tensors import PairTensors


def setting(default, help: str, low=None, high=None, choices=None):
    """A settings field with its one-line help and valid range (drives CLI, form and checks)."""
    return field(default=default, metadata={"help": help, "low": low, "high": high,
                                            "choices": choices})


@dataclass
class CommonSettings:
    """Settings every method accepts."""

    dim: int = setting(128, "embedding dimension", 2, 1024)
    epochs: int = setting(100, "maximum epochs per training phase", 1, 10_000)
    lr: float = setting(0.05, "learning rate", 1e-6, 10.0)
    batch_size: int = setting(4096, "interactions (or users) per step", 8, 1_000_000)
    weight_decay: float = setting(0.005, "L2 penalty on the parameters a step touches", 0.0, 10.0)
    patience: int = setting(10, "epochs without validation NDCG@10 gain before stopping", 1, 1000)


def settings_schema(cls) -> list[dict]:
    """name, type, default, help, low, high, choices for each field of a settings dataclass."""
    rows = []
    for f in dataclasses.fields(cls):
        kind = f.type if isinstance(f.type, str) else f.type.__name__
        rows.append({"name": f.name, "type": kind, "default": f.default, **f.metadata})
    return rows


def _coerce(value: Any, kind: str, name: str):
    if kind == "bool":
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in ("1", "true", "yes", "on"):
            return True
        if text in ("0", "false", "no", "off"):
            return False
        raise SettingError(f"setting {name}={value!r} is not a boolean (true/false)")
    if kind == "int":
        if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
            raise SettingError(f"setting {name}={value!r} is not an integer")
        try:
            return int(str(value).strip()) if not isinstance(value, (int, float)) else int(value)
        except ValueError:
            raise SettingError(f"setting {name}={value!r} is not an integer") from None
    if kind == "float":
        try:
            return float(value)
        except (TypeError, ValueError):
            raise SettingError(f"setting {name}={value!r} is not a number") from None
    return str(value)


def make_settings(cls, values: dict | None = None, method: str = "method"):
    """Build a settings instance from a dict (strings allowed); unknown keys and bad values raise."""
    values = dict(values or {})
    schema = {row["name"]: row for row in settings_schema(cls)}
    unknown = sorted(set(values) - set(schema))
    if unknown:
        raise SettingError(f"unknown setting {unknown[0]!r} for method {method}; settings: "
                           f"{', '.join(schema)}")
    typed = {}
    for name, value in values.items():
        row = schema[name]
        v = _coerce(value, row["type"], name)
        if row["choices"] and v not in row["choices"]:
            raise SettingError(f"setting {name}={v!r} must be one of {', '.join(map(str, row['choices']))}")
        if row["low"] is not None and not (row["low"] <= v <= row["high"]):
            raise SettingError(f"setting {name}={v} is out of range [{row['low']}, {row['high']}]")
        typed[name] = v
    return cls(**typed)


def parse_assignments(pairs: list[str]) -> dict[str, str]:
    """['dim=64', 'lr=0.01'] -> {'dim': '64', 'lr': '0.01'}."""
    out = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise SettingError(f"--set expects key=value, got {pair!r}")
        out[key.strip()] = value.strip()
    return out


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
