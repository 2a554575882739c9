"""Explicit ratings: a minimum rating that counts as liked (RecBole's `threshold`, LensKit's
rating filters). Rows rated below it are dropped from a domain before users, items, links and
splits are built; a domain without a rating column, a threshold that is not a finite number and
a threshold that leaves a domain empty are refused in one line."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import pandas as pd

from crossrec.data.domain import RawDomain
from crossrec.data.numbers import strict_float
from crossrec.errors import DataError, SettingError


def check_min_rating(value, what: str = "min_rating") -> float:
    """A finite number from a number or ASCII text (`nan`, `inf`, words are refused)."""
    threshold = strict_float(value, what)
    if not math.isfinite(threshold):
        raise SettingError(f"{what} {value!r} is not a finite number")
    return threshold


def label(threshold: float) -> str:
    return f"rating ≥ {threshold:g}"


def keep_liked(domain: RawDomain, threshold: float) -> tuple[RawDomain, dict]:
    """The domain with only rows rated at least `threshold` in every split, and the counts
    {"rows", "kept"}; DataError naming the file and the threshold when it cannot apply."""
    splits = domain.splits()
    if any("rating" not in frame.columns for frame in splits.values()):
        raise DataError(f"min_rating {threshold:g} needs a rating column, and this file has none",
                        file=domain.path)
    kept = {name: frame[frame["rating"].to_numpy(dtype=float) >= threshold] for name, frame in splits.items()}
    if kept["train"].empty:
        raise DataError(f"min_rating {threshold:g} leaves the domain empty (no row rated "
                        f"{threshold:g} or more)", file=domain.path)
    for name, frame in kept.items():
        frame.attrs.update(splits[name].attrs)
    counts = {"rows": int(sum(len(f) for f in splits.values())), "kept": int(sum(len(f) for f in kept.values()))}
    return replace(domain, **kept), counts


@dataclass
class RatingProfile:
    """What a threshold would keep of one file, computed once: how many rows carry each rating,
    and how many users (items) have their highest rating at each value."""
    ratings: pd.Series      # rating value -> rows
    user_best: pd.Series    # rating value -> users whose highest rating it is
    item_best: pd.Series

    def kept(self, threshold: float) -> dict:
        above = lambda counts: int(counts[counts.index >= threshold].sum())  # noqa: E731
        return {"rows": above(self.ratings), "users": above(self.user_best), "items": above(self.item_best)}

    def total(self) -> dict:
        return {"rows": int(self.ratings.sum()), "users": int(self.user_best.sum()),
                "items": int(self.item_best.sum())}


def rating_profile(frame: pd.DataFrame) -> RatingProfile | None:
    """The profile of an interaction table, or None without a rating column."""
    if "rating" not in frame.columns:
        return None
    rating = frame["rating"].astype(float)
    best = lambda key: rating.groupby(frame[key].to_numpy()).max().value_counts().sort_index()  # noqa: E731
    return RatingProfile(rating.value_counts().sort_index(), best("user"), best("item"))
