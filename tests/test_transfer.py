"""Transfer really happens: on synthetic data, methods beat the baselines on cold users, the
shift knob makes transfer harder, the alignment metrics tell aligned from separated sets, and
the distilled student beats its twin."""

import numpy as np
import pytest

from crossrec.analysis.alignment import alignment_metrics, proxy_a_distance
from crossrec.data import load_pair
from crossrec.methods.registry import get_method
from crossrec.train.trainer import Trainer

PAIR = "synthetic:users=1000"


def cold_ndcg(pair, method, settings=None, seed=0):
    result = Trainer(get_method(method)(settings or {}), pair, "cpu", seed).fit()
    return result.metrics["cold"]["ndcg@10"], result


@pytest.fixture(scope="module")
def pair():
    return load_pair(PAIR)


@pytest.fixture(scope="module")
def baseline(pair):
    return max(cold_ndcg(pair, "popularity")[0], cold_ndcg(pair, "target_only", {"epochs": 20})[0])


@pytest.mark.parametrize("method, settings", [
    ("cmf", {"epochs": 20}), ("finetune", {"epochs": 20}), ("emcdr", {"epochs": 20, "map_epochs": 30}),
    ("ptupcdr", {"epochs": 20, "map_epochs": 10}), ("dann", {"epochs": 15, "batch_size": 512}), ("vae", {"epochs": 15}),
    ("distill", {"epochs": 15, "teacher_epochs": 20}),
])
def test_transfer_methods_beat_baselines_on_cold_users(pair, baseline, method, settings):
    got, _ = cold_ndcg(pair, method, settings)
    assert got > 1.1 * baseline, f"{method}: cold NDCG@10 {got:.4f} vs baseline {baseline:.4f}"


@pytest.fixture(scope="module")
def lecture():
    """The lecture pair with every method's *default* run (what a class sees in a demo)."""
    pair = load_pair("lecture")
    return pair, max(cold_ndcg(pair, "popularity")[0], cold_ndcg(pair, "target_only")[0])


@pytest.mark.parametrize("method", ["cmf", "finetune", "emcdr", "ptupcdr", "dann", "vae", "distill", "conet"])
def test_on_the_lecture_pair_every_transfer_method_beats_both_baselines_with_its_defaults(lecture, method):
    pair, baseline = lecture
    got, _ = cold_ndcg(pair, method)
    assert got > 1.1 * baseline, f"{method}: cold NDCG@10 {got:.4f} vs baseline {baseline:.4f}"


def test_conet_beats_baselines_on_the_default_pair():
    """CoNet's MLP towers need more data than the small pair above gives them."""
    full = load_pair("synthetic")
    base = max(cold_ndcg(full, "popularity")[0], cold_ndcg(full, "target_only", {"epochs": 20})[0])
    got, _ = cold_ndcg(full, "conet", {"epochs": 10})
    assert got > 1.1 * base, f"conet: cold NDCG@10 {got:.4f} vs baseline {base:.4f}"


def test_domain_shift_makes_transfer_harder():
    easy, _ = cold_ndcg(load_pair("synthetic-easy:users=1000"), "cmf", {"epochs": 20})
    hard, _ = cold_ndcg(load_pair("synthetic-hard:users=1000"), "cmf", {"epochs": 20})
    assert easy > 1.2 * hard


def test_alignment_metrics_see_aligned_and_separated_sets():
    """The metrics the Embeddings page shows: identical sets look aligned, shifted ones do not."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(400, 8))
    same = alignment_metrics(x[:200], x[200:])
    apart = alignment_metrics(x[:200], x[200:] + 3.0)
    assert same["proxy_a_distance"] < 0.5 < apart["proxy_a_distance"]
    assert same["knn_mixing"] > 0.7 > apart["knn_mixing"]
    assert same["mmd"] < apart["mmd"]


def test_proxy_a_distance_looks_at_the_directions_that_carry_the_variance():
    """An offset a thousandth of the signal's scale, in a direction with almost no variance, is
    what two separately initialised encoders leave behind; the default probe ignores it, the
    all-directions probe does not, and an offset in the signal's own directions counts for both."""
    rng = np.random.default_rng(0)
    x = np.hstack([rng.normal(size=(800, 6)), 1e-4 * rng.normal(size=(800, 10))])
    tiny = np.r_[np.zeros(6), np.full(10, 1e-3)]
    big = np.r_[np.full(6, 1.5), np.zeros(10)]
    assert proxy_a_distance(x[:400], x[400:] + tiny) < 0.5
    assert proxy_a_distance(x[:400], x[400:] + tiny, variance=1.0) > 1.5
    assert proxy_a_distance(x[:400], x[400:] + big) > 1.5


def test_dann_aligns_its_domains_and_ranks_no_worse_than_without_its_adversary():
    """DANN with its defaults on the default pair: after each domain's own pretraining, source and
    target user representations are separable; after the adversarial phase they are mixed (the
    Embeddings page's kNN mixing), and cold users rank at least as well as without the adversary."""
    pair = load_pair("synthetic")
    source, target = np.flatnonzero(pair.in_source), np.flatnonzero(pair.has_target_train())

    def fit(settings):
        result = Trainer(get_method("dann")({"epochs": 40, **settings}), pair, "cpu", 0).fit()
        stages = [alignment_metrics(e["source"][source], e["target"][target])
                  for e in (result.embeddings_before, result.embeddings_after)]
        return result.metrics["cold"]["ndcg@10"], stages

    ndcg, (before, after) = fit({})
    assert before["proxy_a_distance"] > 1.0 and after["proxy_a_distance"] < before["proxy_a_distance"] - 0.5
    assert after["knn_mixing"] > 0.3 > before["knn_mixing"], (before, after)
    without, _ = fit({"adv_weight": 0.0})
    assert ndcg >= 0.97 * without, (ndcg, without)


def test_history_encoder_means_exactly_the_items_it_is_given():
    """DANN's encoder: the mean of a user's item vectors through tanh, over all or a sample."""
    import torch
    from crossrec.models.history import HistoryEncoder
    from crossrec.tensors.pair_tensors import PairTensors
    data = PairTensors(load_pair("synthetic-tiny"), "cpu")
    encoder = HistoryEncoder(data.n_source_items, 8)
    users = torch.tensor([0, 5, 3, 7])
    rows, items = data.source.coordinates(users)
    full = encoder.full(data.source, users)
    sampled_items, sums, counts = encoder.sampled(data.source, users, 3)
    for k in range(len(users)):
        mine = items[rows == k]
        assert torch.allclose(full[k], torch.tanh(encoder.items.weight[mine].mean(0)), atol=1e-6)
        picked = sampled_items[k][sampled_items[k] >= 0]
        assert len(picked) == counts[k] == min(3, len(mine)) and set(picked.tolist()) <= set(mine.tolist())
        assert torch.allclose(sums[k], encoder.items.weight[picked].sum(0), atol=1e-6)


def test_distilled_student_beats_target_only_of_the_same_size(pair):
    student, result = cold_ndcg(pair, "distill", {"epochs": 15, "teacher_epochs": 20, "student_dim": 16})
    twin, _ = cold_ndcg(pair, "target_only", {"epochs": 15, "dim": 16})
    assert student > twin
    assert result.sizes["student_parameters"] < result.sizes["teacher_parameters"]
