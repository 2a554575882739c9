"""Conformance of every registered method, plus reproducibility."""

import dataclasses

import numpy as np
import pytest
import torch

from crossrec.data import load_pair
from crossrec.methods.registry import METHODS, all_methods, get_method
from crossrec.methods.settings import make_settings, parse_assignments
from crossrec.train.seeding import seed_everything
from crossrec.tensors.pair_tensors import PairTensors
from crossrec.train.trainer import Trainer, train_step

SMALL = {"dim": 8, "epochs": 2, "batch_size": 256}


@pytest.fixture(scope="module")
def data():
    return PairTensors(load_pair("synthetic-tiny"), "cpu")


def test_registry_is_explicit_and_complete():
    assert list(all_methods()) == list(METHODS)
    for name, cls in all_methods().items():
        assert cls.name == name and cls.paper and cls.loss_latex and cls.summary.count("\n") == 1
        assert cls.__doc__ and len(cls.__doc__) > 80


@pytest.mark.parametrize("name", METHODS)
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


@pytest.mark.parametrize("name", METHODS)
def test_settings_round_trip_through_set(name):
    cls = get_method(name).Settings
    defaults = cls()
    pairs = [f"{f.name}={getattr(defaults, f.name)}" for f in dataclasses.fields(cls)]
    assert make_settings(cls, parse_assignments(pairs)) == defaults
    # the constructor only stores settings
    method = get_method(name)({"dim": 12})
    assert method.settings.dim == 12 and vars(method) == {"settings": method.settings}


def test_cards_read_from_source_equal_the_imported_classes():
    """The catalog reads cards without importing the methods; each must say what the class does."""
    from crossrec.methods.catalog import all_cards
    from crossrec.methods.settings import settings_schema
    for card in all_cards():
        cls = get_method(card["name"])
        assert card == {"name": cls.name, "family": cls.family, "description": cls.summary.replace("\n", " "),
                        "paper": cls.paper, "loss_latex": cls.loss_latex, "limits": " ".join(cls.limits.split()),
                        "phases": [phase.name for phase in cls().plan()], "needs_overlap": cls.needs_overlap,
                        "settings": settings_schema(cls.Settings)}, card["name"]


def test_reading_cards_imports_no_torch():
    import subprocess
    import sys
    code = ("import sys; from crossrec.methods.catalog import all_cards; cards = all_cards(); "
            "assert len(cards) == 10 and cards[0]['settings']; print('torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


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
    method = get_method("distill")({"epochs": 2, "teacher_epochs": 2, "dim": 8, "soft_candidates": 20, "student_dim": 8})
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


@pytest.mark.parametrize("negatives", [1, 3])
def test_the_written_out_bpr_step_is_autograd_bpr_with_sparse_sgd(negatives):
    """MF.sgd_bpr_step (no autograd) moves every row exactly as autograd BPR + SGD does, with
    repeated users and items in the batch and an item that is one row's positive and another's
    negative; with several candidates it picks the same hardest negative."""
    from crossrec.models.mf import MF
    torch.manual_seed(0)
    reference, fused = MF(6, 10, 4, std=0.3), MF(6, 10, 4, std=0.3)
    fused.load_state_dict(reference.state_dict())
    u, i = torch.tensor([0, 1, 1, 5, 0, 2]), torch.tensor([2, 3, 3, 9, 4, 7])
    j = torch.tensor([7, 2, 8, 3, 2, 2]) if negatives == 1 else torch.randint(0, 10, (6, negatives))
    before = fused.users.weight.clone()
    from crossrec.losses.ranking import bpr_loss, l2_penalty
    from crossrec.models.mf import hardest_negative
    sgd = torch.optim.SGD(reference.parameters(), lr=0.1)
    pu = reference.users(u)
    qi, qj = reference.items(i), reference.items(hardest_negative(pu, reference.items, j))
    rec = bpr_loss((pu * qi).sum(-1), (pu * qj).sum(-1))
    expected = {"loss": rec + 0.01 * l2_penalty(pu, qi, qj), "rec": rec}
    expected["loss"].backward()
    sgd.step()
    got = fused.sgd_bpr_step(u, i, j, lr=0.1, reg=0.01)
    assert torch.allclose(fused.users.weight, reference.users.weight, atol=1e-6)
    assert torch.allclose(fused.items.weight, reference.items.weight, atol=1e-6)
    assert not torch.allclose(fused.users.weight, before)  # the step did move the rows
    assert got["loss"].item() == pytest.approx(expected["loss"].item(), rel=1e-5)
    assert got["rec"].item() == pytest.approx(expected["rec"].item(), rel=1e-5)


def test_cmfs_written_out_step_is_one_sgd_step_on_its_loss(data):
    """CMF's step (no autograd) equals one SGD step of autograd on L = BPR_T + a BPR_S + L2, with
    both domains' gradients taken at the same user rows."""
    from crossrec.losses.ranking import bpr_loss, l2_penalty
    from crossrec.tensors.sampling import joint_triples
    method = get_method("cmf")({"source_weight": 0.7, "weight_decay": 0.01, "lr": 0.1})
    method.setup(data, seed_everything(0, data.device))
    for table in method.model_.values():
        torch.nn.init.normal_(table.weight, std=0.3)
    batch = next(iter(joint_triples(data, 64, torch.Generator().manual_seed(1))))
    reference = {k: torch.nn.Parameter(t.weight.detach().clone()) for k, t in method.model_.items()}

    def bpr(domain):
        u, i, j = batch[domain]
        pu, items = reference["users"][u], reference[f"{domain}_items"]
        return bpr_loss((pu * items[i]).sum(-1), (pu * items[j]).sum(-1)), l2_penalty(pu, items[i], items[j])
    (rec_t, reg_t), (rec_s, reg_s) = bpr("target"), bpr("source")
    loss = rec_t + 0.7 * rec_s + 0.01 * (reg_t + reg_s)
    loss.backward()
    got = method.training_step(batch)
    assert got["loss"].item() == pytest.approx(loss.item(), rel=1e-5)
    for name, table in method.model_.items():
        expected = reference[name].detach() - 0.1 * reference[name].grad
        assert torch.allclose(table.weight, expected, atol=1e-6), name


def test_ptupcdrs_bridge_product_equals_the_papers_per_user_matrix():
    """personal_bridge computes p_u W_u without building W_u; it must equal bmm(p_u, W_u) with
    W_u the meta network's output reshaped to [d, d], values and gradients."""
    from torch import nn
    from crossrec.methods.ptupcdr import personal_bridge
    torch.manual_seed(0)
    d, hidden, users = 5, 7, 9
    bridge = nn.Sequential(nn.Linear(d, hidden), nn.ReLU(), nn.Linear(hidden, d * d))
    c, p = torch.randn(users, d), torch.randn(users, d, requires_grad=True)
    expected = torch.bmm(p.unsqueeze(1), bridge(c).view(-1, d, d)).squeeze(1)
    expected.sum().backward()
    grads = [t.grad.clone() for t in (p, *bridge.parameters())]
    for t in (p, *bridge.parameters()):
        t.grad = None
    got = personal_bridge(bridge, c, p)
    got.sum().backward()
    assert torch.allclose(got, expected, atol=1e-5)
    for before, t in zip(grads, (p, *bridge.parameters())):
        assert torch.allclose(t.grad, before, atol=1e-5)


def test_vaes_sparse_input_layer_is_the_dense_layer_on_normalised_rows(data):
    """SparseInputLayer reads only a user's items; without dropout it must equal Mult-VAE's
    W (x / ||x||) + b on the dense multi-hot row, users with no history included (bias only)."""
    import torch.nn.functional as F
    from crossrec.models.history import SparseInputLayer
    torch.manual_seed(0)
    layer = SparseInputLayer(data.n_source_items, 6, dropout=0.5).eval()
    users = torch.arange(data.n_users)
    assert (data.source.counts[users] == 0).any() and (data.source.counts[users] > 1).any()
    dense = F.normalize(data.source.dense(users), dim=1)
    expected = dense @ layer.weight.weight + layer.bias
    assert torch.allclose(layer(data.source, users), expected, atol=1e-5)
    layer.train()  # dropout: some items dropped, the kept ones scaled by 1 / (1 - p)
    assert not torch.allclose(layer(data.source, users), expected, atol=1e-5)
