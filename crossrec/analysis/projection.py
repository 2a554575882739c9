"""2-D projections of user representations (UMAP, PCA, t-SNE).

UMAP has a fixed seed; the first fit in a process pays numba's compile time (~20 s), which is
why the worker computes projections and pages only read them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

METHODS = ("umap", "pca", "tsne")


def pca_basis(x: np.ndarray, seed: int = 0) -> dict[str, np.ndarray]:
    """The 2-D PCA of `x` as {"mean", "components"}: `(v - mean) @ components.T` places any vector,
    such as a user the plotted sample left out, on the same axes."""
    from sklearn.decomposition import PCA
    x = np.asarray(x, dtype=np.float32)
    if len(x) < 3:
        return {"mean": np.zeros(x.shape[1], np.float32), "components": np.zeros((2, x.shape[1]), np.float32)}
    pca = PCA(n_components=2, random_state=seed).fit(x)
    return {"mean": pca.mean_.astype(np.float32), "components": pca.components_.astype(np.float32)}


def place(vectors: np.ndarray, basis: dict[str, np.ndarray]) -> np.ndarray:
    return (np.asarray(vectors, np.float32) - basis["mean"]) @ basis["components"].T


def fit_2d(x: np.ndarray, method: str = "pca", seed: int = 0) -> np.ndarray:
    """[n, d] -> [n, 2] coordinates."""
    x = np.asarray(x, dtype=np.float32)
    if len(x) < 3:
        return np.zeros((len(x), 2))
    if method == "pca":
        return place(x, pca_basis(x, seed))
    if method == "tsne":
        from sklearn.manifold import TSNE
        return TSNE(n_components=2, random_state=seed, init="pca",
                    perplexity=min(30.0, (len(x) - 1) / 3)).fit_transform(x)
    if method == "umap":
        import umap  # heavy import, only where a UMAP is asked for
        return umap.UMAP(n_components=2, random_state=seed, n_neighbors=min(15, len(x) - 1),
                         init="spectral" if len(x) > 20 else "random").fit_transform(x)
    raise ValueError(f"unknown projection {method!r}; use {', '.join(METHODS)}")


def project(points: pd.DataFrame, vectors: np.ndarray, method: str = "pca", seed: int = 0) -> pd.DataFrame:
    """Coordinates for one stage: `points` (one row per vector: user, domain, overlap, cold...)
    plus columns x, y. Source and target are fitted together, so they share axes."""
    xy = fit_2d(vectors, method, seed)
    out = points.copy()
    out["x"], out["y"] = xy[:, 0], xy[:, 1]
    return out
