"""Metrics by hand on tiny cases, and the full-ranking / sampled evaluators on a hand-made pair."""

import math

import numpy as np
import pytest
import torch

from crossrec.data.pair import DomainPair, Interactions
from crossrec.eval.metrics import hit_rate, ndcg, per_user_metrics, recall, reciprocal_rank
from crossrec.eval.protocol import evaluate, evaluate_per_user, parse_mode
from crossrec.tensors.pair_tensors import PairTensors


def test_metrics_by_hand():
    # user 0: held-out items at ranks 1 and 3 (0-based) of its top list; 2 relevant
    # user 1: no hit in the top 5; 1 relevant, first relevant at rank 7
    hits = torch.tensor([[0, 1, 0, 1, 0], [0, 0, 0, 0, 0]], dtype=torch.bool)
    n_rel = torch.tensor([2, 1])
    first = torch.tensor([1, 7])
    assert hit_rate(hits, 1).tolist() == [0.0, 0.0]
    assert hit_rate(hits, 2).tolist() == [1.0, 0.0]
    assert recall(hits, n_rel, 5).tolist() == [1.0, 0.0]
    assert recall(hits, n_rel, 2).tolist() == [0.5, 0.0]
    dcg = 1 / math.log2(3) + 1 / math.log2(5)
    idcg = 1 + 1 / math.log2(3)
    assert ndcg(hits, n_rel, 5)[0].item() == pytest.approx(dcg / idcg)
    # ideal DCG over min(relevant, K): with K=1 only one ideal position counts
    assert ndcg(hits, n_rel, 1)[0].item() == 0.0
    assert ndcg(torch.tensor([[1, 0]], dtype=torch.bool), torch.tensor([3]), 1).item() == 1.0
    assert reciprocal_rank(first).tolist() == pytest.approx([0.5, 0.125])
    metrics = per_user_metrics(torch.zeros(2, 20, dtype=torch.bool), n_rel, first)
    assert set(metrics) >= {"hr@5", "hr@10", "hr@20", "ndcg@10", "recall@20", "mrr"}


def _tiny_pair() -> DomainPair:
    """3 users x 6 target items. User 0 warm (trained on items 0,1; test item 2); user 1 cold
    (test items 3 and 5); user 2 warm (trained on 4; test 0)."""
    rows = lambda u, i: Interactions(np.array(u), np.array(i))  # noqa: E731
    return DomainPair(
        name="tiny", source_name="s", target_name="t",
        user_source_raw=np.array(["a", "b", "c"], dtype=object), user_target_raw=np.array(["a", "b", "c"], dtype=object),
        source_item_raw=np.array(["x"], dtype=object), target_item_raw=np.array(list("012345"), dtype=object),
        source=rows([0, 1, 2], [0, 0, 0]), target_train=rows([0, 0, 2], [0, 1, 4]),
        target_valid=rows([0], [3]), target_test=rows([0, 1, 1, 2], [2, 3, 5, 0]), split="given")


def test_full_ranking_masks_training_items_and_groups_users():
    data = PairTensors(_tiny_pair(), "cpu")
    # fixed scores: item i scores 10 - i for everybody (items 0 > 1 > 2 > ...)
    score = lambda users: torch.arange(10.0, 4.0, -1).repeat(users.numel(), 1)  # noqa: E731
    got = evaluate(score, data, "test")
    # user 0: items 0,1 masked -> ranking 2,3,4,5 -> test item 2 at rank 0
    # user 2: item 4 masked -> ranking 0,1,2,3,5 -> test item 0 at rank 0
    assert got["warm"]["n_users"] == 2 and got["warm"]["hr@5"] == 1.0 and got["warm"]["mrr"] == 1.0
    # cold user 1: nothing masked -> ranking 0..5; test items 3 (rank 3) and 5 (rank 5)
    cold = got["cold"]
    assert cold["n_users"] == 1
    assert cold["mrr"] == pytest.approx(1 / 4)
    assert cold["hr@5"] == 1.0 and cold["recall@5"] == 0.5
    assert cold["ndcg@5"] == pytest.approx((1 / math.log2(5)) / (1 + 1 / math.log2(3)))


def test_sampled_mode_is_fixed_and_parsed():
    data = PairTensors(_tiny_pair(), "cpu")
    score = lambda users: torch.arange(10.0, 4.0, -1).repeat(users.numel(), 1)  # noqa: E731
    a = evaluate(score, data, "test", mode="sampled:99")
    b = evaluate(score, data, "test", mode="sampled:99")
    assert a == b
    assert parse_mode("full") == ("full", 0) and parse_mode("sampled:999") == ("sampled", 999)
    with pytest.raises(ValueError):
        parse_mode("sampled:7")


def test_one_tie_policy_for_every_metric():
    data = PairTensors(_tiny_pair(), "cpu")
    constant = lambda users: torch.ones(users.numel(), 6)  # noqa: E731
    got = evaluate(constant, data, "test")
    # Every candidate tied: each held-out item ranks behind every other candidate (pessimistic).
    # cold user 1: 6 candidates, held-out 3 and 5 -> ranks 4 and 5 (tied held-out items: lower id first)
    cold = got["cold"]
    assert cold["mrr"] == pytest.approx(1 / 5)
    assert cold["hr@5"] == 1.0 and cold["recall@5"] == 0.5
    assert cold["ndcg@5"] == pytest.approx((1 / math.log2(6)) / (1 + 1 / math.log2(3)))
    # warm user 0: items 0,1 trained and 3 validated are masked -> candidates 2,4,5; test item 2 last
    # warm user 2: item 4 masked -> candidates 0,1,2,3,5; test item 0 last (rank 4)
    warm = got["warm"]
    assert warm["mrr"] == pytest.approx((1 / 3 + 1 / 5) / 2)
    # partly tied: item 3 ties with the best other item -> it ranks behind it, not before
    partly = lambda users: torch.tensor([5.0, 1, 1, 5, 1, 1]).repeat(users.numel(), 1)  # noqa: E731
    assert evaluate(partly, data, "test")["cold"]["mrr"] == pytest.approx(1 / 2)
    strict = lambda users: torch.tensor([5.0, 1, 1, 6, 1, 1]).repeat(users.numel(), 1)  # noqa: E731
    assert evaluate(strict, data, "test")["cold"]["mrr"] == 1.0


@pytest.mark.parametrize("per_user", [1, 3])
def test_pessimistic_ranks_by_brute_force(per_user):
    """One held-out item per user (ranks compared in place) and several (rows gathered), with
    many ties: each rank counts the other items scoring >= it, tied held-out items lower id first."""
    from crossrec.eval.protocol import pessimistic_ranks
    g = torch.Generator().manual_seed(3)
    scores = torch.randint(0, 4, (5, 12), generator=g).float()  # few values: ties everywhere
    rows = torch.arange(5).repeat_interleave(per_user)
    items = torch.stack([torch.randperm(12, generator=g)[:per_user] for _ in range(5)]).flatten()
    items = torch.cat([t.sort().values for t in items.split(per_user)])
    expected = []
    for r, i in zip(rows.tolist(), items.tolist()):
        mine = set(items[rows == r].tolist())
        expected.append(sum(1 for j in range(12) if j != i and (scores[r, j] > scores[r, i] or (
            scores[r, j] == scores[r, i] and (j not in mine or j < i)))))
    assert pessimistic_ranks(scores, rows, items).tolist() == expected


def test_validation_items_are_not_candidates_at_test_time():
    data = PairTensors(_tiny_pair(), "cpu")
    # user 0's validation item 3 scores highest; it must not push the test item 2 down
    score = lambda users: torch.tensor([0.0, 0, 5, 9, 0, 0]).repeat(users.numel(), 1)  # noqa: E731
    per_user = evaluate_per_user(score, data, "test", ("warm",))["warm"]
    assert per_user["mrr"][per_user["user"] == 0].item() == 1.0


def test_our_metrics_equal_ranx_on_random_scores():
    from ranx import Qrels, Run, evaluate as ranx_evaluate
    from crossrec.data import load_pair
    data = PairTensors(load_pair("synthetic-tiny"), "cpu")
    scores = torch.rand(data.n_users, data.n_target_items, generator=torch.Generator().manual_seed(7))
    ours = evaluate_per_user(lambda users: scores[users].clone(), data, "test")
    masked = [data.target, data.valid]
    for group, columns in ours.items():
        qrels, run = {}, {}
        for user in columns["user"].tolist():
            held = data.test.indices[data.test.indptr[user]:data.test.indptr[user + 1]].tolist()
            hidden = {i for t in masked for i in t.indices[t.indptr[user]:t.indptr[user + 1]].tolist()}
            qrels[str(user)] = {str(i): 1 for i in held}
            run[str(user)] = {str(i): float(scores[user, i]) for i in range(data.n_target_items) if i not in hidden}
        qrels, run = Qrels(qrels), Run(run)
        theirs = ranx_evaluate(qrels, run, ["hit_rate@10", "ndcg@10", "recall@10", "mrr"],
                               return_mean=False)
        order = [columns["user"].tolist().index(int(q)) for q in qrels.keys()]  # ranx's query order
        for ours_name, their_name in (("hr@10", "hit_rate@10"), ("ndcg@10", "ndcg@10"),
                                      ("recall@10", "recall@10"), ("mrr", "mrr")):
            np.testing.assert_allclose(columns[ours_name].numpy()[order], theirs[their_name], atol=1e-6,
                                       err_msg=f"{group} {ours_name}")


@pytest.mark.parametrize("method", ["popularity", "cmf"])
def test_stored_top_lists_agree_with_the_metrics_user_by_user(method):
    # Popularity ties many items: the lists must follow the metrics' tie policy, so a hit shown
    # on the Explain page is exactly a hit counted in HR@10, at the position its rank says.
    import pandas as pd
    from crossrec.data import load_pair
    from crossrec.methods.registry import get_method
    from crossrec.train.trainer import Trainer
    settings = {"epochs": 3, "dim": 16} if method == "cmf" else {}
    result = Trainer(get_method(method)(settings), load_pair("synthetic-tiny"), "cpu", 0).fit()
    top, held = (pd.DataFrame(result.top_lists[k]) for k in ("top", "held"))
    for group, columns in result.per_user.items():
        hr = pd.Series(columns["hr@10"].numpy(), index=columns["user"].numpy())
        mine = held[held["group"] == group]
        hit = (mine["rank"] < 10).groupby(mine["user"]).any().reindex(hr.index)
        assert hit.astype(float).tolist() == hr.tolist(), group
        assert (top[top["group"] == group].groupby("user").size() == 10).all()
    joined = held.merge(top, on=["user", "group", "item"], how="left")
    assert (joined["position"].notna() == (joined["rank"] < 10)).all()
    listed = joined.dropna(subset=["position"])
    assert len(listed) and (listed["position"] == listed["rank"]).all()
