"""The method contract (docs/ARCHITECTURE.md, "The method contract").

A method is one class with a settings dataclass, `build` (its model), `plan` (its training
phases as data), `score` and `embeddings`; its card parts (name, family, summary, paper,
loss_latex, limits, phases, needs_overlap) are plain literals, read from the source for the
catalog. The constructor only stores settings
(scikit-learn's rule); everything fitted ends in `_`.
"""

from __future__ import annotations

from typing import Callable, ClassVar

import numpy as np
import torch
from torch import nn

from crossrec.methods.plan import Phase
from crossrec.methods.settings import CommonSettings
from crossrec.models.mf import MF
from crossrec.tensors.pair_tensors import PairTensors
from crossrec.tensors.sampling import bpr_triples


class Method:
    """Base class of a transfer method. Subclasses set the class attributes, `build` their model
    and describe their training as a `plan` of phases."""

    name: ClassVar[str] = ""
    family: ClassVar[str] = ""
    summary: ClassVar[str] = ""      # two short lines: what it does, why it transfers
    paper: ClassVar[str] = ""
    loss_latex: ClassVar[str] = ""   # the objective, for st.latex
    limits: ClassVar[str] = ""       # where it has not helped, as measured in docs/RESULTS.md, and why
    Settings: ClassVar[type] = CommonSettings
    phases: ClassVar[tuple] = ()     # the phase names of the default plan (read for the card)
    needs_overlap: ClassVar[bool] = True

    def __init__(self, settings=None):
        """Only stores the settings (a `Settings` instance, or a dict of typed values that
        `validate_request` checked): checking belongs to the request, not the constructor."""
        self.settings = settings if isinstance(settings, self.Settings) else self.Settings(**(settings or {}))

    # --- lifecycle -------------------------------------------------------------------------
    def setup(self, data: PairTensors, generator: torch.Generator) -> None:
        """Keep the run's data and build the model on `data.device`."""
        self.data_ = data
        self.model_ = self.build(data, generator)

    def build(self, data: PairTensors, generator: torch.Generator) -> nn.Module:
        """An nn.Module holding every parameter (and buffer) of the method."""
        raise NotImplementedError

    def plan(self) -> list[Phase]:
        """The training phases, in order (none for a method that only counts)."""
        return []

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

def adam(params, lr: float, weight_decay: float = 0.0) -> torch.optim.Optimizer:
    """torch's Adam, fused into one kernel per step where this torch has it for the parameters'
    device (CPU since torch 2.4): the same update as the per-tensor loop, a fraction of the time
    over large tables."""
    params = list(params)
    try:
        return torch.optim.Adam(params, lr=lr, weight_decay=weight_decay, fused=True)
    except RuntimeError:  # an older torch without a fused CPU Adam
        return torch.optim.Adam(params, lr=lr, weight_decay=weight_decay, foreach=True)


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
        opts.append(adam(dense, lr=lr_dense))
    return opts


def to_numpy(t: torch.Tensor) -> np.ndarray:
    return t.detach().float().cpu().numpy()


def bpr_phase(method: Method, name: str, mf: Callable[[], MF], domain: str, select: str | None,
              negatives: int = 1) -> Phase:
    """BPR-MF on one domain's training rows with the MF that `mf()` returns: plain SGD on the
    embedding rows a step touches (LearnBPR), L2 on those rows, applied by the MF's written-out
    step (`MF.sgd_bpr_step`, no autograd: the phase owns its update)."""
    s = method.settings

    def batches(generator):
        users, items, seen = method.data_.rows(domain)
        return bpr_triples(users, items, seen, s.batch_size, generator, negatives)

    return Phase(name, batches=batches, step=lambda batch: mf().sgd_bpr_step(*batch, lr=s.lr, reg=s.weight_decay),
                 optimizers=None, epochs=s.epochs, select=select,
                 summed=("loss", "rec"))
