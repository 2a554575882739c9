"""Collective matrix factorisation."""

from __future__ import annotations

from dataclasses import dataclass

from torch import nn

from crossrec.losses.ranking import bpr_loss, l2_penalty
from crossrec.methods.base import CommonSettings, Method, setting, sgd_and_adam, to_numpy
from crossrec.methods.registry import register
from crossrec.models.mf import embedding
from crossrec.train.sampling import joint_triples


@dataclass
class CMFSettings(CommonSettings):
    source_weight: float = setting(1.0, "weight of the source-domain loss", 0.0, 10.0)


@register("cmf")
class CMF(Method):
    """Collective MF: one user embedding shared by both domains, one item table per domain.

    Singh & Gordon. Relational Learning via Collective Matrix Factorization. KDD 2008.
    Here each relation is factorised with the BPR loss: L = L_BPR(T) + α·L_BPR(S) + L2, so a
    cold user's vector, learned from the source, ranks target items directly.
    """

    family = "shared embedding"
    summary = ("Factorises both domains at once with one vector per user shared across them.\n"
               "A cold user's vector is learned from the source and scores target items directly.")
    paper = "Singh & Gordon. Relational Learning via Collective Matrix Factorization. KDD 2008"
    loss_latex = (r"\mathcal{L} = \mathcal{L}_{BPR}(P, Q^T; \mathcal{D}_T) + \alpha\,"
                  r"\mathcal{L}_{BPR}(P, Q^S; \mathcal{D}_S) + \frac{\lambda}{2}\|\Theta\|^2")
    Settings = CMFSettings
    phases = ("joint",)

    def setup(self, data, generator):
        self.data_ = data
        dim = self.settings.dim
        self.model_ = nn.ModuleDict({"users": embedding(data.n_users, dim),
                                     "source_items": embedding(data.n_source_items, dim),
                                     "target_items": embedding(data.n_target_items, dim)})

    def batches(self, phase, generator):
        return joint_triples(self.data_, self.settings.batch_size, generator)

    def _bpr(self, triple, items):
        u, i, j = triple
        pu, qi, qj = self.model_["users"](u), items(i), items(j)
        return bpr_loss((pu * qi).sum(-1), (pu * qj).sum(-1)), l2_penalty(pu, qi, qj)

    def training_step(self, batch, phase):
        rec_t, reg_t = self._bpr(batch["target"], self.model_["target_items"])
        rec_s, reg_s = self._bpr(batch["source"], self.model_["source_items"])
        loss = rec_t + self.settings.source_weight * rec_s + self.settings.weight_decay * (reg_t + reg_s)
        return {"loss": loss, "rec_target": rec_t, "rec_source": rec_s}

    def optimizers(self, phase):
        return sgd_and_adam(self.model_, self.settings.lr, self.settings.lr)

    def score(self, users):
        return self.model_["users"](users) @ self.model_["target_items"].weight.T

    def embeddings(self):
        shared = to_numpy(self.model_["users"].weight)
        return {"source": shared, "target": shared}
