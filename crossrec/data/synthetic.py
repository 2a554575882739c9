"""Deterministic synthetic cross-domain data: shared user tastes plus a domain shift.

Each user has a latent taste `z` (k factors). Target tastes are `sqrt(1-shift)·z + sqrt(shift)·z'`
with an independent `z'`: at shift 0 a user likes the same directions in both domains (transfer
is easy), at shift 1 the domains are unrelated (transfer cannot help). Items have factors and a
Zipf-like popularity bias; each user's items are drawn without replacement from
`softmax(sharpness·z·v/√k + popularity·log-popularity)` by the Gumbel top-m trick.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, fields

import numpy as np
import pandas as pd

from crossrec.data.domain import RawDomain
from crossrec.errors import SettingError


@dataclass(frozen=True)
class SyntheticSettings:
    users: int = 3000          # people in total (both domains)
    overlap: float = 0.6       # share of users active in both domains
    source_items: int = 1000
    target_items: int = 800
    density: float = 0.02      # mean share of a domain's items a user interacts with
    shift: float = 0.3         # 0 = same tastes in both domains, 1 = unrelated tastes
    popularity: float = 0.6    # skew of item popularity (0 = uniform)
    factors: int = 8           # dimension of the latent tastes
    seed: int = 0

    RANGES = {"users": (50, 1_000_000), "overlap": (0.0, 1.0), "source_items": (20, 200_000),
              "target_items": (20, 200_000), "density": (0.001, 0.5), "shift": (0.0, 1.0),
              "popularity": (0.0, 3.0), "factors": (2, 128), "seed": (0, 2**32 - 1)}

    def __post_init__(self):
        for f in fields(self):
            low, high = self.RANGES[f.name]
            value = getattr(self, f.name)
            if not low <= value <= high:
                raise SettingError(f"synthetic setting {f.name}={value} is out of range "
                                   f"[{low}, {high}]")

    def expected_rows(self) -> int:
        """Interactions the settings ask for (each domain's users times their expected items)."""
        n_both = round(self.overlap * self.users)
        per_domain = n_both + (self.users - n_both) / 2
        return int(sum(per_domain * min(max(3, self.density * n), max(3, n // 2))
                       for n in (self.source_items, self.target_items)))


SHARPNESS = 3.0  # how strongly tastes (vs. popularity) drive choices


CHUNK_CELLS = 1 << 24  # users x items scored at once (128 MB of logits), whatever the item count


def _draw(tastes, item_factors, pop_logit, density, rng, prefix_items, user_ids, chunk=2048):
    n_items = item_factors.shape[0]
    chunk = max(1, min(chunk, CHUNK_CELLS // n_items))  # rows are drawn in order: chunking changes no value
    counts = np.clip(rng.poisson(density * n_items, size=tastes.shape[0]), 3, max(3, n_items // 2))
    users, items = [], []
    scale = SHARPNESS / np.sqrt(tastes.shape[1])
    for start in range(0, tastes.shape[0], chunk):
        logits = scale * tastes[start:start + chunk] @ item_factors.T + pop_logit
        logits += rng.gumbel(size=logits.shape)
        top = np.argsort(-logits, axis=1)[:, : counts[start:start + chunk].max()]
        keep = np.arange(top.shape[1])[None, :] < counts[start:start + chunk, None]
        rows = np.nonzero(keep)
        users.append(rows[0] + start)
        items.append(top[rows])
    users, items = np.concatenate(users), np.concatenate(items)
    stamps = rng.integers(1_600_000_000, 1_700_000_000, size=users.size)
    return pd.DataFrame({"user": user_ids[users], "item": prefix_items[items],
                         "rating": np.ones(users.size), "timestamp": stamps.astype(np.float64)})


def _popularity_logit(n_items: int, skew: float, rng) -> np.ndarray:
    ranks = rng.permutation(n_items) + 1.0
    return -skew * np.log(ranks)


# Names of the taste factors: an item is named after the factor it loads on most (its cluster),
# so a class sees why a recommendation fits ("Sci-fi · 12" after a history of Sci-fi items).
TASTES = ["Sci-fi", "Jazz", "Thriller", "Comedy", "Folk", "History", "Romance", "Poetry", "Horror",
          "Blues", "Travel", "Cooking", "Fantasy", "Opera", "Sports", "Nature"]


def _latents(s: SyntheticSettings):
    """The random draws in generation order: rng, tastes, own, roles, source and target factors."""
    rng = np.random.default_rng(s.seed)
    tastes = rng.normal(size=(s.users, s.factors))
    own = rng.normal(size=(s.users, s.factors))
    roles = rng.permutation(s.users)
    src_factors = rng.normal(size=(s.source_items, s.factors))
    tgt_factors = rng.normal(size=(s.target_items, s.factors))
    return rng, tastes, own, roles, src_factors, tgt_factors


def _names(factors: np.ndarray, prefix: str) -> dict[str, str]:
    cluster = factors.argmax(axis=1)
    return {f"{prefix}{i:05d}": f"{TASTES[c] if c < len(TASTES) else f'Taste {c + 1}'} · {i}"
            for i, c in enumerate(cluster)}


def item_titles(settings: SyntheticSettings = SyntheticSettings()) -> dict[str, dict[str, str]]:
    """{"source": {item id: title}, "target": {...}}: each item named by its taste cluster."""
    _, _, _, _, src_factors, tgt_factors = _latents(settings)
    return {"source": _names(src_factors, "s"), "target": _names(tgt_factors, "t")}


def generate(settings: SyntheticSettings = SyntheticSettings()) -> tuple[RawDomain, RawDomain]:
    """Return (source, target) RawDomains; the same settings always give the same data."""
    s = settings
    limit = int(os.environ.get("CROSSREC_MAX_ROWS", 100_000_000))
    if s.expected_rows() > limit:  # refused before anything is allocated
        raise SettingError(f"synthetic settings users={s.users}, source_items={s.source_items}, "
                           f"target_items={s.target_items}, density={s.density:g} ask for about "
                           f"{s.expected_rows():,} interactions, above the row limit of {limit:,} "
                           f"(CROSSREC_MAX_ROWS)")
    rng, tastes, own, roles, src_factors, tgt_factors = _latents(s)
    target_tastes = np.sqrt(1 - s.shift) * tastes + np.sqrt(s.shift) * own
    n_both = int(round(s.overlap * s.users))
    both, rest = roles[:n_both], roles[n_both:]
    src_users = np.sort(np.concatenate([both, rest[: rest.size // 2]]))
    tgt_users = np.sort(np.concatenate([both, rest[rest.size // 2:]]))
    ids = np.array([f"u{u:06d}" for u in range(s.users)], dtype=object)
    src_items = np.array([f"s{i:05d}" for i in range(s.source_items)], dtype=object)
    tgt_items = np.array([f"t{i:05d}" for i in range(s.target_items)], dtype=object)
    source = _draw(tastes[src_users], src_factors,
                   _popularity_logit(s.source_items, s.popularity, rng), s.density, rng,
                   src_items, ids[src_users])
    target = _draw(target_tastes[tgt_users], tgt_factors,
                   _popularity_logit(s.target_items, s.popularity, rng), s.density, rng,
                   tgt_items, ids[tgt_users])
    return RawDomain("source", source, path="synthetic"), RawDomain("target", target, path="synthetic")
