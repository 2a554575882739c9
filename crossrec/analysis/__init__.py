"""Alignment analysis: projections (UMAP, PCA, t-SNE) and alignment metrics."""
