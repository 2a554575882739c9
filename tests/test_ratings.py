"""Explicit ratings: a minimum rating that counts as liked, from the CLI, pair folders and the
upload tab; refusals in one line with nothing stored; runs and Compare keep thresholds apart."""

import gzip
import json

import pytest

from conftest import run_cli, shared, write
from test_app import app, goto  # noqa: F401 (the app fixture ends the worker the app starts)
from crossrec.data.catalog import load_pair
from crossrec.runs.open_store import open_store

RATED = "user,item,rating\n" + "".join(f"u{u},i{(u * 7 + k) % 40},{1 + (u + k) % 5}\n"
                                       for u in range(60) for k in range(12))


def douban_files():
    base = shared("douban_book_music")
    return base / "douban_book" / "ratings.dat.gz", base / "douban_music" / "ratings.dat.gz"


@pytest.mark.real_data
def test_douban_at_min_rating_4_keeps_the_rows_rated_4_or_more():
    source, target = douban_files()

    def liked(path):  # counted from the file itself: user, item, rating per line
        with gzip.open(path, "rt") as f:
            return sum(float(line.split()[2]) >= 4 for line in f if line.strip())

    proc = run_cli("inspect", "--source", source, "--target", target, "--min-rating", "4", "--json")
    assert proc.returncode == 0, proc.stderr
    stats = json.loads(proc.stdout)
    assert stats["source"]["interactions"] == liked(source) == 69_211
    assert stats["target"]["interactions"] == liked(target) == 51_985
    assert stats["min_rating"] == 4 and "rating ≥ 4" in stats["pair"]


@pytest.mark.parametrize("value, says", [("nan", "nan"), ("inf", "inf"), ("4 stars", "4 stars"), ("", "''")])
def test_a_threshold_that_is_not_a_finite_number_is_refused(home, tmp_path, value, says):
    source, target = write(tmp_path / "s.csv", RATED), write(tmp_path / "t.csv", RATED)
    for command in ("inspect", "train", "submit"):
        extra = [] if command == "inspect" else ["--method", "popularity"]
        proc = run_cli(command, "--source", source, "--target", target, "--min-rating", value, *extra)
        assert proc.returncode == 2 and len(proc.stderr.strip().splitlines()) == 1, (command, proc.stderr)
        assert "--min-rating" in proc.stderr and says in proc.stderr
    assert not (home / "crossrec.sqlite").exists() or open_store(home).list_runs() == []


def test_a_threshold_on_files_without_ratings_names_the_file(home, tmp_path):
    unrated = write(tmp_path / "plain.csv", "user,item\n" + "".join(f"u{u},i{u % 9}\n" for u in range(50)))
    rated = write(tmp_path / "t.csv", RATED)
    for command in ("inspect", "submit", "sweep"):
        extra = [] if command == "inspect" else ["--method", "cmf"]
        proc = run_cli(command, "--source", unrated, "--target", rated, "--min-rating", "3", *extra)
        assert proc.returncode == 2 and len(proc.stderr.strip().splitlines()) == 1, proc.stderr
        assert "plain.csv" in proc.stderr and "min_rating 3" in proc.stderr and "rating column" in proc.stderr
    assert not (home / "crossrec.sqlite").exists() or (open_store(home).list_runs() == []
                                                         and open_store(home).list_sweeps() == [])


def test_a_threshold_that_empties_a_domain_names_the_file(home, tmp_path):
    low = write(tmp_path / "low.csv", "user,item,rating\n" + "".join(f"u{u},i{u % 9},2\n" for u in range(50)))
    rated = write(tmp_path / "t.csv", RATED)
    proc = run_cli("train", "--source", rated, "--target", low, "--min-rating", "3", "--method", "popularity")
    assert proc.returncode == 2 and "low.csv" in proc.stderr and "empty" in proc.stderr, proc.stderr
    assert not (home / "crossrec.sqlite").exists() or open_store(home).list_runs() == []


def test_a_catalog_pair_takes_its_threshold_from_pair_json(home, tmp_path, monkeypatch):
    folder = tmp_path / "data" / "rated"
    write(folder / "s.csv", RATED)
    write(folder / "t.csv", RATED)
    write(folder / "pair.json", json.dumps({"source": "s.csv", "target": "t.csv", "min_rating": 4}))
    pair = load_pair({"catalog": "rated"})
    assert pair.min_rating == 4 and len(pair.source) == RATED.count(",4\n") + RATED.count(",5\n")
    assert run_cli("inspect", "rated", "--min-rating", "4").returncode == 2  # the folder says it, not the flag
    write(folder / "pair.json", json.dumps({"source": "s.csv", "target": "t.csv", "min_rating": "lots"}))
    proc = run_cli("inspect", "rated")
    assert proc.returncode == 2 and "pair.json: min_rating" in proc.stderr


def test_runs_record_their_threshold_and_compare_keeps_thresholds_apart(home, tmp_path):
    from crossrec.analysis.compare import compare
    from crossrec.methods.catalog import all_cards, setting_defaults
    from crossrec.runs.artifacts import ArtifactStore
    source, target = write(tmp_path / "s.csv", RATED), write(tmp_path / "t.csv", RATED)
    ids = []
    for threshold in ([], ["--min-rating", "3"]):
        proc = run_cli("train", "--source", source, "--target", target, *threshold, "--method", "popularity", "--json")
        assert proc.returncode == 0, proc.stderr
        ids.append(json.loads(proc.stdout.strip().splitlines()[-1])["run_id"])
    store = open_store(home)
    runs = [store.get_run(i) for i in ids]
    assert "min_rating" not in runs[0]["pair"] and runs[1]["pair"]["min_rating"] == 3
    assert "rating ≥ 3" in runs[1]["pair_name"] and "rating" not in runs[0]["pair_name"]
    assert runs[1]["summary"]["pair_stats"]["source"]["interactions"] < runs[0]["summary"]["pair_stats"]["source"]["interactions"]
    result = compare(runs, setting_defaults(all_cards()), ArtifactStore(home / "artifacts").per_user)
    assert len(result["groups"]) == 2  # two pairs, never pooled


def test_the_upload_tab_offers_a_threshold_only_for_rated_files(app, tmp_path):
    at = goto(app, "pages/data.py")
    uploaders = at.file_uploader
    uploaders[0].set_value(("books.csv", b"user,item\n" + b"".join(f"u{u},i{u % 9}\n".encode() for u in range(50)), "text/csv"))
    uploaders[1].set_value(("music.csv", RATED.encode(), "text/csv"))
    at.run()
    assert not [n for n in at.number_input if n.label.startswith("Count as liked")]  # one file has no ratings
    at.file_uploader[0].set_value(("books.csv", RATED.encode(), "text/csv"))
    at.run()
    (control,) = [n for n in at.number_input if n.label.startswith("Count as liked")]
    control.set_value(4).run()
    kept = [c.value for c in at.caption if c.value.startswith("Keeps")]
    rows_4 = RATED.count(",4\n") + RATED.count(",5\n")
    assert len(kept) == 2 and all(f"Keeps {rows_4:,} of {RATED.count(chr(10)) - 1:,} rows" in k for k in kept), kept
    assert len([c for c in at.get("plotly_chart")]) >= 2
    next(t for t in at.text_input if t.label == "Name for this pair").set_value("liked-pair").run()
    next(b for b in at.button if b.label == "Validate and save pair").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    manifest = json.loads((tmp_path / "data" / "liked-pair" / "pair.json").read_text())
    assert manifest["min_rating"] == 4
    assert load_pair({"catalog": "liked-pair"}).min_rating == 4


def test_the_upload_tab_refuses_a_threshold_that_empties_a_domain(app, tmp_path):
    at = goto(app, "pages/data.py")
    low = "user,item,rating\n" + "".join(f"u{u},i{u % 9},{1 + u % 2}\n" for u in range(60))
    at.file_uploader[0].set_value(("books.csv", RATED.encode(), "text/csv"))
    at.file_uploader[1].set_value(("music.csv", low.encode(), "text/csv"))
    at.run()
    next(n for n in at.number_input if n.label.startswith("Count as liked")).set_value(5).run()
    next(t for t in at.text_input if t.label == "Name for this pair").set_value("too-picky").run()
    next(b for b in at.button if b.label == "Validate and save pair").click().run()
    assert any("music.csv" in e.value and "min_rating 5" in e.value for e in at.error), [e.value for e in at.error]
    assert not (tmp_path / "data" / "too-picky").exists()
