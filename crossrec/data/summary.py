"""Figures of a pair for the Data page: its stats plus per-user and per-item activity counts."""

from __future__ import annotations

import numpy as np

from crossrec.data.pair import DomainPair


def activity_summary(pair: DomainPair) -> dict:
    """`pair.stats()`, notes, interactions per user and per item in each domain (all target
    splits together), and how many users each domain holds alone or shares."""
    target = [pair.target_train, pair.target_valid, pair.target_test]
    target_users = np.concatenate([r.users for r in target])
    target_items = np.concatenate([r.items for r in target])
    return {"stats": pair.stats(), "notes": pair.notes,
            "source_user_counts": np.bincount(pair.source.users, minlength=pair.n_users)[pair.in_source],
            "target_user_counts": np.bincount(target_users, minlength=pair.n_users)[pair.in_target],
            "source_item_counts": np.bincount(pair.source.items),
            "target_item_counts": np.bincount(target_items),
            "source_only": int((pair.in_source & ~pair.in_target).sum()),
            "both": int(pair.overlap.sum()), "target_only": int((pair.in_target & ~pair.in_source).sum())}
