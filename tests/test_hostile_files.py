"""Hostile and odd files: each gives exit 2 and one line naming the file (and line where there
is one), in bounded time and memory, CLI and upload alike; nothing stored before is lost."""

import gzip
import threading

import pandas as pd
import pytest

from conftest import run_cli, write
from crossrec.data.uploads import preview, save_pair
from crossrec.errors import DataError
from test_faults import one_line_error


def gzip_bomb(path, unit: bytes, gigabytes: int = 2):
    """A small gzip file that expands to `gigabytes` GB: one 4 MB member, repeated."""
    member = gzip.compress(unit * ((4 << 20) // len(unit)), compresslevel=9)
    path.write_bytes(member * (gigabytes * 256))
    return path


@pytest.fixture
def source(tmp_path):
    return write(tmp_path / "s.csv", "user,item\na,1\nb,2\nc,3\n")


@pytest.mark.parametrize("unit", [b"1,1\n", b"\x00"], ids=["lines", "zeros"])
def test_a_gzip_bomb_is_refused_fast_with_one_line(home, tmp_path, source, unit):
    bomb = gzip_bomb(tmp_path / "bomb.csv.gz", unit)
    assert bomb.stat().st_size < 3 << 20
    proc = run_cli("inspect", "--source", source, "--target", bomb, timeout=120)
    one_line_error(proc, str(bomb), "times its size")


def test_a_gzip_bomb_upload_is_refused_and_its_preview_reads_only_the_head(home, tmp_path):
    data = gzip_bomb(tmp_path / "bomb.csv.gz", b"1,1\n").read_bytes()
    assert list(preview("bomb.csv.gz", data).columns) == ["user", "item"]
    with pytest.raises(DataError, match="bomb.csv.gz: decompresses to more than"):
        save_pair("bombed", ("s.csv", b"user,item\na,1\nb,2\n"), ("bomb.csv.gz", data))


@pytest.mark.parametrize("name, content, words", [
    ("ragged.csv", "user,item\na,1\nb,2,9\nc,3\n", ["line 3", "3 fields where the rows above have 2"]),
    ("dict.json", '{"user": {"x": 1}, "item": "1"}\n{"user": "b", "item": "2"}\n', ["line 1", "dict"]),
])
def test_odd_text_files_name_the_line(home, tmp_path, source, name, content, words):
    target = write(tmp_path / name, content)
    one_line_error(run_cli("inspect", "--source", source, "--target", target), str(target), *words)


def test_parquet_lists_json_giant_ids_symlink_loops_and_folders(home, tmp_path, source):
    listed = tmp_path / "listed.parquet"
    pd.DataFrame({"user": [["a"], ["b"]], "item": ["1", "2"]}).to_parquet(listed)
    one_line_error(run_cli("inspect", "--source", source, "--target", listed), str(listed), "user id is a")
    giant = write(tmp_path / "giant.json", '{"user": 123456789012345678901234567890, "item": "1"}\n'
                                           '{"user": "a", "item": "2"}\n')
    proc = run_cli("inspect", "--source", source, "--target", giant, "--json")
    assert proc.returncode == 0, proc.stderr  # ids are names: a giant number is a fine id
    loop = tmp_path / "loop"
    loop.symlink_to(tmp_path / "loop2")
    (tmp_path / "loop2").symlink_to(loop)
    one_line_error(run_cli("inspect", "--source", loop, "--target", source), str(loop), "symbolic link")
    (tmp_path / "folder").mkdir()
    one_line_error(run_cli("inspect", "--source", source, "--target", source, "--links", tmp_path / "folder"),
                   "folder", "expected a file")


def test_upload_names(home, tmp_path):
    good = ("s.csv", b"user,item\na,1\nb,2\n")
    for name in ("ok\n", "../up", "", "x" * 65):
        with pytest.raises(DataError, match="pair name"):
            save_pair(name, good, ("t.csv", b"user,item\na,9\nb,8\n"))
    long_name = "t" * 300 + ".csv"
    saved = save_pair("long-file-name", good, (long_name, b"user,item\na,9\nb,8\n"))
    assert len(saved["target"]) < 120
    assert not preview("..", b"user,item\na,1\n").empty


def test_two_saves_of_one_name_at_once_give_one_pair(home, tmp_path):
    results = []

    def save():
        try:
            save_pair("twice", ("s.csv", b"user,item\na,1\nb,2\n"), ("t.csv", b"user,item\na,9\nb,8\n"))
            results.append("saved")
        except DataError as err:
            results.append(str(err))

    threads = [threading.Thread(target=save) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results.count("saved") == 1, results
    assert all("already exists" in r for r in results if r != "saved")
    data = tmp_path / "data"
    assert [p.name for p in data.iterdir() if not p.name.startswith(".")] == ["twice"]
