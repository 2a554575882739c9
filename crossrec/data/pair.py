"""DomainPair: two domains over one user index, linked users, and the target's evaluation split."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from crossrec.data.domain import RawDomain
from crossrec.errors import LinkError, SettingError
from crossrec.data.protocol import carve_validation, split_target


@dataclass
class Interactions:
    """Rows of one split as index arrays (user over the pair's user index, item over the domain's)."""

    users: np.ndarray
    items: np.ndarray
    timestamps: np.ndarray | None = None

    def __len__(self) -> int:
        return int(self.users.size)

    def take(self, mask: np.ndarray) -> "Interactions":
        ts = None if self.timestamps is None else self.timestamps[mask]
        return Interactions(self.users[mask], self.items[mask], ts)


@dataclass
class DomainPair:
    """Source and target domains sharing one user index.

    User `u` is the same person in both domains when `in_source[u] and in_target[u]` (the
    overlap). The source contributes all of its rows (knowledge, never evaluated); the target
    has train / valid / test rows.
    """

    name: str
    source_name: str
    target_name: str
    user_source_raw: np.ndarray  # raw source id per user index ("" when not a source user)
    user_target_raw: np.ndarray  # raw target id per user index ("" when not a target user)
    source_item_raw: np.ndarray
    target_item_raw: np.ndarray
    source: Interactions
    target_train: Interactions
    target_valid: Interactions
    target_test: Interactions
    split: str  # "given", "given test, validation carved", "protocol"
    notes: list[str] = field(default_factory=list)
    min_rating: float | None = None  # rows rated below it were dropped before anything was built
    liked_rows: dict = field(default_factory=dict)  # domain -> {"rows", "kept"} under min_rating

    @property
    def n_users(self) -> int:
        return int(self.user_source_raw.size)

    @property
    def n_source_items(self) -> int:
        return int(self.source_item_raw.size)

    @property
    def n_target_items(self) -> int:
        return int(self.target_item_raw.size)

    @property
    def in_source(self) -> np.ndarray:
        return self.user_source_raw != ""

    @property
    def in_target(self) -> np.ndarray:
        return self.user_target_raw != ""

    @property
    def overlap(self) -> np.ndarray:
        return self.in_source & self.in_target

    def require_overlap(self, who: str) -> None:
        """Raise a SettingError when no user is in both domains (`who` needs some)."""
        if not self.overlap.any():
            raise SettingError(f"{who} needs users shared by both domains, and pair {self.name} "
                               f"has none (give a link file?)")

    def require_test_users(self) -> None:
        """Raise a SettingError when the target has no test user: a run would measure nothing."""
        if self.target_test.users.size == 0:
            raise SettingError(f"pair {self.name} has no target test users, so a run could not be "
                               f"evaluated; give the target more rows (or a test file)")

    def has_target_train(self) -> np.ndarray:
        return np.bincount(self.target_train.users, minlength=self.n_users) > 0

    def test_users(self, group: str = "all", split: str = "test") -> np.ndarray:
        """Users with held-out rows in `split`, by group (the one definition of the groups):
        'warm' = some target training row; 'cold' = none, but a source history (what transfer
        serves); 'excluded' = neither (nothing to rank from); 'all' = warm and cold."""
        rows = self.target_test if split == "test" else self.target_valid
        users = np.unique(rows.users)
        warm = self.has_target_train()[users]
        known = warm | self.in_source[users]
        chosen = {"all": known, "warm": warm, "cold": ~warm & known, "excluded": ~known}[group]
        return users[chosen]

    def stats(self) -> dict:
        """The figures `python -m crossrec inspect` prints (users and items over all files of a domain)."""
        tgt_rows = [self.target_train, self.target_valid, self.target_test]
        tgt_users = np.unique(np.concatenate([r.users for r in tgt_rows]))
        tgt_items = np.unique(np.concatenate([r.items for r in tgt_rows]))
        n_src = int(np.count_nonzero(self.in_source))
        return {
            "pair": self.name,
            "source": {"name": self.source_name, "users": n_src,
                       "items": int(np.unique(self.source.items).size),
                       "interactions": len(self.source)},
            "target": {"name": self.target_name, "users": int(tgt_users.size),
                       "items": int(tgt_items.size),
                       "interactions": int(sum(len(r) for r in tgt_rows)),
                       "train": len(self.target_train), "valid": len(self.target_valid),
                       "test": len(self.target_test)},
            "overlap_users": int(np.count_nonzero(self.overlap)),
            "cold_test_users": int(self.test_users("cold").size),
            "warm_test_users": int(self.test_users("warm").size),
            "cold_valid_users": int(self.test_users("cold", "valid").size),
            "excluded_test_users": int(self.test_users("excluded").size),
            "warm_valid_users": int(self.test_users("warm", "valid").size),
            "split": self.split,
            "min_rating": self.min_rating,
            **({"liked_rows": self.liked_rows} if self.min_rating is not None else {}),
        }


def _link_users(src_raw: np.ndarray, tgt_raw: np.ndarray, links: pd.DataFrame | None):
    """Global user index: (user_source_raw, user_target_raw, source -> global, target -> global)."""
    n_src = src_raw.size
    if links is None:  # same raw id = same person
        union, codes = np.unique(np.concatenate([src_raw, tgt_raw]), return_inverse=True)
        user_src = np.full(union.size, "", dtype=object)
        user_tgt = np.full(union.size, "", dtype=object)
        user_src[codes[:n_src]] = src_raw
        user_tgt[codes[n_src:]] = tgt_raw
        return user_src, user_tgt, codes[:n_src], codes[n_src:]
    src_pos = pd.Index(src_raw).get_indexer(links["source"].to_numpy())
    tgt_pos = pd.Index(tgt_raw).get_indexer(links["target"].to_numpy())
    known = (src_pos >= 0) & (tgt_pos >= 0)
    if not known.any():
        raise LinkError(f"the link file matches no users: none of its {len(links)} rows pairs "
                        f"a source user with a target user", file=links.attrs.get("file"))
    pairs = pd.DataFrame({"s": src_pos[known], "t": tgt_pos[known]})
    pairs = pairs.drop_duplicates("s").drop_duplicates("t")  # one-to-one links
    tgt_global = np.full(tgt_raw.size, -1, dtype=np.int64)
    tgt_global[pairs["t"].to_numpy()] = pairs["s"].to_numpy()
    unlinked = np.flatnonzero(tgt_global < 0)
    tgt_global[unlinked] = n_src + np.arange(unlinked.size)
    n_users = n_src + unlinked.size
    user_src = np.full(n_users, "", dtype=object)
    user_tgt = np.full(n_users, "", dtype=object)
    user_src[:n_src] = src_raw
    user_tgt[tgt_global] = tgt_raw
    return user_src, user_tgt, np.arange(n_src), tgt_global


def _index(frames: list[pd.DataFrame], user_lookup: pd.Index, user_codes: np.ndarray):
    """Stack split frames and map raw ids to indices; returns (items_raw, per-split Interactions)."""
    allrows = pd.concat(frames, ignore_index=True)
    item_codes, items_raw = pd.factorize(allrows["item"].to_numpy(), sort=False)
    users = user_codes[user_lookup.get_indexer(allrows["user"].to_numpy())]
    ts = allrows["timestamp"].to_numpy() if "timestamp" in allrows else None
    out, start = [], 0
    for frame in frames:
        end = start + len(frame)
        out.append(Interactions(users[start:end].astype(np.int64),
                                item_codes[start:end].astype(np.int64),
                                None if ts is None else ts[start:end]))
        start = end
    return np.asarray(items_raw, dtype=object), out


def _concat(parts: list[Interactions]) -> Interactions:
    ts = None if any(p.timestamps is None for p in parts) else \
        np.concatenate([p.timestamps for p in parts])
    return Interactions(np.concatenate([p.users for p in parts]),
                        np.concatenate([p.items for p in parts]), ts)


def _repeats(rows: Interactions, train: Interactions) -> np.ndarray:
    """Which of `rows` repeat a (user, item) of `train`."""
    width = int(max(rows.items.max(initial=0), train.items.max(initial=0))) + 1
    return np.isin(rows.users * width + rows.items, train.users * width + train.items)


def _dedupe(rows: Interactions) -> Interactions:
    key = rows.users * (int(rows.items.max()) + 1 if len(rows) else 1) + rows.items
    _, first = np.unique(key, return_index=True)
    return rows.take(np.sort(first))


def build_pair(source: RawDomain, target: RawDomain, links: pd.DataFrame | None = None,
               name: str | None = None, seed: int = 0, cold_fraction: float = 0.2) -> DomainPair:
    """Link users, index ids and split the target (docs/ARCHITECTURE.md, "Data" and "Evaluation")."""
    src_frames = list(source.splits().values())
    tgt_splits = target.splits()
    src_raw = pd.unique(np.concatenate([f["user"].to_numpy() for f in src_frames]))
    tgt_raw = pd.unique(np.concatenate([f["user"].to_numpy() for f in tgt_splits.values()]))
    user_src, user_tgt, src_global, tgt_global = _link_users(np.asarray(src_raw, dtype=object),
                                                 np.asarray(tgt_raw, dtype=object), links)
    src_items, src_parts = _index(src_frames, pd.Index(src_raw), src_global)
    tgt_items, tgt_parts = _index(list(tgt_splits.values()), pd.Index(tgt_raw), tgt_global)
    parts = dict(zip(tgt_splits, tgt_parts))
    n_users = user_src.size
    overlap = (user_src != "") & (user_tgt != "")
    notes = []
    if "test" not in parts:
        train_mask, valid_mask, test_mask = split_target(parts["train"].users, parts["train"].timestamps,
                                                         overlap, n_users, seed, cold_fraction)
        train, valid, test = (parts["train"].take(m) for m in (train_mask, valid_mask, test_mask))
        split = "protocol"
    elif "valid" not in parts:
        keep, carve = carve_validation(parts["train"].users, parts["train"].timestamps,
                                       parts["test"].users, overlap, n_users, seed)
        train, valid, test = parts["train"].take(keep), parts["train"].take(carve), parts["test"]
        split = "given test, validation carved"
    else:
        train, valid, test = parts["train"], parts["valid"], parts["test"]
        split = "given"
    if split != "protocol":  # a given split may repeat a training (user, item) in its held-out rows
        for label, rows in (("validation", "valid"), ("test", "test")):
            held = valid if rows == "valid" else test
            repeated = _repeats(held, train)
            if repeated.any():
                notes.append(f"{int(repeated.sum())} {label} rows that repeat a training (user, item) "
                             f"were dropped")
                held = held.take(~repeated)
                valid, test = (held, test) if rows == "valid" else (valid, held)
    dropped = source.duplicates_dropped + target.duplicates_dropped
    if dropped:
        notes.append(f"{dropped} duplicate (user, item) rows dropped")
    return DomainPair(
        name=name or f"{source.name}->{target.name}", source_name=source.name,
        target_name=target.name, user_source_raw=user_src, user_target_raw=user_tgt,
        source_item_raw=src_items, target_item_raw=tgt_items,
        source=_dedupe(_concat(src_parts)), target_train=train, target_valid=valid,
        target_test=test, split=split, notes=notes)
