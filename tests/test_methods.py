"""Conformance of every registered method, plus reproducibility."""

import dataclasses

import numpy as np
import pytest
import torch

from crossrec.data import load_pair
from crossrec.methods.registry import MODULES, all_methods, get_method
from crossrec.methods.settings import make_settings, parse_assignments
from crossrec.train.seeding import seed_everything
from crossrec.tensors.pair_tensors import PairTensors
from crossrec.train.trainer import Trainer, train_step

SMALL = {"dim": 8, "epochs": 2, "batch_size": 256}


@pytest.fixture(scope="module")
def data():
    return PairTensors(load_pair("synthetic-tiny"), "cpu")


def test_registry_is_explicit_and_complete():
    assert list(all_methods()) == list(MODULES)
    for name, cls in all_methods().items():
        assert cls.name == name and cls.paper and cls.loss_latex and cls.summary.count("\n") == 1
        assert cls.__doc__ and len(cls.__doc__) > 80


@pytest.mark.parametrize("name", MODULES)
def test_two_steps_score_and_embeddings(name, data):
    method = get_method(name)(SMALL)
    generator = seed_everything(0, "cpu")
    method.setup(data, generator)
    for phase in method.plan():
        if phase.on_start:
            phase.on_start()
        optimizers = phase.optimizers() if phase.optimizers else []
        for _, batch in zip(range(2), phase.batches(generator)):
            losses = train_step(phase, batch, optimizers)
            assert "loss" in losses
            for key, value in losses.items():
                assert torch.isfinite(value).all(), f"{name}/{phase.name}/{key}"
        if phase.on_end:
            phase.on_end()
    method.model_.eval()
    users = torch.arange(7)
    with torch.no_grad():
        scores = method.score(users)
        assert scores.shape == (7, data.n_target_items)
        assert torch.isfinite(scores).all()
        vectors = method.embeddings()
    if name != "popularity":
        assert "target" in vectors
    for key, matrix in vectors.items():
        assert matrix.shape[0] == data.n_users and np.isfinite(matrix).all(), key
    if "source" in vectors:
        assert vectors["source"].shape == vectors["target"].shape


@pytest.mark.parametrize("name", MODULES)
def test_settings_round_trip_through_set(name):
    cls = get_method(name).Settings
    defaults = cls()
    pairs = [f"{f.name}={getattr(defaults, f.name)}" for f in dataclasses.fields(cls)]
    assert make_settings(cls, parse_assignments(pairs)) == defaults
    # the constructor only stores settings
    method = get_method(name)({"dim": 12})
    assert method.settings.dim == 12 and vars(method) == {"settings": method.settings}


def test_cards_report_each_methods_real_phases():
    from crossrec.methods.catalog import all_cards
    phases = {c["name"]: c["phases"] for c in all_cards()}
    assert phases["popularity"] == [] and phases["cmf"] == ["joint"]
    assert phases["emcdr"] == ["source", "target", "map"]
    assert phases["dann"] == ["pretrain", "adversarial"]
    # distill: its default teacher's (cmf) plan, renamed, then the student
    assert phases["distill"] == ["teacher:joint", "student"]
    assert get_method("distill")({"teacher": "emcdr"}).plan()[2].name == "teacher:map"


def test_same_seed_same_result_other_seed_differs():
    pair = load_pair("synthetic-tiny")
    run = lambda seed: Trainer(get_method("cmf")({"dim": 8, "epochs": 3}), pair, "cpu", seed).fit().metrics  # noqa: E731
    assert run(0) == run(0)
    assert run(0) != run(1)


def test_device_choice_is_checked():
    from crossrec.errors import SettingError
    from crossrec.train.device import pick_device
    assert pick_device("cpu").type == "cpu"
    if not torch.cuda.is_available():
        with pytest.raises(SettingError):
            pick_device("cuda")


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA GPU")
def test_cuda_path_keeps_everything_on_the_gpu():
    pair = load_pair("synthetic-tiny")
    trainer = Trainer(get_method("cmf")({"dim": 8, "epochs": 2}), pair, "cuda", 0)
    result = trainer.fit()
    assert result.device.startswith("cuda")
    assert trainer.data.target_users.is_cuda
    assert all(p.is_cuda for p in trainer.method.model_.parameters())


@pytest.mark.parametrize("method", ["target_only", "cmf", "conet", "dann"])
def test_loss_curves_are_per_row_so_an_epochs_small_last_batch_does_not_dip(method, data):
    # Losses summed over a batch's rows would fall to ~(last batch / batch size) at each epoch end.
    rows = data.target_users.numel() + (0 if method == "target_only" else data.source_users.numel())
    batch_size = next(b for b in range(300, 2000) if 0 < rows % b < 0.1 * b)
    events = []
    settings = {"dim": 8, "epochs": 2, "batch_size": batch_size}
    if method == "dann":
        settings["pretrain_epochs"] = 1
    Trainer(get_method(method)(settings), load_pair("synthetic-tiny"), "cpu", 0,
            callbacks=[lambda event, payload: events.append(payload) if event == "steps" else None]).fit()
    by_epoch = {}
    for payload in events:
        by_epoch.setdefault((payload["phase"], payload["epoch"]), []).extend(v["loss"] for _, v in payload["rows"])
    checked = 0
    for losses in by_epoch.values():
        if len(losses) >= 3:
            assert losses[-1] > 0.5 * float(np.median(losses[:-1])), losses
            checked += 1
    assert checked >= 2


def test_distill_soft_labels_come_from_the_teachers_cached_top_and_random_items():
    import torch.nn.functional as F
    method = get_method("distill")({"epochs": 2, "dim": 8, "soft_candidates": 20, "student_dim": 8})
    Trainer(method, load_pair("synthetic-tiny"), "cpu", 0).fit()
    users = method.known_users_[:50]
    with torch.no_grad():
        full = method.teacher.score(users)
    rows = method.cache_row_[users]
    cached_ids, cached_scores = method.cache_ids_[rows], method.cache_scores_[rows]
    assert cached_ids.shape == (50, 40)
    assert torch.equal(cached_scores, full.gather(1, cached_ids))  # the teacher's own scores
    top_scores = full.topk(20, dim=1).values
    assert torch.allclose(cached_scores[:, :20], top_scores)  # its top-20, best first
    # the soft-label loss is the KL between the two softmaxes restricted to those 40 items
    candidates, teacher_scores, top = method._distill_targets(users)
    student = method.model_["student"]
    with torch.no_grad():
        s = (student.users(users).unsqueeze(1) * student.items(candidates)).sum(-1)
        t = method.settings.temperature
        by_hand = (F.softmax(teacher_scores / t, 1) * (F.log_softmax(teacher_scores / t, 1)
                                                       - F.log_softmax(s / t, 1))).sum(1).mean() * t * t
        assert torch.allclose(method.soft_(s, teacher_scores), by_hand, atol=1e-5)
    assert torch.equal(top[0], torch.arange(10))  # the ranked positives: the teacher's top-10
