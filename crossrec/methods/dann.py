"""Domain-adversarial transfer of users' rating patterns (DANN, as DARec builds it for CDR)."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from crossrec.losses.adversarial import (DomainAdversarialLoss, DomainDiscriminator,
                                         WarmStartGradientReverseLayer)
from crossrec.losses.ranking import bpr_loss, l2_penalty
from crossrec.methods.base import Method, adam, to_numpy
from crossrec.methods.plan import Phase
from crossrec.methods.settings import CommonSettings, setting
from crossrec.models.history import HistoryEncoder
from crossrec.models.mf import MLP
from crossrec.tensors.sampling import joint_triples

DOMAINS = ("source", "target")


@dataclass
class DANNSettings(CommonSettings):
    # lr, epochs and cross_weight were chosen on CDRIB Sport->Cloth validation: what was tried
    # and how it scored is in docs/results-notes.md ("dann")
    lr: float = setting(0.003, "Adam learning rate", 1e-6, 1.0)
    weight_decay: float = setting(0.0001, "L2 penalty on the rows a step touches", 0.0, 10.0)
    epochs: int = setting(100, "maximum epochs of the adversarial phase", 1, 10_000)
    pretrain_epochs: int = setting(5, "epochs of each domain's own autoencoding before alignment", 0, 10_000)
    adv_weight: float = setting(0.1, "weight of the adversarial (domain confusion) loss", 0.0, 100.0)
    cross_weight: float = setting(1.0, "weight of predicting one domain from the other's history", 0.0, 100.0)
    warmup_steps: int = setting(500, "steps over which gradient reversal warms up to full strength", 1, 10_000_000)
    history: int = setting(50, "history items sampled per user and step (all at evaluation)", 1, 100_000)


class DANN(Method):
    """A user is encoded from their history in either domain, x^D_u = tanh(mean of the input
    vectors of their D items) (U-AutoRec's encoder), and a *shared* extractor maps both to
    z = F(x^D_u). Two rating predictors score items of each domain, s^D(z, i) = z·q^D_i + b^D_i.

    Training (DARec, Yuan et al., IJCAI 2019, after Ganin & Lempitsky, ICML 2015):
    1. `pretrain`: each domain autoencodes its own histories through its own encoder (BPR on
       s^D(x^D_u), the scored item left out of the input), as DARec pretrains one AutoRec per
       domain; these per-domain encodings are the Embeddings page's "before";
    2. `adversarial`: the shared extractor F joins: the same autoencoding on s^D(F(x^D_u)),
       plus each predictor trained on the *other* domain's representation of the shared users (s^T(F(x^S_u)) for users with both histories, as DARec
       trains both predictors on the shared representation), plus a domain discriminator D on
       F(x^S) vs F(x^T) behind a gradient reversal layer, so F learns features D cannot tell
       apart. The target predictor then fits source-side representations of users it never saw.
    A user with target history is scored from it; a cold user from their source history.
    """

    name = "dann"
    family = "adversarial alignment"
    summary = ("Encodes users from their history in either domain with one shared extractor; a\n"
               "discriminator behind gradient reversal makes source and target encodings alike.")
    paper = ("Yuan, Yao & Benatallah. DARec: Deep Domain Adaptation for Cross-Domain Recommendation "
             "via Transferring Rating Patterns. IJCAI 2019 (DANN: Ganin & Lempitsky, ICML 2015)")
    limits = ("On CDRIB Sport→Cloth its cold users are ranked well above popularity but below cmf; on "
              "Douban Book→Music neither its cold nor its warm users differ significantly from the "
              "baselines (figures: docs/RESULTS.md, with what was tried on validation). Its validation "
              "NDCG was still rising at the 100-epoch default, kept so that a run on CDRIB fits a few "
              "minutes on a 2-core CPU (docs/BENCHMARKS.md): with more time or a GPU, raise epochs.")
    loss_latex = (r"\min_{P,F,Q}\max_{D}\ \sum_{D\in\{S,T\}}\mathcal{L}_{BPR}\big(F(x^D_u);Q^D\big) + "
                  r"\mathcal{L}_{BPR}\big(F(x^S_u);Q^T\big) + \mathcal{L}_{BPR}\big(F(x^T_u);Q^S\big) "
                  r"- \lambda\Big[\mathbb{E}_{u}\ln D(F(x^S_u)) + \mathbb{E}_{u}\ln\big(1 - D(F(x^T_u))\big)\Big]")
    Settings = DANNSettings
    phases = ("pretrain", "adversarial")  # the phase names of its default plan (the card)

    def build(self, data, generator):
        d = self.settings.dim
        n_items = {"source": data.n_source_items, "target": data.n_target_items}
        model = nn.ModuleDict({
            **{f"{dom}_history": HistoryEncoder(n_items[dom], d) for dom in DOMAINS},
            **{f"{dom}_items": nn.Embedding(n_items[dom], d) for dom in DOMAINS},
            **{f"{dom}_bias": nn.Embedding(n_items[dom], 1) for dom in DOMAINS},
            "extractor": MLP([d, d, d]), "discriminator": DomainDiscriminator(d),
        })
        for dom in DOMAINS:
            nn.init.normal_(model[f"{dom}_items"].weight, std=0.1)
            nn.init.zeros_(model[f"{dom}_bias"].weight)
        self.aligning_ = False
        self.adversarial_ = DomainAdversarialLoss(
            model["discriminator"], WarmStartGradientReverseLayer(max_iters=self.settings.warmup_steps))
        return model

    def plan(self):
        s = self.settings

        def phase(name, epochs, adversarial):
            return Phase(name, batches=lambda g: joint_triples(self.data_, s.batch_size, g),
                         step=lambda batch: self.training_step(batch, adversarial),
                         optimizers=lambda: [adam(self.model_.parameters(), lr=s.lr)],
                         epochs=epochs, select="all" if adversarial else None, aligns=adversarial,
                         on_start=(lambda: setattr(self, "aligning_", True)) if adversarial else None,
                         after_step=(lambda: self.adversarial_.grl.step()) if adversarial else None,
                         summed=("loss", "rec_source", "rec_target", "cross_to_source", "cross_to_target"))

        return ([phase("pretrain", s.pretrain_epochs, False)] if s.pretrain_epochs else []) + \
            [phase("adversarial", s.epochs, True)]

    # --- pieces ----------------------------------------------------------------------------
    def _table(self, domain):
        return self.data_.rows(domain)[2]

    def _item_rows(self, domain, positives, negatives):
        """(vectors [2, B, d], biases [2, B]) of the positive and negative items, in one lookup
        per table: every lookup's backward writes a table-sized gradient, so one per step."""
        both = torch.stack([positives, negatives])
        return self.model_[f"{domain}_items"](both), self.model_[f"{domain}_bias"](both).squeeze(-1)

    @staticmethod
    def _bpr(z, vectors, biases):
        """BPR of user vectors z [B, d] on their (positive, negative) items; and the items' L2."""
        scores = (z * vectors).sum(-1) + biases  # [2, B]
        return bpr_loss(scores[0], scores[1]), l2_penalty(vectors[0], vectors[1])

    def training_step(self, batch, adversarial: bool):
        s, m = self.settings, self.model_
        users, inverse = torch.unique(torch.cat([batch["source"][0], batch["target"][0]]), return_inverse=True)
        row_of = dict(zip(DOMAINS, inverse.split([len(batch["source"][0]), len(batch["target"][0])])))
        sampled = {dom: m[f"{dom}_history"].sampled(self._table(dom), users, s.history) for dom in DOMAINS}
        losses, total, reg, n_rows = {}, 0.0, 0.0, 0
        item_rows = {dom: self._item_rows(dom, batch[dom][1], batch[dom][2]) for dom in DOMAINS}
        for dom in DOMAINS:
            u, i, _ = batch[dom]
            items, summed, count = sampled[dom]
            rows = row_of[dom]
            # leave the scored item out of its own input, so the encoder cannot just copy it
            held = (items[rows] == i.unsqueeze(-1)).any(-1)
            own = self._shared(HistoryEncoder.squash(
                summed[rows] - m[f"{dom}_history"].item_vectors(i) * held.unsqueeze(-1), count[rows] - held.long()))
            rec, r = self._bpr(own, *item_rows[dom])
            losses[f"rec_{dom}"], total, reg, n_rows = rec, total + rec, reg + r, n_rows + len(u)
        if adversarial:
            z = {dom: self._shared(HistoryEncoder.squash(sampled[dom][1], sampled[dom][2])) for dom in DOMAINS}
            for dom, other in (("target", "source"), ("source", "target")):
                rows = row_of[dom]
                bridge = sampled[other][2][rows] > 0      # users with history on the other side
                vectors, biases = item_rows[dom]
                cross, r = self._bpr(z[other][rows[bridge]], vectors[:, bridge], biases[:, bridge])
                losses[f"cross_to_{dom}"] = cross
                total, reg = total + s.cross_weight * cross, reg + s.cross_weight * r
            has = {dom: sampled[dom][2] > 0 for dom in DOMAINS}
            adv = self.adversarial_(z["source"][has["source"]], z["target"][has["target"]])
            losses["adversarial"] = adv
            losses["domain_accuracy"] = torch.tensor(self.adversarial_.domain_accuracy)
            total = total + s.adv_weight * n_rows * adv  # BPR terms are sums over rows
        losses["loss"] = total + s.weight_decay * reg
        return losses

    # --- use -------------------------------------------------------------------------------
    def _shared(self, x):
        """The shared extractor F, once the adversarial phase has begun (before it, each domain
        autoencodes through its own encoder only, as DARec pretrains one AutoRec per domain)."""
        return self.model_["extractor"](x) if self.aligning_ else x

    def encode(self, domain, users):
        return self._shared(self.model_[f"{domain}_history"].full(self._table(domain), users))

    def score(self, users):
        z = torch.where(self.data_.has_target[users].unsqueeze(-1), self.encode("target", users), self.encode("source", users))
        return z @ self.model_["target_items"].weight.T + self.model_["target_bias"].weight.T

    @torch.no_grad()
    def embeddings(self):
        users = torch.arange(self.data_.n_users, device=self.data_.device)
        return {dom: to_numpy(torch.cat([self.encode(dom, chunk) for chunk in users.split(8192)]))
                for dom in DOMAINS}
