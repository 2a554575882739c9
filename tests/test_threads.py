"""Threads that fit: at most cores / concurrency, an override, and the trainer applies them."""

import pytest
import torch

from crossrec.data import load_pair
from crossrec.errors import SettingError
from crossrec.methods.registry import get_method
from crossrec.train.threads import choose_threads, usable_cores
from crossrec.train.trainer import Trainer


def test_override_and_concurrency_budget(monkeypatch):
    monkeypatch.setenv("CROSSREC_THREADS", "3")
    assert choose_threads() == 3
    monkeypatch.setenv("CROSSREC_THREADS", "0")
    with pytest.raises(SettingError, match="at least 1"):
        choose_threads()
    monkeypatch.delenv("CROSSREC_THREADS")
    monkeypatch.setenv("CROSSREC_CONCURRENCY", str(usable_cores()))
    assert choose_threads() == 1  # as many runs as cores: one thread each
    monkeypatch.setenv("CROSSREC_CONCURRENCY", "1")
    assert 1 <= choose_threads() <= usable_cores()


def test_the_trainer_sets_threads_at_each_phase(monkeypatch):
    before = torch.get_num_threads()
    monkeypatch.setenv("CROSSREC_THREADS", "1")
    try:
        result = Trainer(get_method("emcdr")({"epochs": 1, "map_epochs": 1, "dim": 8}),
                         load_pair("synthetic-tiny"), "cpu", 0).fit()
        assert result.threads == [1, 1, 1] and torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)
