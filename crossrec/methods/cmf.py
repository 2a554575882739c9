"""Collective matrix factorisation."""

from __future__ import annotations

from dataclasses import dataclass

from torch import nn

from crossrec.losses.ranking import bpr_loss, l2_penalty
from crossrec.methods.base import CommonSettings, Method, Phase, setting, sgd_and_adam, to_numpy
from crossrec.methods.registry import register
from crossrec.models.mf import shared_user_tables
from crossrec.tensors.sampling import joint_triples


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

    def build(self, data, generator):
        return nn.ModuleDict(shared_user_tables(data.n_users, data.n_source_items, data.n_target_items,
                                                self.settings.dim))

    def plan(self):
        s = self.settings
        return [Phase("joint", batches=lambda g: joint_triples(self.data_, s.batch_size, g),
                      step=self.training_step, optimizers=lambda: sgd_and_adam(self.model_, s.lr, s.lr),
                      epochs=s.epochs, summed=("loss", "rec_target", "rec_source"))]

    def _bpr(self, triple, items):
        u, i, j = triple
        pu, qi, qj = self.model_["users"](u), items(i), items(j)
        return bpr_loss((pu * qi).sum(-1), (pu * qj).sum(-1)), l2_penalty(pu, qi, qj)

    def training_step(self, batch):
        rec_t, reg_t = self._bpr(batch["target"], self.model_["target_items"])
        rec_s, reg_s = self._bpr(batch["source"], self.model_["source_items"])
        loss = rec_t + self.settings.source_weight * rec_s + self.settings.weight_decay * (reg_t + reg_s)
        return {"loss": loss, "rec_target": rec_t, "rec_source": rec_s}

    def score(self, users):
        return self.model_["users"](users) @ self.model_["target_items"].weight.T

    def embeddings(self):
        shared = to_numpy(self.model_["users"].weight)
        return {"source": shared, "target": shared}
