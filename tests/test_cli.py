"""The command line as scripts use it: JSON on the last line, exit 2 and one line on bad input."""

import json

import pytest

from conftest import run_cli, write


def _last_json(proc):
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_datasets_and_inspect_synthetic_is_stable(home):
    pairs = _last_json(run_cli("datasets", "--json"))["pairs"]
    assert {"synthetic", "synthetic-easy", "synthetic-hard"} <= {p["name"] for p in pairs}
    a = _last_json(run_cli("inspect", "synthetic", "--json"))
    b = _last_json(run_cli("inspect", "synthetic", "--json"))
    assert a == b
    assert set(a) >= {"pair", "source", "target", "overlap_users", "cold_test_users", "warm_test_users"}
    assert set(a["source"]) >= {"users", "items", "interactions"}
    c = _last_json(run_cli("inspect", "synthetic:seed=1", "--json"))
    assert c["target"]["interactions"] != a["target"]["interactions"]


def test_inspect_files_with_links(home, tmp_path):
    write(tmp_path / "s.csv", "user,item\n1,a\n2,b\n3,a\n")
    write(tmp_path / "t.csv", "user,item\n1,x\n2,y\n9,x\n")
    write(tmp_path / "l.csv", "1,1\n")
    got = _last_json(run_cli("inspect", "--source", tmp_path / "s.csv", "--target", tmp_path / "t.csv",
                             "--links", tmp_path / "l.csv", "--json"))
    assert got["overlap_users"] == 1


def _bad(args, *fragments):
    proc = run_cli(*args)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    for fragment in fragments:
        assert fragment in lines[0]
    return lines[0]


def test_bad_inputs_exit_2_with_one_line(home, tmp_path):
    write(tmp_path / "bin.dat", b"\x00\x01\x02\x03")
    write(tmp_path / "one.txt", "a\nb\n")
    write(tmp_path / "rating.txt", "1\t2\t5\n1\t3\tgood\n")
    write(tmp_path / "ok.txt", "1\t2\n2\t3\n")
    write(tmp_path / "gz.txt.gz", b"\x1f\x8b\x08\x00garbage")
    write(tmp_path / "nolinks.txt", "x\ty\n")
    (tmp_path / "notrain").mkdir()
    ok = tmp_path / "ok.txt"
    _bad(["inspect", "--source", tmp_path / "bin.dat", "--target", ok], "bin.dat", "binary")
    _bad(["inspect", "--source", tmp_path / "one.txt", "--target", ok], "one.txt", "column")
    _bad(["inspect", "--source", ok, "--target", tmp_path / "rating.txt"], "line 2", "rating")
    _bad(["inspect", "--source", ok, "--target", tmp_path / "gz.txt.gz"], "gzip")
    _bad(["inspect", "--source", ok, "--target", tmp_path / "notrain"], "train")
    _bad(["inspect", "--source", ok, "--target", tmp_path / "missing.txt"], "no such file")
    _bad(["inspect", "--source", ok, "--target", ok, "--links", tmp_path / "nolinks.txt"], "matches no users")
    _bad(["inspect", "nonexistent-pair"], "unknown pair")
    _bad(["inspect"], "PAIR")
    _bad(["inspect", "--bogus"], "unrecognized")


def test_train_rejects_bad_requests(home, tmp_path):
    _bad(["train", "synthetic-tiny", "--method", "nope"], "unknown method")
    _bad(["train", "synthetic-tiny", "--method", "cmf", "--set", "dimm=3"], "unknown setting 'dimm'")
    _bad(["train", "synthetic-tiny", "--method", "cmf", "--set", "dim=abc"], "dim", "integer")
    _bad(["train", "synthetic-tiny", "--method", "cmf", "--set", "lr=-1"], "out of range")
    _bad(["train", "synthetic-tiny", "--method", "cmf", "--set", "lr"], "key=value")
    _bad(["train", "synthetic-tiny", "--method", "cmf", "--eval", "sampled:5"], "evaluation mode")
    write(tmp_path / "s.txt", "1\ta\n2\tb\n")
    write(tmp_path / "t.txt", "8\tx\n9\ty\n")
    _bad(["train", "--source", tmp_path / "s.txt", "--target", tmp_path / "t.txt", "--method", "emcdr"],
         "needs users shared")


def test_methods_lists_every_method():
    cards = _last_json(run_cli("methods", "--json"))["methods"]
    names = {c["name"] for c in cards}
    assert names == {"popularity", "target_only", "cmf", "finetune", "emcdr", "ptupcdr", "dann",
                     "vae", "distill", "conet"}
    for card in cards:
        assert card["paper"] and card["description"] and card["family"]
        assert {"dim", "epochs", "lr", "batch_size", "weight_decay", "patience"} <= {s["name"] for s in card["settings"]}


def test_train_json_and_same_seed_same_metrics(home):
    args = ["train", "synthetic-tiny", "--method", "cmf", "--set", "epochs=3", "--set", "dim=16", "--json"]
    a = _last_json(run_cli(*args))
    assert set(a) >= {"run_id", "pair", "method", "seed", "device", "eval", "best_epoch",
                      "train_seconds", "metrics"}
    assert {"hr@10", "ndcg@10", "recall@10", "mrr", "n_users"} <= set(a["metrics"]["cold"])
    assert a["device"] == "cpu" and a["eval"] == "full"
    b = _last_json(run_cli(*args))
    assert a["metrics"] == b["metrics"] and a["run_id"] != b["run_id"]
    c = _last_json(run_cli(*args, "--seed", "1"))
    assert c["metrics"] != a["metrics"]
    runs = _last_json(run_cli("runs", "--json"))["runs"]
    assert {r["run_id"] for r in runs} == {a["run_id"], b["run_id"], c["run_id"]}


def test_sampled_eval_is_labelled(home):
    got = _last_json(run_cli("train", "synthetic-tiny", "--method", "popularity", "--eval", "sampled:99", "--json"))
    assert got["eval"] == "sampled:99"
    assert any("Krichene" in n for n in got["notes"])


@pytest.mark.parametrize("cmd", [["show", "nope"], ["cancel", "nope"]])
def test_unknown_run(home, cmd):
    _bad(cmd, "no run")
