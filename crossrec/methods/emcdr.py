"""Embedding and mapping (EMCDR)."""

from __future__ import annotations

from dataclasses import dataclass

from crossrec.methods.base import adam
from crossrec.methods.plan import Phase
from crossrec.methods.settings import CommonSettings, setting
from crossrec.methods.embed_map import EmbedThenMap
from crossrec.models.mf import MLP
from crossrec.tensors.sampling import user_batches


@dataclass
class EMCDRSettings(CommonSettings):
    map_epochs: int = setting(150, "maximum epochs of the mapping phase", 1, 10_000)
    map_lr: float = setting(0.005, "Adam learning rate of the mapping MLP", 1e-6, 1.0)
    map_hidden: int = setting(128, "hidden units of the mapping MLP", 4, 4096)
    map_batch_size: int = setting(256, "overlapping users per mapping step", 8, 100_000)


class EMCDR(EmbedThenMap):
    """EMCDR: latent factors per domain, then an MLP f mapping source to target user vectors.

    Man, Shen, Jin & Cheng. Cross-Domain Recommendation: An Embedding and Mapping Approach.
    IJCAI 2017. Phases: BPR-MF on S, BPR-MF on T, then min Σ_{u∈overlap} ||f(p_u^S) - p_u^T||²
    over overlapping warm users; a cold user is scored with f(p_u^S).
    """

    name = "emcdr"
    family = "embedding mapping"
    summary = ("Factorises each domain separately, then learns an MLP that maps a user's source\n"
               "vector to their target vector on shared users; cold users are scored by the map.")
    paper = "Man et al. Cross-Domain Recommendation: An Embedding and Mapping Approach. IJCAI 2017"
    loss_latex = (r"\min_f \sum_{u \in \mathcal{U}_{S \cap T}} \left\| f(p_u^S) - p_u^T \right\|_2^2"
                  r"\quad\text{after}\quad P^S, P^T = \text{BPR-MF}(\mathcal{D}_S), \text{BPR-MF}(\mathcal{D}_T)")
    Settings = EMCDRSettings
    phases = ("source", "target", "map")  # the phase names of its default plan (the card)

    def build(self, data, generator):
        model = super().build(data, generator)
        model["bridge"] = MLP([self.settings.dim, self.settings.map_hidden, self.settings.dim])
        return model

    def bridge_phase(self):
        s = self.settings
        return Phase("map", batches=lambda g: user_batches(self.data_.overlap_warm_users(), s.map_batch_size, g),
                     step=self._map_step,
                     optimizers=lambda: [adam(self.model_["bridge"].parameters(), lr=s.map_lr)],
                     epochs=s.map_epochs, select="cold", aligns=True)

    def mapped(self, users):
        return self.model_["bridge"](self.model_["source"].users(users))

    def _map_step(self, batch):
        target = self.model_["target"].users(batch).detach()
        source = self.model_["source"].users(batch).detach()
        mse = ((self.model_["bridge"](source) - target) ** 2).sum(dim=1).mean()
        return {"loss": mse, "map_mse": mse}
