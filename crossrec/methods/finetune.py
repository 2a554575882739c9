"""Pretrain on the source, fine-tune on the target."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from crossrec.methods.base import CommonSettings, Method, sgd_and_adam, to_numpy
from crossrec.methods.registry import register
from crossrec.models.mf import MF
from crossrec.train.sampling import bpr_triples


@dataclass
class FinetuneSettings(CommonSettings):
    pass


@register("finetune")
class Finetune(Method):
    """Transfer by initialisation: BPR-MF on the source, then the target model starts from the
    source user vectors and is fine-tuned on target interactions.

    The pretrain / fine-tune recipe of transfer learning (Pan & Yang, IEEE TKDE 2010; Yosinski
    et al., NeurIPS 2014) applied to user embeddings. Losses: L_BPR(S), then L_BPR(T) from P_S.
    Cold users keep their source vectors, against target items learned around them.
    """

    family = "pretrain / fine-tune"
    summary = ("Learns user vectors on the source, copies them into the target model, fine-tunes.\n"
               "Target items are learned around source-shaped users, so cold users land sensibly.")
    paper = "Pan & Yang. A Survey on Transfer Learning. IEEE TKDE 2010"
    loss_latex = (r"\Theta_S^* = \arg\min \mathcal{L}_{BPR}(P, Q^S; \mathcal{D}_S);\quad "
                  r"P \leftarrow P_S^*,\ \min \mathcal{L}_{BPR}(P, Q^T; \mathcal{D}_T)")
    Settings = FinetuneSettings
    phases = ("source", "target")

    def setup(self, data, generator):
        self.data_ = data
        dim = self.settings.dim
        self.model_ = nn.ModuleDict({"source": MF(data.n_users, data.n_source_items, dim),
                                     "target": MF(data.n_users, data.n_target_items, dim)})

    def batches(self, phase, generator):
        d = self.data_
        if phase == "source":
            return bpr_triples(d.source_users, d.source_items, d.source, self.settings.batch_size, generator)
        return bpr_triples(d.target_users, d.target_items, d.target, self.settings.batch_size, generator)

    def training_step(self, batch, phase):
        return self.model_[phase].bpr(*batch, reg=self.settings.weight_decay)

    def optimizers(self, phase):
        return sgd_and_adam(self.model_[phase], self.settings.lr, self.settings.lr)

    def validation_group(self, phase):
        return None if phase == "source" else "all"

    @torch.no_grad()
    def end_phase(self, phase):
        if phase == "source":  # initialise source users' target vectors from the source
            has_source = self.data_.source.counts > 0
            self.model_["target"].users.weight[has_source] = self.model_["source"].users.weight[has_source]

    def score(self, users):
        m = self.model_["target"]
        return m.score_all(m.users(users))

    def embeddings(self):
        return {"source": to_numpy(self.model_["source"].users.weight),
                "target": to_numpy(self.model_["target"].users.weight)}
