"""Backbones shared by methods (MF tables, MLPs)."""
