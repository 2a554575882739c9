"""Embedding and mapping (EMCDR)."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from crossrec.methods.base import CommonSettings, Method, setting, sgd_and_adam, to_numpy
from crossrec.methods.registry import register
from crossrec.models.mf import MF, MLP
from crossrec.train.sampling import bpr_triples, user_batches


@dataclass
class EMCDRSettings(CommonSettings):
    map_epochs: int = setting(150, "maximum epochs of the mapping phase", 1, 10_000)
    map_lr: float = setting(0.005, "Adam learning rate of the mapping MLP", 1e-6, 1.0)
    map_hidden: int = setting(128, "hidden units of the mapping MLP", 4, 4096)
    map_batch_size: int = setting(256, "overlapping users per mapping step", 8, 100_000)


class TwoDomainMF(Method):
    """Shared plumbing of the embed-then-map methods: one BPR-MF per domain, trained in turn."""

    def setup(self, data, generator):
        self.data_ = data
        dim = self.settings.dim
        self.model_ = nn.ModuleDict({"source": MF(data.n_users, data.n_source_items, dim),
                                     "target": MF(data.n_users, data.n_target_items, dim)})

    def batches(self, phase, generator):
        d, bs = self.data_, self.settings.batch_size
        if phase == "source":
            return bpr_triples(d.source_users, d.source_items, d.source, bs, generator)
        if phase == "target":
            return bpr_triples(d.target_users, d.target_items, d.target, bs, generator)
        return user_batches(d.overlap_warm_users(), self.settings.map_batch_size, generator)

    def training_step(self, batch, phase):
        return self.model_[phase].bpr(*batch, reg=self.settings.weight_decay)

    def optimizers(self, phase):
        if phase in ("source", "target"):
            return sgd_and_adam(self.model_[phase], self.settings.lr, self.settings.lr)
        return [torch.optim.Adam(self.model_["bridge"].parameters(), lr=self.settings.map_lr)]

    def epochs_for(self, phase):
        return self.settings.epochs if phase in ("source", "target") else self.settings.map_epochs

    def validation_group(self, phase):
        return {"source": None, "target": "warm"}.get(phase, "cold")

    def mapped(self, users: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def score(self, users):
        target = self.model_["target"]
        vectors = target.users(users)
        cold = ~self.data_.has_target[users]
        if cold.any():  # users without target history get their mapped source vector
            vectors = torch.where(cold.unsqueeze(1), self.mapped(users), vectors)
        return target.score_all(vectors)

    @torch.no_grad()
    def embeddings(self):
        users = torch.arange(self.data_.n_users, device=self.data_.device)
        return {"source": to_numpy(self.model_["source"].users.weight),
                "target": to_numpy(self.model_["target"].users.weight),
                "aligned": to_numpy(torch.cat([self.mapped(u) for u in users.split(8192)]))}


@register("emcdr")
class EMCDR(TwoDomainMF):
    """EMCDR: latent factors per domain, then an MLP f mapping source to target user vectors.

    Man, Shen, Jin & Cheng. Cross-Domain Recommendation: An Embedding and Mapping Approach.
    IJCAI 2017. Phases: BPR-MF on S, BPR-MF on T, then min Σ_{u∈overlap} ||f(p_u^S) - p_u^T||²
    over overlapping warm users; a cold user is scored with f(p_u^S).
    """

    family = "embedding mapping"
    summary = ("Factorises each domain separately, then learns an MLP that maps a user's source\n"
               "vector to their target vector on shared users; cold users are scored by the map.")
    paper = "Man et al. Cross-Domain Recommendation: An Embedding and Mapping Approach. IJCAI 2017"
    loss_latex = (r"\min_f \sum_{u \in \mathcal{U}_{S \cap T}} \left\| f(p_u^S) - p_u^T \right\|_2^2"
                  r"\quad\text{after}\quad P^S, P^T = \text{BPR-MF}(\mathcal{D}_S), \text{BPR-MF}(\mathcal{D}_T)")
    Settings = EMCDRSettings
    phases = ("source", "target", "map")
    alignment_phase = "map"

    def setup(self, data, generator):
        super().setup(data, generator)
        dim = self.settings.dim
        self.model_["bridge"] = MLP([dim, self.settings.map_hidden, dim])

    def mapped(self, users):
        return self.model_["bridge"](self.model_["source"].users(users))

    def training_step(self, batch, phase):
        if phase != "map":
            return super().training_step(batch, phase)
        target = self.model_["target"].users(batch).detach()
        source = self.model_["source"].users(batch).detach()
        mse = ((self.model_["bridge"](source) - target) ** 2).sum(dim=1).mean()
        return {"loss": mse, "map_mse": mse}
