"""A method's training as data: a plan is a list of `Phase` records that the trainer walks.

A phase names its batches, its step (named losses, 'loss' is minimised), how to build its
optimisers, its epoch cap and which validation users select its best epoch. Methods build their
plan from bound methods and lambdas that read `method.data_` only when called, so a plan (and
so a method card) exists before `setup`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Callable, Iterable


@dataclass(frozen=True)
class Phase:
    name: str
    batches: Callable[[Any], Iterable]          # generator -> the batches of one epoch
    step: Callable[[Any], dict]                 # batch -> named losses; 'loss' is minimised
    optimizers: Callable[[], list] | None       # built when the phase starts; None: `step` updates itself
    epochs: int
    select: str | None = "all"                  # validation group choosing the best epoch; None: keep the last
    aligns: bool = False                        # embeddings "before alignment" are taken when it starts
    on_start: Callable[[], None] | None = None
    on_end: Callable[[], None] | None = None    # runs after the best state of the phase is restored
    after_step: Callable[[], None] | None = None
    scorer: Callable | None = None              # users -> scores for validation (default: method.score)
    summed: tuple[str, ...] = ()                # losses that are sums over the batch's rows (curves show them per row)

    def but(self, **changes) -> "Phase":
        """A copy with some fields changed (e.g. a teacher's phase renamed inside a student's plan)."""
        return dataclasses.replace(self, **changes)
