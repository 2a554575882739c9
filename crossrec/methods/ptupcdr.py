"""Personalised transfer of user preferences (PTUPCDR)."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from crossrec.losses.ranking import bpr_loss
from crossrec.methods.base import adam
from crossrec.methods.plan import Phase
from crossrec.methods.settings import setting
from crossrec.methods.emcdr import EMCDRSettings
from crossrec.methods.embed_map import EmbedThenMap
from crossrec.tensors.sampling import bpr_triples


@dataclass
class PTUPCDRSettings(EMCDRSettings):
    dim: int = setting(64, "embedding dimension (the bridge has dim² outputs)", 2, 256)
    map_epochs: int = setting(60, "maximum epochs of the meta phase", 1, 10_000)
    history: int = setting(20, "source items per user read by the characteristic encoder", 1, 500)
    meta_hidden: int = setting(64, "hidden units of the meta network", 4, 4096)


class CharacteristicEncoder(nn.Module):
    """Attention over a user's source items: a_j = softmax_j(w·tanh(W q_j)), c_u = Σ a_j q_j."""

    def __init__(self, dim: int):
        super().__init__()
        self.proj = nn.Linear(dim, dim)
        self.attn = nn.Linear(dim, 1, bias=False)

    def forward(self, item_vectors: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        # item_vectors [B, L, d], mask [B, L] True where a real item
        logits = self.attn(torch.tanh(self.proj(item_vectors))).squeeze(-1)
        weights = torch.softmax(logits.masked_fill(~mask, -1e9), dim=1) * mask
        return (weights.unsqueeze(-1) * item_vectors).sum(1)


def personal_bridge(bridge: nn.Sequential, characteristic: torch.Tensor, source: torch.Tensor) -> torch.Tensor:
    """p_u W_u for each user, where W_u [d, d] = the meta network's output reshaped, W_u =
    reshape(A h_u + b) with h_u its hidden layer: computed as (p_u ⊗ h_u) A' + p_u B, with A' and B
    A and b rearranged, so no [users, d, d] bridge is built. Same value as
    bmm(p_u, reshape(bridge(c_u))) (test), and its backward avoids the slow batched products
    with an inner size of 1 and the copies of [users, d²] gradients that took a third of a step."""
    *hidden_layers, last = bridge
    hidden = nn.Sequential(*hidden_layers)(characteristic)                      # [B, H]
    d, width = source.shape[1], hidden.shape[1]
    weight = last.weight.view(d, d, width).permute(0, 2, 1).reshape(d * width, d)  # [(j, h), k]
    outer = (source.unsqueeze(2) * hidden.unsqueeze(1)).reshape(-1, d * width)     # [B, (j, h)]
    return outer @ weight + source @ last.bias.view(d, d)


class PTUPCDR(EmbedThenMap):
    """PTUPCDR: a meta network turns each user's source history into a personal bridge matrix
    W_u = g(c_u), and the transferred vector is p_u^S W_u + p_u^S (the paper's p_u^S W_u with an
    identity residual added here, which keeps the bridge well-conditioned early in training).

    Zhu, Wang, Chen, Zhou, Li, Liu & He. Personalized Transfer of User Preferences for
    Cross-domain Recommendation. WSDM 2022. Task-oriented meta loss (here with BPR on target rows
    of overlapping users, as the data is implicit): min Σ -ln σ((p_u^S W_u)·(q_i - q_j)).
    """

    name = "ptupcdr"
    family = "meta-learning"
    summary = ("A meta network reads each user's source history and outputs a personal bridge\n"
               "matrix; the user's source vector times that bridge is their target vector.")
    paper = "Zhu et al. Personalized Transfer of User Preferences for Cross-domain Recommendation. WSDM 2022"
    limits = ("On Douban Book→Music its cold users are not ranked better than by popularity, while on "
              "CDRIB Sport→Cloth it is well above popularity (figures: docs/RESULTS.md). Its meta "
              "network, with d² outputs, learns each user's bridge from the users with rows in both "
              "domains, far fewer on Douban; too few bridge users is the likely reason, not tested "
              "separately.")
    loss_latex = (r"W_u = g_\phi\!\Big(\sum_{j \in S_u} a_j q_j^S\Big),\quad \min_\phi \sum_{(u,i,j)}"
                  r" -\ln\sigma\big((p_u^S W_u + p_u^S)^\top (q_i^T - q_j^T)\big)")
    Settings = PTUPCDRSettings
    phases = ("source", "target", "meta")  # the phase names of its default plan (the card)

    def build(self, data, generator):
        s = self.settings
        model = super().build(data, generator)
        model["encoder"] = CharacteristicEncoder(s.dim)
        model["bridge"] = nn.Sequential(nn.Linear(s.dim, s.meta_hidden), nn.ReLU(),
                                        nn.Linear(s.meta_hidden, s.dim * s.dim))
        users = torch.arange(data.n_users, device=data.device)
        self.history_ = data.source.padded(users, s.history, generator)  # [U, L], -1 = pad
        rows = data.overlap[data.target_users] & (data.source.counts[data.target_users] > 0)
        self.meta_users_ = data.target_users[rows]
        self.meta_items_ = data.target_items[rows]
        return model

    def bridge_phase(self):
        s = self.settings
        return Phase("meta", batches=lambda g: bpr_triples(self.meta_users_, self.meta_items_, self.data_.target,
                                                           s.batch_size, g),
                     step=self._meta_step, optimizers=self._meta_optimizers, epochs=s.map_epochs,
                     select="cold", aligns=True)

    def mapped(self, users):
        hist = self.history_[users]
        mask = hist >= 0
        items = self.model_["source"].items(hist.clamp(min=0)).detach()
        source = self.model_["source"].users(users).detach()
        # identity + learned residual keeps the bridge well-conditioned early on
        return personal_bridge(self.model_["bridge"], self.model_["encoder"](items, mask), source) + source

    def _meta_step(self, batch):
        u, i, j = batch
        pu = self.mapped(u)
        items = self.model_["target"].items
        qi, qj = items(i).detach(), items(j).detach()
        rec = bpr_loss((pu * qi).sum(-1), (pu * qj).sum(-1)) / len(u)
        return {"loss": rec, "meta_bpr": rec}

    def _meta_optimizers(self):
        params = list(self.model_["encoder"].parameters()) + list(self.model_["bridge"].parameters())
        return [adam(params, lr=self.settings.map_lr)]
