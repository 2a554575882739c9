"""Sweeps: search a method's settings (and a synthetic pair's knobs) on validation data with
Optuna; every trial is a run of the store, trained by the worker(s) like any other."""
