"""Pretrain on the source, fine-tune on the target."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from crossrec.methods.base import Method, bpr_phase, to_numpy
from crossrec.methods.settings import CommonSettings
from crossrec.models.mf import TwoDomainMF


@dataclass
class FinetuneSettings(CommonSettings):
    pass


class Finetune(Method):
    """Transfer by initialisation: BPR-MF on the source, then the target model starts from the
    source user vectors and is fine-tuned on target interactions.

    The pretrain / fine-tune recipe of transfer learning (Pan & Yang, IEEE TKDE 2010; Yosinski
    et al., NeurIPS 2014) applied to user embeddings. Losses: L_BPR(S), then L_BPR(T) from P_S.
    Cold users keep their source vectors, against target items learned around them.
    """

    name = "finetune"
    family = "pretrain / fine-tune"
    summary = ("Learns user vectors on the source, copies them into the target model, fine-tunes.\n"
               "Target items are learned around source-shaped users, so cold users land sensibly.")
    paper = "Pan & Yang. A Survey on Transfer Learning. IEEE TKDE 2010"
    limits = ("On Douban Book→Music its cold users are not ranked better than by popularity, while on "
              "CDRIB Sport→Cloth it is far above it (figures: docs/RESULTS.md). A cold user keeps a "
              "source-trained vector that the target items were only fitted around for the users both "
              "domains share, far fewer on Douban; not tested further.")
    loss_latex = (r"\Theta_S^* = \arg\min \mathcal{L}_{BPR}(P, Q^S; \mathcal{D}_S);\quad "
                  r"P \leftarrow P_S^*,\ \min \mathcal{L}_{BPR}(P, Q^T; \mathcal{D}_T)")
    Settings = FinetuneSettings
    phases = ("source", "target")  # the phase names of its default plan (the card)

    def build(self, data, generator):
        return TwoDomainMF(data.n_users, data.n_source_items, data.n_target_items, self.settings.dim)

    def plan(self):
        source = bpr_phase(self, "source", lambda: self.model_["source"], "source", select=None)
        return [source.but(on_end=self._start_target_from_source),
                bpr_phase(self, "target", lambda: self.model_["target"], "target", select="all")]

    @torch.no_grad()
    def _start_target_from_source(self):
        """Initialise source users' target vectors with their source vectors."""
        has_source = self.data_.source.counts > 0
        self.model_["target"].users.weight[has_source] = self.model_["source"].users.weight[has_source]

    def score(self, users):
        m = self.model_["target"]
        return m.score_all(m.users(users))

    def embeddings(self):
        return {"source": to_numpy(self.model_["source"].users.weight),
                "target": to_numpy(self.model_["target"].users.weight)}
