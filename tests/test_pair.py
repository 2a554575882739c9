"""Linking, DomainPair, the evaluation protocol, the synthetic generator and the catalog."""

import json

import numpy as np
import pytest

from conftest import write
from crossrec.data import build_pair, load_from_files, load_pair, read_domain, read_links
from crossrec.data.catalog import list_pairs
from crossrec.errors import LinkError, SettingError, UnknownPairError


def _domain(tmp_path, name, rows):
    return read_domain(write(tmp_path / f"{name}.tsv", "".join(f"{u}\t{i}\t{t}\n" for u, i, t in rows)))


def test_users_overlap_by_equal_raw_id(tmp_path):
    src = _domain(tmp_path, "s", [("a", "x", 1), ("b", "y", 2), ("c", "x", 3)])
    tgt = _domain(tmp_path, "t", [("b", "p", 1), ("c", "q", 2), ("d", "p", 3)])
    pair = build_pair(src, tgt)
    assert pair.n_users == 4
    overlap = sorted(pair.user_source_raw[pair.overlap])
    assert overlap == ["b", "c"]
    assert (pair.user_source_raw[pair.overlap] == pair.user_target_raw[pair.overlap]).all()


def test_link_file_makes_exactly_the_linked_users_overlap(tmp_path):
    src = _domain(tmp_path, "s", [("1", "x", 1), ("2", "y", 2), ("3", "x", 3)])
    tgt = _domain(tmp_path, "t", [("1", "p", 1), ("2", "q", 2), ("30", "p", 3)])
    links = read_links(write(tmp_path / "links.tsv", "3\t30\n"))
    pair = build_pair(src, tgt, links)
    # ids 1 and 2 exist in both domains but are different people: only 3 <-> 30 overlap
    assert pair.overlap.sum() == 1
    u = np.flatnonzero(pair.overlap)[0]
    assert (pair.user_source_raw[u], pair.user_target_raw[u]) == ("3", "30")
    assert pair.n_users == 5
    with pytest.raises(LinkError) as info:
        build_pair(src, tgt, read_links(write(tmp_path / "none.tsv", "7\t70\n8\t80\n")))
    assert "matches no users" in str(info.value) and "\n" not in str(info.value)


def _pair_without_split(tmp_path, seed=0):
    rng = np.random.default_rng(1)
    src_rows = [(f"u{u}", f"s{i}", 0) for u in range(100) for i in rng.choice(30, 5, replace=False)]
    tgt_rows = [(f"u{u}", f"t{i}", 1_600_000_000 + k) for u in range(50, 150)
                for k, i in enumerate(rng.choice(40, 6, replace=False))]
    return build_pair(_domain(tmp_path, "s", src_rows), _domain(tmp_path, "t", tgt_rows), seed=seed)


def test_protocol_cold_users_and_leave_latest_out(tmp_path):
    pair = _pair_without_split(tmp_path)
    assert pair.split == "protocol"
    assert pair.overlap.sum() == 50
    stats = pair.stats()
    # 20% of the 50 overlapping users are cold: half validation, half test
    assert stats["cold_test_users"] == 5 and stats["cold_valid_users"] == 5
    cold = pair.test_users("cold")
    assert pair.overlap[cold].all() and not np.isin(cold, pair.target_train.users).any()
    # warm users: their latest row is the test item, the next latest the validation item
    warm = pair.test_users("warm")
    assert warm.size == 90  # 100 target users, 10 of them cold
    for u in warm[:10]:
        test_ts = pair.target_test.timestamps[pair.target_test.users == u]
        train_ts = pair.target_train.timestamps[pair.target_train.users == u]
        valid_ts = pair.target_valid.timestamps[pair.target_valid.users == u]
        assert test_ts.min() > max(train_ts.max(), valid_ts.max())
        assert valid_ts.min() > train_ts.max()
    # same seed, same split; another seed, another split
    again = _pair_without_split(tmp_path)
    assert np.array_equal(again.target_test.items, pair.target_test.items)
    other = _pair_without_split(tmp_path, seed=5)
    assert not np.array_equal(np.sort(other.test_users("cold")), np.sort(cold))


def test_given_test_is_kept_and_validation_carved_from_train(tmp_path):
    src = _domain(tmp_path, "s", [(f"u{u}", f"s{i}", 0) for u in range(40) for i in range(u % 5, u % 5 + 4)])
    folder = tmp_path / "tgt"
    write(folder / "train.txt", "".join(f"u{u}\tt{i}\n" for u in range(40) for i in range(u % 7, u % 7 + 5)))
    write(folder / "test.txt", "".join(f"u{u}\tt{20 + u % 3}\n" for u in range(0, 40, 2)))
    pair = build_pair(src, read_domain(folder))
    assert pair.split == "given test, validation carved"
    assert len(pair.target_test) == 20  # untouched
    assert len(pair.target_train) + len(pair.target_valid) == 200
    assert len(pair.target_valid) > 0
    # a given validation file is used as is
    write(folder / "valid.txt", "u1\tt30\n")
    pair = build_pair(src, read_domain(folder))
    assert pair.split == "given" and len(pair.target_valid) == 1 and len(pair.target_train) == 200


def test_synthetic_is_deterministic_and_seeded():
    a, b = load_pair("synthetic-tiny"), load_pair("synthetic-tiny")
    assert a.stats() == b.stats()
    assert np.array_equal(a.target_test.items, b.target_test.items)
    c = load_pair("synthetic-tiny:seed=7")
    assert not np.array_equal(c.source.items[:200], a.source.items[:200])
    with pytest.raises(SettingError):
        load_pair("synthetic:shift=3")
    with pytest.raises(SettingError):
        load_pair("synthetic:colour=2")


def test_catalog_lists_synthetic_and_manifest_folders(home, tmp_path):
    folder = tmp_path / "data" / "mine"
    write(folder / "source.csv", "user,item\na,1\nb,2\nc,1\n")
    write(folder / "target.csv", "user,item\na,9\nb,8\nd,9\nb,9\n")
    write(folder / "pair.json", json.dumps({"name": "mine", "description": "demo",
                                            "source": "source.csv", "target": "target.csv"}))
    names = [p["name"] for p in list_pairs()]
    assert "synthetic" in names and "mine" in names
    assert load_pair("mine").stats()["overlap_users"] == 2
    with pytest.raises(UnknownPairError):
        load_pair("nope")


def test_load_from_files_with_links(tmp_path):
    write(tmp_path / "s.tsv", "1\ta\n2\tb\n")
    write(tmp_path / "t.tsv", "x\tp\ny\tq\n")
    write(tmp_path / "l.tsv", "1\tx\n")
    pair = load_from_files(tmp_path / "s.tsv", tmp_path / "t.tsv", tmp_path / "l.tsv")
    assert pair.stats()["overlap_users"] == 1


def test_cold_users_need_source_history_and_given_splits_drop_repeated_rows(tmp_path):
    from crossrec.data import load_from_files
    source = tmp_path / "s.csv"
    source.write_text("user,item\na,1\nb,2\n")
    target = tmp_path / "t"
    target.mkdir()
    (target / "train.csv").write_text("user,item\na,9\nc,8\nc,7\n")
    (target / "valid.csv").write_text("user,item\nc,6\n")
    # b: cold (source history); z: no history anywhere (excluded); c repeats its training item 8
    (target / "test.csv").write_text("user,item\nb,9\nz,8\nc,8\nc,5\n")
    pair = load_from_files(source, target)
    stats = pair.stats()
    assert stats["cold_test_users"] == 1 and stats["excluded_test_users"] == 1
    assert stats["warm_test_users"] == 1 and stats["target"]["test"] == 3
    assert any("1 test rows that repeat a training (user, item) were dropped" in n for n in pair.notes)
