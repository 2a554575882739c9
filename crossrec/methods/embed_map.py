"""The embed-then-map family's shared part: a BPR-MF per domain, then a learned bridge that
turns a user's source vector into a target vector for cold users (EMCDR, PTUPCDR)."""

from __future__ import annotations

import torch

from crossrec.methods.base import Method, bpr_phase, to_numpy
from crossrec.methods.plan import Phase
from crossrec.models.mf import TwoDomainMF


class EmbedThenMap(Method):
    """Subclasses add their bridge to the model (`build`), define `mapped` and the bridge phase."""

    def build(self, data, generator):
        return TwoDomainMF(data.n_users, data.n_source_items, data.n_target_items, self.settings.dim)

    def plan(self):
        return [bpr_phase(self, "source", lambda: self.model_["source"], "source", select=None),
                bpr_phase(self, "target", lambda: self.model_["target"], "target", select="warm"),
                self.bridge_phase()]

    def bridge_phase(self) -> Phase:
        """The phase that learns the bridge (selected on cold validation users)."""
        raise NotImplementedError

    def mapped(self, users: torch.Tensor) -> torch.Tensor:
        """Target-space vectors of `users` made from their source side."""
        raise NotImplementedError

    def score(self, users):
        target = self.model_["target"]
        vectors = target.users(users)
        cold = ~self.data_.has_target[users]
        if cold.any():  # users without target history get their mapped source vector
            vectors = torch.where(cold.unsqueeze(1), self.mapped(users), vectors)
        return target.score_all(vectors)

    @torch.no_grad()
    def embeddings(self):
        users = torch.arange(self.data_.n_users, device=self.data_.device)
        return {"source": to_numpy(self.model_["source"].users.weight),
                "target": to_numpy(self.model_["target"].users.weight),
                "aligned": to_numpy(torch.cat([self.mapped(u) for u in users.split(8192)]))}
