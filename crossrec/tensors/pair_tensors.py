"""A DomainPair's interactions as tensors on the training device (built once per run)."""

from __future__ import annotations

import numpy as np
import torch

from crossrec.data.pair import DomainPair, Interactions


class UserItems:
    """Compressed rows (CSR) of user -> items on a device, for vectorised masks and histories."""

    def __init__(self, rows: Interactions, n_users: int, n_items: int, device):
        order = np.lexsort((rows.items, rows.users))
        users, items = rows.users[order], rows.items[order]
        counts = np.bincount(users, minlength=n_users)
        self.n_users, self.n_items = n_users, n_items
        self.indptr = torch.as_tensor(np.r_[0, np.cumsum(counts)], device=device)
        self.indices = torch.as_tensor(items, device=device)
        self.counts = torch.as_tensor(counts, device=device)
        self.keys = torch.as_tensor(users * n_items + items, device=device)  # sorted

    def coordinates(self, users: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(row in batch, item) for every item of each user in `users`."""
        counts = self.counts[users]
        rows = torch.repeat_interleave(torch.arange(users.numel(), device=users.device), counts)
        starts = torch.repeat_interleave(self.indptr[users], counts)
        offsets = torch.arange(rows.numel(), device=users.device) - \
            torch.repeat_interleave(torch.cumsum(counts, 0) - counts, counts)
        return rows, self.indices[starts + offsets]

    def dense(self, users: torch.Tensor, dtype=torch.float32) -> torch.Tensor:
        """Multi-hot [len(users), n_items] rows."""
        out = torch.zeros(users.numel(), self.n_items, dtype=dtype, device=users.device)
        rows, items = self.coordinates(users)
        out[rows, items] = 1
        return out

    def contains(self, users: torch.Tensor, items: torch.Tensor) -> torch.Tensor:
        """Whether each (user, item) is a row of this table."""
        if self.keys.numel() == 0:
            return torch.zeros_like(users, dtype=torch.bool)
        keys = users * self.n_items + items
        pos = torch.searchsorted(self.keys, keys).clamp(max=self.keys.numel() - 1)
        return self.keys[pos] == keys

    def padded(self, users: torch.Tensor, max_len: int, generator=None) -> torch.Tensor:
        """Up to `max_len` items per user (a random subset when longer), padded with -1."""
        rows, items = self.coordinates(users)
        if rows.numel() == 0:
            return torch.full((users.numel(), max_len), -1, dtype=torch.long, device=users.device)
        noise = torch.rand(rows.numel(), generator=generator, device=users.device)
        order = torch.argsort(rows.double() * 2 + noise)  # random order within each user
        rows, items = rows[order], items[order]
        first = torch.cumsum(self.counts[users], 0) - self.counts[users]
        pos = torch.arange(rows.numel(), device=users.device) - first[rows]
        keep = pos < max_len
        out = torch.full((users.numel(), max_len), -1, dtype=torch.long, device=users.device)
        out[rows[keep], pos[keep]] = items[keep]
        return out


class PairTensors:
    """Source rows, target train/valid/test rows and user groups, on one device."""

    def __init__(self, pair: DomainPair, device):
        self.pair, self.device = pair, torch.device(device)
        self.n_users = pair.n_users
        self.n_source_items, self.n_target_items = pair.n_source_items, pair.n_target_items
        dev = self.device
        self.source_users = torch.as_tensor(pair.source.users, device=dev)
        self.source_items = torch.as_tensor(pair.source.items, device=dev)
        self.target_users = torch.as_tensor(pair.target_train.users, device=dev)
        self.target_items = torch.as_tensor(pair.target_train.items, device=dev)
        self.source = UserItems(pair.source, self.n_users, self.n_source_items, dev)
        self.target = UserItems(pair.target_train, self.n_users, self.n_target_items, dev)
        self.valid = UserItems(pair.target_valid, self.n_users, self.n_target_items, dev)
        self.test = UserItems(pair.target_test, self.n_users, self.n_target_items, dev)
        self.in_source = torch.as_tensor(pair.in_source, device=dev)
        self.has_target = self.target.counts > 0
        self.overlap = torch.as_tensor(pair.overlap, device=dev)
        self._groups: dict[tuple[str, str], torch.Tensor] = {}

    def heldout(self, split: str) -> UserItems:
        return {"valid": self.valid, "test": self.test}[split]

    def rows(self, domain: str) -> tuple[torch.Tensor, torch.Tensor, UserItems]:
        """A domain's training rows: (users, items, the user -> items table)."""
        if domain == "source":
            return self.source_users, self.source_items, self.source
        return self.target_users, self.target_items, self.target

    def users_of(self, split: str, group: str) -> torch.Tensor:
        """Users with held-out rows in `split` of a group (`DomainPair.test_users` defines them)."""
        key = (split, group)
        if key not in self._groups:
            self._groups[key] = torch.as_tensor(self.pair.test_users(group, split), device=self.device)
        return self._groups[key]

    def overlap_warm_users(self) -> torch.Tensor:
        """Users with source rows and target training rows (what mapping methods learn from)."""
        return torch.nonzero(self.in_source & self.has_target & (self.source.counts > 0)).flatten()
