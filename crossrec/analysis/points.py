"""What the embedding plots show of a run: a sample of users per domain (cold users first), every
test user's rows (the Explain page places them) and each stage's vectors on PCA axes of the
sample, computed as the run ends and written by `ArtifactStore.save_embedding_views`; and the
alignment metrics of source vs target points (`stage_alignment`), computed later from the saved
vectors with the slow projections (`crossrec.runs.projections`)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from crossrec.analysis.alignment import alignment_metrics
from crossrec.analysis.projection import pca_basis, place
from crossrec.data.pair import DomainPair

POINTS_PER_DOMAIN = 1500   # users per domain kept for plots and alignment metrics


def sample_points(pair: DomainPair, seed: int) -> pd.DataFrame:
    """Users shown in plots: up to POINTS_PER_DOMAIN per domain, cold users first."""
    rng = np.random.default_rng(seed)
    has_train = pair.has_target_train()
    cold = np.zeros(pair.n_users, bool)
    for split in ("test", "valid"):
        cold[pair.test_users("cold", split)] = True
    frames = []
    for domain, members in (("source", pair.in_source), ("target", has_train)):
        users = np.flatnonzero(members)
        order = np.argsort(~cold[users] + rng.random(users.size) * 0.5)  # cold first, then random
        users = np.sort(users[order[:POINTS_PER_DOMAIN]])
        frames.append(pd.DataFrame({"user": users, "domain": domain,
                                    "overlap": pair.overlap[users], "cold": cold[users]}))
    return pd.concat(frames, ignore_index=True)


def test_user_points(pair: DomainPair) -> pd.DataFrame:
    """Every test user's rows (a source row where they have source history, a target row where
    they have target training rows): the Explain page places any of them on the PCA plot."""
    users = np.union1d(pair.test_users("cold", "test"), pair.test_users("warm", "test"))
    has_train = pair.has_target_train()
    frames = [pd.DataFrame({"user": users[members[users]], "domain": domain})
              for domain, members in (("source", pair.in_source), ("target", has_train))]
    return pd.concat(frames, ignore_index=True)


def stage_vectors(points: pd.DataFrame, vectors: dict, stage: str) -> tuple[pd.DataFrame, np.ndarray] | None:
    """Rows and vectors of one stage: source points use the aligned vectors after alignment."""
    src_key = "aligned" if stage == "after" and "aligned" in vectors else "source"
    parts, rows = [], []
    for domain, key in (("source", src_key), ("target", "target")):
        if key not in vectors:
            continue
        sel = points[points["domain"] == domain]
        rows.append(sel)
        parts.append(vectors[key][sel["user"].to_numpy()])
    if not parts:
        return None
    frame = pd.concat(rows, ignore_index=True)
    frame["stage"] = stage
    return frame, np.vstack(parts).astype(np.float32)


def _on_axes(rows: pd.DataFrame, vectors: np.ndarray, basis: dict) -> pd.DataFrame:
    xy = place(vectors, basis)
    return rows.assign(x=xy[:, 0], y=xy[:, 1])


@dataclass
class EmbeddingViews:
    stages: dict = field(default_factory=dict)      # stage -> (rows, vectors) of the plotted sample
    pca: list = field(default_factory=list)         # the sample on each stage's PCA axes
    test_points: list = field(default_factory=list)  # every test user on the same axes

    def summary(self) -> dict:
        return {"projections": ["pca"] if self.pca else []}


def embedding_views(pair: DomainPair, embeddings: dict, seed: int) -> EmbeddingViews:
    """Each stage's sampled vectors and their PCA placement (every test user placed on the same
    axes)."""
    points, test_points = sample_points(pair, seed), test_user_points(pair)
    views = EmbeddingViews()
    for stage, vectors in embeddings.items():
        got = stage_vectors(points, vectors, stage)
        if got is None:
            continue
        frame, x = got
        views.stages[stage] = (frame, x)
        basis = pca_basis(x, seed)  # the plotted sample's axes; every test user is placed on them
        views.pca.append(_on_axes(frame, x, basis))
        tested = stage_vectors(test_points, vectors, stage)
        if tested is not None:
            views.test_points.append(_on_axes(*tested, basis))
    return views


def stage_alignment(frame: pd.DataFrame, x: np.ndarray, seed: int) -> dict | None:
    """The alignment metrics of one stage's saved sample (its points frame and vectors): source
    rows against target rows; None when either has too few points to measure."""
    src, tgt = x[(frame["domain"] == "source").to_numpy()], x[(frame["domain"] == "target").to_numpy()]
    return alignment_metrics(src, tgt, seed) if len(src) > 5 and len(tgt) > 5 else None
