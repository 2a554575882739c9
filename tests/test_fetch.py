"""`datasets fetch`: pinned public pairs from a local server laid out like the upstream one."""

import gzip
import hashlib
import json

import pytest

from conftest import run_cli, shared
from mirror import mirror
from test_app import app, goto  # noqa: F401 (fixtures)
from crossrec.data import fetch as fetch_module
from crossrec.data.benchmarks import Benchmark, PinnedFile, benchmark
from crossrec.data.catalog import list_pairs, load_pair
from crossrec.errors import DataError

CDRIB = "cjx96/CDRIB/bd9894565ce06e9ab187f8a52ba03919aaee5e13/dataset"


def upstream_cdrib(root):
    """The CDRIB Sport/Cloth files as upstream serves them (decompressed from the shared data)."""
    base = shared("amazon_cdrib_coldstart")
    for folder in ("sport_cloth", "cloth_sport"):
        for split in ("train", "valid", "test"):
            out = root / CDRIB / folder / f"{split}.txt"
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_bytes(gzip.decompress((base / folder / f"{split}.txt.gz").read_bytes()))


def test_fetch_cdrib_sport_cloth_then_inspect_it(home, tmp_path):
    upstream_cdrib(tmp_path / "upstream")
    with mirror(tmp_path / "upstream") as (base, _):
        proc = run_cli("datasets", "fetch", "cdrib-sport-cloth", env={"CROSSREC_DATASET_MIRROR": base})
    assert proc.returncode == 0, proc.stderr
    listed = json.loads(run_cli("datasets", "--json").stdout)
    assert {"name": "cdrib-sport-cloth", "downloaded": True} .items() <= \
        next(b for b in listed["benchmarks"] if b["name"] == "cdrib-sport-cloth").items()
    assert not next(b for b in listed["benchmarks"] if b["name"] == "cdrib-game-video")["downloaded"]
    assert "cdrib-sport-cloth" in {p["name"] for p in listed["pairs"]}
    stats = json.loads(run_cli("inspect", "cdrib-sport-cloth", "--json").stdout)
    assert stats["overlap_users"] == 9828 and stats["cold_test_users"] == 907
    assert stats["split"] == "given"


# Small files with their own pins: the corruption and interruption cases.
def small_benchmark(root, tamper=None):
    """A two-file pair on the mirror, pinned to the true bytes; `tamper(bytes)` changes what is served."""
    rows = {"source": "".join(f"{u}\t{u % 7}\n" for u in range(300)),
            "target": "".join(f"{u}\t{u % 5}\n" for u in range(300)) + "".join(f"{u}\t{(u + 1) % 5}\n" for u in range(300))}
    pins = {}
    for role, text in rows.items():
        data = text.encode()
        path = f"dataset/{role}/train.txt"
        (root / "o/r/c0ffee" / path).parent.mkdir(parents=True, exist_ok=True)
        (root / "o/r/c0ffee" / path).write_bytes(tamper(data) if tamper and role == "target" else data)
        pins[role] = PinnedFile("o/r", "c0ffee", path, len(data), hashlib.sha256(data).hexdigest())
    return Benchmark("tiny-bench", "a small pinned pair", {"train": pins["source"]}, {"train": pins["target"]}, 40)


def nothing_left(data_dir):
    assert "tiny-bench" not in {p["name"] for p in list_pairs()}
    assert not (data_dir / "tiny-bench").exists()
    assert not list((data_dir / ".downloads" / "incoming").glob("*"))


def test_a_corrupted_byte_is_refused_and_leaves_nothing(home, tmp_path, monkeypatch):
    flip = lambda data: data[:100] + bytes([data[100] ^ 1]) + data[101:]
    bench = small_benchmark(tmp_path / "upstream", tamper=flip)
    monkeypatch.setattr(fetch_module, "benchmark", lambda name: bench)
    with mirror(tmp_path / "upstream") as (base, _):
        monkeypatch.setenv("CROSSREC_DATASET_MIRROR", base)
        with pytest.raises(DataError, match=r"dataset/target/train.txt: SHA-256 .* where the pin says"):
            fetch_module.fetch("tiny-bench")
    nothing_left(tmp_path / "data")
    cached = tmp_path / "data" / ".downloads" / "o/r/c0ffee/dataset/target"
    assert not list(cached.glob("*")), "the corrupted file (or its part) was kept"


def test_a_file_longer_than_its_pin_is_refused(home, tmp_path, monkeypatch):
    bench = small_benchmark(tmp_path / "upstream", tamper=lambda data: data + b"9\t9\n")
    monkeypatch.setattr(fetch_module, "benchmark", lambda name: bench)
    with mirror(tmp_path / "upstream") as (base, _):
        monkeypatch.setenv("CROSSREC_DATASET_MIRROR", base)
        with pytest.raises(DataError, match="bytes where the pin says"):
            fetch_module.fetch("tiny-bench")
    nothing_left(tmp_path / "data")


def test_an_interrupted_download_leaves_no_pair_and_a_rerun_resumes(home, tmp_path, monkeypatch):
    bench = small_benchmark(tmp_path / "upstream")
    monkeypatch.setattr(fetch_module, "benchmark", lambda name: bench)
    target_url = f"/o/r/c0ffee/{bench.target['train'].path}"
    with mirror(tmp_path / "upstream") as (base, handler):
        monkeypatch.setenv("CROSSREC_DATASET_MIRROR", base)
        handler.cut_once[target_url] = 1000
        with pytest.raises(DataError, match="stopped .* run the fetch again"):
            fetch_module.fetch("tiny-bench")
        nothing_left(tmp_path / "data")
        seen = []
        folder = fetch_module.fetch("tiny-bench", lambda done, total: seen.append((done, total)))
        assert handler.ranges == [(target_url, 1000)], "the rerun did not resume from the part"
    assert seen[-1] == (bench.size(), bench.size())
    pair = load_pair("tiny-bench")
    assert pair.stats()["overlap_users"] == 40  # the links file of the first 40 ids
    assert folder == tmp_path / "data" / "tiny-bench"
    assert fetch_module.fetch("tiny-bench") == folder  # fetched already: nothing downloaded again


def test_fetch_refuses_unknown_names_and_a_foreign_folder_of_that_name(home, tmp_path):
    proc = run_cli("datasets", "fetch", "cdrib-moon-sun")
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1 and "unknown benchmark 'cdrib-moon-sun'" in proc.stderr
    (tmp_path / "data" / "cdrib-sport-cloth").mkdir()
    proc = run_cli("datasets", "fetch", "cdrib-sport-cloth")
    assert proc.returncode == 2 and "exists and is not the fetched benchmark" in proc.stderr
    assert benchmark("cdrib-sport-cloth").shared_users == 9828


def test_data_page_downloads_a_benchmark_and_lists_it(app, tmp_path, monkeypatch):
    upstream_cdrib(tmp_path / "upstream")
    at = goto(app, "pages/data.py")
    picker = at.selectbox(key="benchmark-name")
    assert "cdrib-sport-cloth" in picker.options
    picker.select("cdrib-sport-cloth")
    monkeypatch.setenv("CROSSREC_DATASET_MIRROR", "http://127.0.0.1:9")  # nothing listens: refused
    at.button(key="benchmark-download").click().run()
    assert not at.exception and len(at.error) == 1 and "stopped" in at.error[0].value
    assert "\n" not in at.error[0].value
    with mirror(tmp_path / "upstream") as (base, _):
        monkeypatch.setenv("CROSSREC_DATASET_MIRROR", base)
        at.button(key="benchmark-download").click().run()
    assert not at.exception and not at.error
    assert any("cdrib-sport-cloth is ready" in s.value for s in at.success)
    at.run()
    assert any(o.startswith("cdrib-sport-cloth — CDRIB") for o in at.selectbox[0].options)  # listed now


def test_item_titles_of_a_pair_folder_and_a_bad_titles_file(home, tmp_path):
    from crossrec.data.titles import item_titles
    folder = tmp_path / "data" / "shop"
    folder.mkdir()
    (folder / "s.csv").write_text("user,item\n" + "".join(f"u{u},a{u % 4}\n" for u in range(40)))
    (folder / "t.csv").write_text("user,item\n" + "".join(f"u{u},b{u % 3}\n" for u in range(40)))
    (folder / "s_titles.csv").write_text("item,title,category\na0,Dune,Sci-fi\na1,Emma,\n")
    (folder / "t_titles.tsv").write_text("id\tname\nb0\tKind of Blue\n")
    (folder / "pair.json").write_text(json.dumps({"source": "s.csv", "target": "t.csv",
                                                  "source_titles": "s_titles.csv", "target_titles": "t_titles.tsv"}))
    with pytest.raises(DataError) as err:
        item_titles({"catalog": "shop"})
    assert "t_titles.tsv" in str(err.value) and "missing item, title" in str(err.value)
    assert "\n" not in str(err.value)
    (folder / "t_titles.tsv").write_text("item\ttitle\nb0\tKind of Blue\n")
    titles = item_titles({"catalog": "shop"})
    assert titles == {"source": {"a0": "Dune (Sci-fi)", "a1": "Emma"}, "target": {"b0": "Kind of Blue"}}
    assert item_titles({"catalog": "synthetic-tiny"})["target"]["t00003"].endswith(" · 3")
