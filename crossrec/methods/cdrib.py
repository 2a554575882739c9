"""CDRIB: cross-domain recommendation to cold-start users via variational information bottleneck."""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from crossrec.methods.base import CommonSettings, Method, Phase, setting, to_numpy
from crossrec.methods.registry import register
from crossrec.models.graph import VBGE, normalized_adjacency
from crossrec.tensors.sampling import joint_triples

DOMAINS = ("source", "target")


@dataclass
class CDRIBSettings(CommonSettings):
    # defaults of the authors' train_rec.py
    lr: float = setting(0.001, "Adam learning rate", 1e-6, 1.0)
    weight_decay: float = setting(0.0005, "Adam weight decay", 0.0, 10.0)
    batch_size: int = setting(1024, "interactions per step", 8, 1_000_000)
    epochs: int = setting(100, "maximum epochs", 1, 10_000)
    layers: int = setting(3, "VBGE layers", 1, 8)
    dropout: float = setting(0.3, "feature dropout in the graph encoders", 0.0, 0.95)
    beta: float = setting(1.5, "weight of the users' KL (the in-domain bottleneck)", 0.0, 100.0)
    margin: float = setting(0.3, "hinge margin of the contrastive critic", 0.0, 1.0)
    critic_users: int = setting(64, "shared users per step for the contrastive critic", 2, 100_000)


@register("cdrib")
class CDRIB(Method):
    """Cao, Sheng, Cong, Liu & Wang. Cross-Domain Recommendation to Cold-Start Users via
    Variational Information Bottleneck. ICDE 2022.

    Each domain has its own user and item vectors and a variational bipartite graph encoder
    (VBGE, crossrec/models/graph.py) over its training graph, giving Gaussian user and item
    representations. A score is a dot product. Per step, on sampled (user, positive, negative)
    rows of both domains:
    - **cross-domain bottleneck**: a shared user (training rows in both domains) is scored in the
      target with its *source* representation and in the source with its *target* one, so each
      domain's encoding must carry what predicts the other domain (the paper's I(z^S; X^T) terms);
      other users use their own domain's. Loss: BCE of positive 1, negative 0 (`rec_*`);
    - **in-domain bottleneck**: KL of the Gaussians to N(0, I), users weighted by β (`kl`);
    - **contrastive information regulariser**: a critic MLP scores [z^S_u, z^T_u] of a shared
      user above pairs with a random other user, hinge loss on sigmoid scores (`critic`).
    A cold user is scored in the target with their source representation. The authors' code
    draws the KL prior's std through the same transform as the posterior's; here the prior is
    N(0, I) as the paper writes it.
    """

    family = "variational information bottleneck"
    summary = ("Graph encoders per domain; shared users must predict each domain from the other's\n"
               "encoding (information bottleneck), so a cold user's source encoding ranks the target.")
    paper = ("Cao et al. Cross-Domain Recommendation to Cold-Start Users via Variational "
             "Information Bottleneck. ICDE 2022")
    loss_latex = (r"\mathcal{L} = \sum_{D}\mathcal{L}_{BCE}\big(z_u^{\bar D}\!\cdot v_i^{D}\big)"
                  r" + \beta\,\mathrm{KL}(q(z_u)\|\mathcal{N}) + \mathrm{KL}(q(v_i)\|\mathcal{N})"
                  r" + \sum \max\!\big(0,\ m - \sigma(T(z^S_u, z^T_u)) + \sigma(T(z^S_u, z^T_{u'}))\big)")
    Settings = CDRIBSettings

    def build(self, data, generator):
        s, d = self.settings, self.settings.dim
        n_items = {"source": data.n_source_items, "target": data.n_target_items}
        out = d * s.layers
        model = nn.ModuleDict({
            **{f"{dom}_users": nn.Embedding(data.n_users, d) for dom in DOMAINS},
            **{f"{dom}_items": nn.Embedding(n_items[dom], d) for dom in DOMAINS},
            **{f"{dom}_graph": VBGE(d, s.layers, s.dropout) for dom in DOMAINS},
            "critic": nn.Sequential(nn.Linear(2 * out, d), nn.ReLU(), nn.Linear(d, 100), nn.ReLU(),
                                    nn.Linear(100, 1)),
        })
        self.graphs_ = {dom: normalized_adjacency(self._table(dom, data)) for dom in DOMAINS}
        in_source = data.source.counts > 0
        self.shared_ = in_source & data.has_target           # trained across domains
        self.shared_users_ = torch.nonzero(self.shared_).flatten()
        self.in_source_ = in_source
        return model

    @staticmethod
    def _table(domain, data):
        return data.source if domain == "source" else data.target

    def plan(self):
        s = self.settings
        return [Phase("joint", batches=lambda g: joint_triples(self.data_, s.batch_size, g),
                      step=self.training_step, epochs=s.epochs,
                      optimizers=lambda: [torch.optim.Adam(self.model_.parameters(), lr=s.lr,
                                                           weight_decay=s.weight_decay)])]

    def encode(self):
        """{domain: (users [n_users, L·d], items [n_items, L·d], kl_users, kl_items)}, whole graphs."""
        m = self.model_
        return {dom: m[f"{dom}_graph"](m[f"{dom}_users"].weight, m[f"{dom}_items"].weight, *self.graphs_[dom])
                for dom in DOMAINS}

    def training_step(self, batch):
        s = self.settings
        enc = self.encode()
        losses, total = {}, 0.0
        for dom, other in (("source", "target"), ("target", "source")):
            u, i, j = batch[dom]
            # the cross-domain bottleneck: shared users are scored from the other domain's encoding
            users = torch.where(self.shared_[u].unsqueeze(1), enc[other][0][u], enc[dom][0][u])
            items = enc[dom][1]
            pos, neg = (users * items[i]).sum(-1), (users * items[j.flatten()]).sum(-1)
            rec = (F.binary_cross_entropy_with_logits(pos, torch.ones_like(pos))
                   + F.binary_cross_entropy_with_logits(neg, torch.zeros_like(neg)))
            losses[f"rec_{dom}"] = rec
            total = total + rec
        kl = sum(s.beta * enc[dom][2] + enc[dom][3] for dom in DOMAINS)
        critic = self._critic(enc["source"][0], enc["target"][0])
        losses.update(kl=kl, critic=critic, loss=total + kl + critic)
        return losses

    def _critic(self, z_source, z_target):
        """Hinge on sigmoid critic scores: matched shared users above mismatched pairs."""
        shared, s = self.shared_users_, self.settings
        if shared.numel() < 2:
            return z_source.new_zeros(())
        n = self.data_.n_users
        pick = shared[torch.randperm(shared.numel(), device=shared.device)[:s.critic_users]]
        other_t = torch.randint(0, n, (pick.numel(),), device=pick.device)
        other_s = torch.randint(0, n, (pick.numel(),), device=pick.device)
        critic = lambda a, b: torch.sigmoid(self.model_["critic"](torch.cat([a, b], 1))).flatten()  # noqa: E731
        pos = critic(z_source[pick], z_target[pick])
        return (F.relu(s.margin - pos + critic(z_source[pick], z_target[other_t])).mean()
                + F.relu(s.margin - pos + critic(z_source[other_s], z_target[pick])).mean())

    def _user_vectors(self, enc, users):
        """Target-side user vectors: from the source encoding for users with source history
        (shared users were trained that way; cold users have nothing else), else the target one."""
        return torch.where(self.in_source_[users].unsqueeze(1), enc["source"][0][users], enc["target"][0][users])

    def score(self, users):
        enc = self.encode()
        return self._user_vectors(enc, users) @ enc["target"][1].T

    @torch.no_grad()
    def embeddings(self):
        enc = self.encode()
        return {dom: to_numpy(enc[dom][0]) for dom in DOMAINS}
