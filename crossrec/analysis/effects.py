"""Statistics of a comparison, from well-kept libraries: the spread of a group of runs (scipy's t
interval), effect sizes against a baseline that a listener can say aloud (ratio and difference
of means, the difference with a paired bootstrap CI over test users, `scipy.stats.bootstrap`),
and paired tests over the same test users (Wilcoxon signed-rank with two zero handlings, and the
paired t-test reported beside them).

Paired data: one row per (split seed, test user) with each side's metric averaged over its
training seeds; rows are weighted so that every split counts equally, which makes the weighted
mean of the per-user differences equal the difference of the groups' means (the mean over runs
of each run's mean over users) when each split has its runs on both sides.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import stats

ALPHA = 0.05
BOOTSTRAP_RESAMPLES = 1999
ZERO_METHODS = ("zsplit", "pratt")  # how the Wilcoxon test treats users whose difference is 0


def describe(values: list[float]) -> dict:
    """mean, sample std (ddof=1) and 95% t interval; std and ci95 are None for one value."""
    x = np.asarray(values, dtype=float)
    mean = float(x.mean()) if x.size else math.nan
    if x.size < 2:
        return {"mean": mean, "std": None, "ci95": None, "n": int(x.size)}
    std = float(x.std(ddof=1))
    if std == 0.0:
        return {"mean": mean, "std": 0.0, "ci95": [mean, mean], "n": int(x.size)}
    low, high = stats.t.interval(0.95, x.size - 1, loc=mean, scale=std / math.sqrt(x.size))
    return {"mean": mean, "std": std, "ci95": [float(low), float(high)], "n": int(x.size)}


def paired(ours: pd.DataFrame, theirs: pd.DataFrame, metric: str) -> pd.DataFrame:
    """(split, user, diff, weight) for the users both sides tested in the same split."""
    both = ours.merge(theirs, on=["split", "user"], suffixes=("", "_base"))
    both["diff"] = both[metric] - both[f"{metric}_base"]
    both["weight"] = 1.0 / both.groupby("split")["user"].transform("size") / both["split"].nunique()
    return both[["split", "user", "diff", "weight"]]


def _weighted_mean(diff, weight, axis=-1):
    return (diff * weight).sum(axis=axis) / weight.sum(axis=axis)


def difference_ci(pairs: pd.DataFrame, seed: int = 0) -> list[float] | None:
    """95% CI of the (split-weighted) mean per-user difference: a paired percentile bootstrap
    over test users (users resampled with their weight; percentile, not BCa, whose jackknife
    grows with the square of the users), seeded, so a comparison prints the same CI twice."""
    diff, weight = pairs["diff"].to_numpy(float), pairs["weight"].to_numpy(float)
    if diff.size < 2:
        return None
    if np.all(diff == diff[0]):
        return [float(diff[0]), float(diff[0])]
    result = stats.bootstrap((diff, weight), _weighted_mean, paired=True, vectorized=True,
                             n_resamples=BOOTSTRAP_RESAMPLES, confidence_level=0.95, method="percentile",
                             batch=256, random_state=np.random.default_rng(seed))
    low, high = result.confidence_interval
    return [float(low), float(high)] if math.isfinite(low) and math.isfinite(high) else None


def paired_tests(pairs: pd.DataFrame) -> dict:
    """Raw p-values of the per-user differences: Wilcoxon signed-rank (zsplit and pratt zero
    handling) and the paired t-test. All differences zero: nothing to tell apart (p = 1)."""
    diff = pairs["diff"].to_numpy(float)
    if not np.any(diff != 0):
        return {"zsplit": 1.0, "pratt": 1.0, "ttest": 1.0}
    out = {z: float(stats.wilcoxon(diff, zero_method=z).pvalue) for z in ZERO_METHODS}
    if np.allclose(diff, diff[0]):  # no spread: the t statistic is infinite
        out["ttest"] = 0.0
    else:
        t = stats.ttest_1samp(diff, 0.0).pvalue
        out["ttest"] = float(t) if math.isfinite(t) else 1.0
    return out


def format_p(p: float) -> str:
    return "p < 0.001" if p < 0.001 else f"p = {p:.3g}"


def verdict(difference: float | None, p: dict, paired_n: int) -> str:
    """better / worse / no significant difference when both Wilcoxon zero handlings agree at
    ALPHA (Holm-adjusted); "depends on the test" with both p-values when they do not."""
    if difference is None or not p:
        return ""
    significant = {z: p[z] < ALPHA for z in ZERO_METHODS}
    if significant["zsplit"] != significant["pratt"]:
        return (f"depends on the test (Wilcoxon zsplit {format_p(p['zsplit'])}, pratt {format_p(p['pratt'])}; "
                f"n = {paired_n})")
    if significant["zsplit"]:
        word = "better" if difference > 0 else "worse"
        return f"{word} (Wilcoxon {format_p(max(p['zsplit'], p['pratt']))}, n = {paired_n})"
    return f"no significant difference (Wilcoxon {format_p(min(p['zsplit'], p['pratt']))}, n = {paired_n})"
