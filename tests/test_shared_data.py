"""Figures of the real pairs in ../shared/data (skipped when the folder is absent)."""

import json

import pytest

from conftest import run_cli, shared, write
from crossrec.data import load_from_files
from crossrec.eval.protocol import evaluate
from crossrec.methods.registry import get_method
from crossrec.train.seeding import seed_everything
from crossrec.tensors.pair_tensors import PairTensors

pytestmark = pytest.mark.real_data


def _inspect(*args):
    proc = run_cli("inspect", *map(str, args), "--json")
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def cdrib_links(tmp_path_factory):
    return write(tmp_path_factory.mktemp("links") / "links.tsv", "".join(f"{u}\t{u}\n" for u in range(9828)))


def test_disencdr_sport_cloth_figures():
    base = shared("amazon_disencdr")
    got = _inspect("--source", base / "sport_cloth", "--target", base / "cloth_sport")
    assert (got["source"]["users"], got["source"]["items"], got["source"]["interactions"]) == (9928, 30796, 100938)
    assert (got["target"]["users"], got["target"]["items"], got["target"]["interactions"]) == (9928, 39008, 95369)
    assert got["overlap_users"] == 9928 and got["warm_test_users"] == 7540 and got["cold_test_users"] == 0


def test_douban_overlap():
    base = shared("douban_book_music")
    got = _inspect("--source", base / "douban_book" / "ratings.dat.gz",
                   "--target", base / "douban_music" / "ratings.dat.gz")
    assert got["overlap_users"] == 1566
    assert got["source"]["users"] == 2110 and got["target"]["users"] == 1672


def test_cdrib_cold_users_with_link_file(cdrib_links):
    base = shared("amazon_cdrib_coldstart")
    got = _inspect("--source", base / "sport_cloth", "--target", base / "cloth_sport", "--links", cdrib_links)
    assert got["overlap_users"] == 9828
    assert got["cold_test_users"] == 907 and got["cold_valid_users"] == 915


def test_popularity_matches_the_independent_evaluator(cdrib_links):
    base = shared("amazon_cdrib_coldstart")
    pair = load_from_files(base / "sport_cloth", base / "cloth_sport", cdrib_links)
    data = PairTensors(pair, "cpu")
    method = get_method("popularity")()
    method.setup(data, seed_everything(0, "cpu"))
    cold = evaluate(method.score, data, "test", ("cold",))["cold"]
    assert cold["n_users"] == 907
    assert round(cold["hr@10"], 4) == 0.0287 and round(cold["ndcg@10"], 4) == 0.0054
