"""Collective matrix factorisation."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from crossrec.methods.base import Method, to_numpy
from crossrec.methods.plan import Phase
from crossrec.methods.settings import CommonSettings, setting
from crossrec.models.mf import apply_sgd, bpr_descent, shared_user_tables
from crossrec.tensors.sampling import joint_triples


@dataclass
class CMFSettings(CommonSettings):
    # Chosen on validation (CDRIB Sport->Cloth, seed 0, cold validation NDCG@10): 0.0898 at the
    # common cap of 100 epochs (best epoch 100: still improving), 0.1283 at 300 (best still the
    # last). Early stopping on validation ends a run sooner where it has converged.
    epochs: int = setting(500, "maximum epochs", 1, 10_000)
    source_weight: float = setting(1.0, "weight of the source-domain loss", 0.0, 10.0)


class CMF(Method):
    """Collective MF: one user embedding shared by both domains, one item table per domain.

    Singh & Gordon. Relational Learning via Collective Matrix Factorization. KDD 2008.
    Here each relation is factorised with the BPR loss: L = L_BPR(T) + α·L_BPR(S) + L2, so a
    cold user's vector, learned from the source, ranks target items directly.
    """

    name = "cmf"
    family = "shared embedding"
    summary = ("Factorises both domains at once with one vector per user shared across them.\n"
               "A cold user's vector is learned from the source and scores target items directly.")
    paper = "Singh & Gordon. Relational Learning via Collective Matrix Factorization. KDD 2008"
    limits = ("On Douban Book→Music its cold users are not ranked better than by popularity, while on "
              "CDRIB Sport→Cloth it is the best method (figures: docs/RESULTS.md). Douban has far fewer "
              "users with rows in both domains to tie the tables together, and a target where "
              "popularity alone ranks well; which matters was not tested.")
    loss_latex = (r"\mathcal{L} = \mathcal{L}_{BPR}(P, Q^T; \mathcal{D}_T) + \alpha\,"
                  r"\mathcal{L}_{BPR}(P, Q^S; \mathcal{D}_S) + \frac{\lambda}{2}\|\Theta\|^2")
    Settings = CMFSettings
    phases = ("joint",)  # the phase names of its default plan (the card)

    def build(self, data, generator):
        return nn.ModuleDict(shared_user_tables(data.n_users, data.n_source_items, data.n_target_items,
                                                self.settings.dim))

    def plan(self):
        s = self.settings
        return [Phase("joint", batches=lambda g: joint_triples(self.data_, s.batch_size, g),
                      step=self.training_step, optimizers=None,  # the step applies its own SGD update
                      epochs=s.epochs, summed=("loss", "rec_target", "rec_source"))]

    @torch.no_grad()
    def training_step(self, batch):
        """One plain-SGD step on L written out (`bpr_descent`): both domains' directions are
        computed from the same rows before any is applied, as one SGD step over the summed loss."""
        s, m = self.settings, self.model_
        users, losses, total, updates = m["users"].weight, {}, 0.0, []
        for domain, weight in (("target", 1.0), ("source", s.source_weight)):
            u, i, j = batch[domain]
            items = m[f"{domain}_items"].weight
            pu, qi, qj = users.index_select(0, u), items.index_select(0, i), items.index_select(0, j)
            (du, di, dj), rec, l2 = bpr_descent(pu, qi, qj, s.weight_decay, weight)
            updates += [(users, u, du), (items, i, di), (items, j, dj)]
            losses[f"rec_{domain}"], total = rec, total + weight * rec + s.weight_decay * l2
        apply_sgd(s.lr, *updates)
        return {"loss": total, **losses}

    def score(self, users):
        return self.model_["users"](users) @ self.model_["target_items"].weight.T

    def embeddings(self):
        shared = to_numpy(self.model_["users"].weight)
        return {"source": shared, "target": shared}
