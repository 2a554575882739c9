"""Variational shared user latent across domains."""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from crossrec.losses.variational import gaussian_kl
from crossrec.methods.base import Method, adam, to_numpy
from crossrec.methods.plan import Phase
from crossrec.methods.settings import CommonSettings, setting
from crossrec.models.history import SparseInputLayer
from crossrec.tensors.pair_tensors import UserItems
from crossrec.tensors.sampling import user_batches


@dataclass
class VAESettings(CommonSettings):
    dim: int = setting(64, "latent dimension", 2, 1024)
    lr: float = setting(0.001, "Adam learning rate", 1e-6, 1.0)
    batch_size: int = setting(256, "users per step", 8, 100_000)
    weight_decay: float = setting(0.0, "L2 penalty (Adam weight decay) of the dense layers", 0.0, 10.0)
    epochs: int = setting(60, "maximum epochs", 1, 10_000)
    hidden: int = setting(256, "hidden units of each encoder", 8, 8192)
    beta: float = setting(0.2, "weight of the KL term", 0.0, 10.0)
    dropout: float = setting(0.5, "input dropout of the encoders", 0.0, 0.95)


class Encoder(nn.Module):
    """A user's history in one domain -> (mu, logvar) [B, dim]: normalised multi-hot row, input
    dropout, tanh hidden layer (computed from the history's items, SparseInputLayer)."""

    def __init__(self, n_items: int, hidden: int, dim: int, dropout: float):
        super().__init__()
        self.hidden = SparseInputLayer(n_items, hidden, dropout)
        self.out = nn.Linear(hidden, 2 * dim)

    def forward(self, table: UserItems, users: torch.Tensor):
        mu, logvar = self.out(torch.tanh(self.hidden(table, users))).chunk(2, dim=1)
        return mu, logvar.clamp(-8, 8)


def multinomial_nll(logits: torch.Tensor, table: UserItems, users: torch.Tensor) -> torch.Tensor:
    """-Σ_i x_i log softmax(logits)_i per user, mean over users (Mult-VAE's likelihood), where x
    is each user's 0/1 history in `table`: the log-probabilities of their items, summed."""
    rows, items = table.coordinates(users)
    return -F.log_softmax(logits, dim=1)[rows, items].sum() / len(users)


class CrossDomainVAE(Method):
    """Variational encoders q(z|x^S), q(z|x^T) into one latent space; decoders p(x^S|z), p(x^T|z).

    A Mult-VAE (Liang et al., WWW 2018) per domain sharing one latent space, with a cross-domain
    reconstruction term; it is not CDRIB (Cao et al., ICDE 2022), which adds information-bottleneck
    regularisers over graph encoders. Loss: reconstruct each domain from its own latent,
    reconstruct the target from the *source* latent for shared users (what cold users rely on),
    plus β·KL to N(0, I). A cold user is encoded from their source history.
    """

    name = "vae"
    family = "variational alignment"
    summary = ("Encodes each user's history per domain into one shared Gaussian latent space and\n"
               "decodes both domains from it; cold users are encoded from their source history.")
    paper = ("Liang et al. Variational Autoencoders for Collaborative Filtering. WWW 2018 "
             "(Mult-VAE; here one shared latent with cross-domain reconstruction)")
    loss_latex = (r"\mathcal{L} = -\mathbb{E}_{q(z|x^S)}\!\left[\ln p(x^S|z) + \ln p(x^T|z)\right]"
                  r" - \mathbb{E}_{q(z|x^T)}\!\left[\ln p(x^T|z)\right] + \beta\,\big(\mathrm{KL}(q(z|x^S)\|\mathcal{N})"
                  r" + \mathrm{KL}(q(z|x^T)\|\mathcal{N})\big)")
    Settings = VAESettings
    phases = ("joint",)  # the phase names of its default plan (the card)

    def build(self, data, generator):
        s = self.settings
        model = nn.ModuleDict({
            "enc_source": Encoder(data.n_source_items, s.hidden, s.dim, s.dropout),
            "enc_target": Encoder(data.n_target_items, s.hidden, s.dim, s.dropout),
            "dec_source": nn.Linear(s.dim, data.n_source_items),
            "dec_target": nn.Linear(s.dim, data.n_target_items),
        })
        self.users_ = torch.nonzero((data.source.counts > 0) | data.has_target).flatten()
        return model

    def plan(self):
        s = self.settings
        return [Phase("joint", batches=lambda g: user_batches(self.users_, s.batch_size, g),
                      step=self.training_step, optimizers=self._optimizers, epochs=s.epochs)]

    def _encode(self, domain, table, users):
        mu, logvar = self.model_[f"enc_{domain}"](table, users)
        z = mu + torch.randn_like(mu) * (0.5 * logvar).exp() if self.model_.training else mu
        return z, gaussian_kl(mu, logvar)

    def training_step(self, users):
        d = self.data_
        has_s, has_t = d.source.counts[users] > 0, d.target.counts[users] > 0
        zero = torch.zeros((), device=users.device)
        rec_s = rec_t = cross = kl = zero
        if has_s.any():
            with_s = users[has_s]
            z_s, kl_s = self._encode("source", d.source, with_s)
            rec_s = multinomial_nll(self.model_["dec_source"](z_s), d.source, with_s)
            both = has_t[has_s]
            if both.any():  # source latent must explain the target history of shared users
                cross = multinomial_nll(self.model_["dec_target"](z_s[both]), d.target, with_s[both])
            kl = kl + kl_s
        if has_t.any():
            z_t, kl_t = self._encode("target", d.target, users[has_t])
            rec_t = multinomial_nll(self.model_["dec_target"](z_t), d.target, users[has_t])
            kl = kl + kl_t
        loss = rec_s + rec_t + cross + self.settings.beta * kl
        return {"loss": loss, "rec_source": rec_s, "rec_target": rec_t, "cross_rec": cross, "kl": kl}

    def _optimizers(self):
        return [adam(self.model_.parameters(), lr=self.settings.lr, weight_decay=self.settings.weight_decay)]

    def latent(self, users: torch.Tensor) -> torch.Tensor:
        """Mean latent: from the target history when the user has one, else from the source."""
        d = self.data_
        mu_t, _ = self.model_["enc_target"](d.target, users)
        mu_s, _ = self.model_["enc_source"](d.source, users)
        return torch.where(d.has_target[users].unsqueeze(1), mu_t, mu_s)

    def score(self, users):
        return self.model_["dec_target"](self.latent(users))

    @torch.no_grad()
    def embeddings(self):
        d = self.data_
        out = {"source": [], "target": []}
        for users in torch.arange(d.n_users, device=d.device).split(1024):
            out["source"].append(self.model_["enc_source"](d.source, users)[0])
            out["target"].append(self.model_["enc_target"](d.target, users)[0])
        return {k: to_numpy(torch.cat(v)) for k, v in out.items()}
