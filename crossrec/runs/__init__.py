"""Runs: the store (SQLite), artifacts, the executor seam and the background worker."""
