"""Evaluation splits of the target domain (docs/ARCHITECTURE.md, "Evaluation"), vectorised.

- No given test: a seeded `cold_fraction` of overlapping target users become cold-start users
  (all their target rows held out; half of these users go to validation, half to test). The
  other target users get leave-one-out: the latest row (by timestamp, else a seeded random one)
  is the warm test item, and the next one a warm validation item when at least two remain.
- Given test, no validation: validation is carved out of the target's training rows the same
  way (cold validation users from overlapping users outside the test, as many as the test has
  cold users; one warm validation row from a seeded `CARVED_WARM_SHARE` of the users with at
  least three training rows: a few thousand users select epochs well, and the given training
  data stays nearly whole, so results stay comparable with papers using the same split).
  The given test is never touched.
- Given test and validation: used as is.
"""

from __future__ import annotations

import numpy as np

MIN_ROWS_FOR_WARM_VALID = 3  # keep at least two training rows for a user who lends one
CARVED_WARM_SHARE = 0.2


def _pick_one_per_user(users: np.ndarray, order_key, eligible: np.ndarray) -> np.ndarray:
    """Index of the row that sorts last by `order_key` (a tuple of arrays, least significant
    first, as np.lexsort takes them) per eligible user: one row per user."""
    rows = np.flatnonzero(eligible[users])
    if rows.size == 0:
        return rows
    order = rows[np.lexsort(tuple(k[rows] for k in order_key) + (users[rows],))]
    last_of_user = np.r_[users[order][1:] != users[order][:-1], True]
    return order[last_of_user]


def _order_key(n: int, timestamps: np.ndarray | None, rng: np.random.Generator) -> tuple:
    """Sort keys: by timestamp (latest last), ties (and files without timestamps) at random."""
    noise = rng.random(n)
    return (noise,) if timestamps is None else (noise, timestamps)


def _take(key: tuple, rows: np.ndarray) -> tuple:
    return tuple(k[rows] for k in key)


def _leave_one_out(users, key, n_users, min_rows) -> np.ndarray:
    counts = np.bincount(users, minlength=n_users)
    return _pick_one_per_user(users, key, counts >= min_rows)


def split_target(users: np.ndarray, timestamps: np.ndarray | None, overlap: np.ndarray,
                 n_users: int, seed: int, cold_fraction: float = 0.2):
    """Split target rows without a given test. Returns boolean row masks (train, valid, test)."""
    rng = np.random.default_rng(seed)
    n = users.size
    key = _order_key(n, timestamps, rng)
    has_rows = np.bincount(users, minlength=n_users) > 0
    candidates = np.flatnonzero(overlap & has_rows)
    cold = rng.permutation(candidates)[: int(round(cold_fraction * candidates.size))]
    cold_valid_users = np.zeros(n_users, bool)
    cold_test_users = np.zeros(n_users, bool)
    cold_valid_users[cold[: cold.size // 2]] = True
    cold_test_users[cold[cold.size // 2:]] = True
    valid = cold_valid_users[users].copy()
    test = cold_test_users[users].copy()
    warm = ~(valid | test)
    warm_rows = np.flatnonzero(warm)
    test_pick = warm_rows[_leave_one_out(users[warm_rows], _take(key, warm_rows), n_users, 2)]
    test[test_pick] = True
    remaining = np.flatnonzero(~(valid | test))
    valid_pick = remaining[_leave_one_out(users[remaining], _take(key, remaining), n_users,
                                          MIN_ROWS_FOR_WARM_VALID - 1)]
    valid[valid_pick] = True
    return ~(valid | test), valid, test


def carve_validation(train_users: np.ndarray, timestamps: np.ndarray | None,
                     test_users: np.ndarray, overlap: np.ndarray, n_users: int, seed: int):
    """Carve a validation split out of given training rows. Returns masks (train, valid)."""
    rng = np.random.default_rng(seed)
    n = train_users.size
    key = _order_key(n, timestamps, rng)
    has_train = np.bincount(train_users, minlength=n_users) > 0
    in_test = np.zeros(n_users, bool)
    in_test[test_users] = True
    n_cold_test = int(np.count_nonzero(in_test & ~has_train))
    valid = np.zeros(n, bool)
    if n_cold_test:
        candidates = np.flatnonzero(overlap & has_train & ~in_test)
        cold = rng.permutation(candidates)[: min(n_cold_test, candidates.size // 2)]
        cold_users = np.zeros(n_users, bool)
        cold_users[cold] = True
        valid |= cold_users[train_users]
    rest = np.flatnonzero(~valid)
    chosen = np.zeros(n_users, bool)
    chosen[rng.permutation(n_users)[: int(round(CARVED_WARM_SHARE * n_users))]] = True
    rest = rest[chosen[train_users[rest]]]
    pick = rest[_leave_one_out(train_users[rest], _take(key, rest), n_users, MIN_ROWS_FOR_WARM_VALID)]
    valid[pick] = True
    return ~valid, valid
