"""Domain-adversarial alignment of user representations (DANN)."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from crossrec.losses.adversarial import (DomainAdversarialLoss, DomainDiscriminator,
                                         WarmStartGradientReverseLayer)
from crossrec.losses.ranking import bpr_loss, l2_penalty
from crossrec.methods.base import CommonSettings, Method, Phase, setting, sgd_and_adam, to_numpy
from crossrec.methods.registry import register
from crossrec.models.mf import MLP, shared_user_tables
from crossrec.tensors.sampling import joint_triples


@dataclass
class DANNSettings(CommonSettings):
    epochs: int = setting(50, "maximum epochs", 1, 10_000)
    adv_weight: float = setting(0.1, "weight of the adversarial (domain confusion) loss", 0.0, 100.0)
    dense_lr: float = setting(0.001, "Adam learning rate of encoders and discriminator", 1e-6, 1.0)
    warmup_steps: int = setting(500, "steps over which gradient reversal warms up to full strength", 1, 10**7)


@register("dann")
class DANN(Method):
    """Users get a shared embedding e_u and one encoder per domain, h^S = f_S(e_u), h^T = f_T(e_u).
    Each domain is trained with BPR on its own representation; a domain discriminator D learns
    to tell h^S from h^T while, through a gradient reversal layer, the encoders learn to fool it,
    so source-side knowledge lands where the target scorer can use it.

    Ganin & Lempitsky. Unsupervised Domain Adaptation by Backpropagation. ICML 2015 (and
    Ganin et al., JMLR 2016). The GAN-style minimax of Goodfellow et al. (NeurIPS 2014) on user
    representations.
    """

    family = "adversarial alignment"
    summary = ("Trains both domains with domain-specific user encoders while a discriminator tries\n"
               "to tell them apart; gradient reversal makes the encoders fool it (GAN-style).")
    paper = "Ganin & Lempitsky. Unsupervised Domain Adaptation by Backpropagation. ICML 2015"
    loss_latex = (r"\min_{E,f,Q}\max_{D}\ \mathcal{L}_{BPR}^S + \mathcal{L}_{BPR}^T - \lambda\Big["
                  r"\mathbb{E}_{u\sim S}\ln D(f_S(e_u)) + \mathbb{E}_{u\sim T}\ln\big(1 - D(f_T(e_u))\big)\Big]")
    Settings = DANNSettings

    def build(self, data, generator):
        d = self.settings.dim
        model = nn.ModuleDict({
            **shared_user_tables(data.n_users, data.n_source_items, data.n_target_items, d),
            "f_source": MLP([d, d, d]), "f_target": MLP([d, d, d]),
            "discriminator": DomainDiscriminator(d),
        })
        self.adversarial_ = DomainAdversarialLoss(
            model["discriminator"], WarmStartGradientReverseLayer(max_iters=self.settings.warmup_steps))
        return model

    def plan(self):
        s = self.settings
        return [Phase("joint", batches=lambda g: joint_triples(self.data_, s.batch_size, g),
                      step=self.training_step, optimizers=lambda: sgd_and_adam(self.model_, s.lr, s.dense_lr),
                      epochs=s.epochs, after_step=lambda: self.adversarial_.grl.step())]

    def _domain(self, triple, encoder, items):
        u, i, j = triple
        e = self.model_["users"](u)
        h = self.model_[encoder](e)
        qi, qj = self.model_[items](i), self.model_[items](j)
        return h, bpr_loss((h * qi).sum(-1), (h * qj).sum(-1)), l2_penalty(e, qi, qj)

    def training_step(self, batch):
        hs, rec_s, reg_s = self._domain(batch["source"], "f_source", "source_items")
        ht, rec_t, reg_t = self._domain(batch["target"], "f_target", "target_items")
        adv = self.adversarial_(hs, ht)
        n = len(batch["source"][0]) + len(batch["target"][0])  # BPR terms are sums over rows
        loss = rec_s + rec_t + self.settings.weight_decay * (reg_s + reg_t) + self.settings.adv_weight * n * adv
        return {"loss": loss, "rec_source": rec_s, "rec_target": rec_t, "adversarial": adv,
                "domain_accuracy": torch.tensor(self.adversarial_.domain_accuracy)}

    def score(self, users):
        h = self.model_["f_target"](self.model_["users"](users))
        return h @ self.model_["target_items"].weight.T

    @torch.no_grad()
    def embeddings(self):
        e = self.model_["users"].weight
        return {"source": to_numpy(self.model_["f_source"](e)), "target": to_numpy(self.model_["f_target"](e))}
