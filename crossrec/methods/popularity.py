"""Most-popular baseline."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from crossrec.methods.base import Method
from crossrec.methods.settings import CommonSettings


@dataclass
class PopularitySettings(CommonSettings):
    pass


class Popularity(Method):
    """Rank target items by their number of training interactions, the same list for everyone.

    The yardstick every personalised method must beat (e.g. Cremonesi et al., RecSys 2010).
    """

    name = "popularity"
    family = "baseline"
    summary = ("Ranks target items by how often they were bought in training; same list for all.\n"
               "The yardstick: a cold user with no target history gets exactly this.")
    paper = "Cremonesi, Koren & Turrin. Performance of recommender algorithms on top-N tasks. RecSys 2010"
    loss_latex = r"s_{u,i} = \left|\{v : (v,i) \in \mathcal{D}_T^{train}\}\right|"
    Settings = PopularitySettings
    phases = ()  # the phase names of its default plan (the card)
    needs_overlap = False

    def build(self, data, generator):
        model = nn.Module()
        model.register_buffer("counts", torch.bincount(data.target_items, minlength=data.n_target_items).float())
        return model

    def score(self, users):
        return self.model_.counts.repeat(users.numel(), 1)

    def sizes(self):
        return {"parameters": 0}
