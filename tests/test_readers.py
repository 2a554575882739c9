"""Readers and validation: formats, sniffing, and one-line errors that name file/line/column."""

import gzip

import pandas as pd
import pytest

from conftest import write
from crossrec.data import read_domain, read_interactions
from crossrec.errors import (BinaryFileError, ColumnError, CorruptGzipError, DataError,
                                  EmptyFileError, MissingPathError, MissingTrainFileError,
                                  MissingValueError, NonNumericError)


@pytest.mark.parametrize("text", [
    "u1\ti1\t5\nu1\ti2\t3\nu2\ti1\t4\n",
    "u1,i1,5\nu1,i2,3\nu2,i1,4\n",
    "u1 i1 5\nu1  i2 3\nu2 i1 4\n",
    "u1::i1::5\nu1::i2::3\nu2::i1::4\n",
    "user_id;item_id;rating\nu1;i1;5\nu1;i2;3\nu2;i1;4\n",
])
def test_text_separators_and_headers(tmp_path, text):
    df = read_interactions(write(tmp_path / "d.txt", text))
    assert list(df.columns) == ["user", "item", "rating"]
    assert df["user"].tolist() == ["u1", "u1", "u2"]
    assert df["item"].tolist() == ["i1", "i2", "i1"]
    assert df["rating"].tolist() == [5.0, 3.0, 4.0]


def test_gzip_header_and_timestamp_sniffing(tmp_path):
    path = tmp_path / "d.csv.gz"
    path.write_bytes(gzip.compress(b"user,item,timestamp\n1,10,1600000000\n2,10,1600000100\n"))
    df = read_interactions(path)
    assert list(df.columns) == ["user", "item", "timestamp"]
    assert df["timestamp"].tolist() == [1600000000.0, 1600000100.0]
    # without a header a large third column is a timestamp, a small one a rating
    df = read_interactions(write(tmp_path / "t.tsv", "1\t10\t1600000000\n2\t11\t1600000100\n"))
    assert "timestamp" in df and "rating" not in df


def test_caller_names_columns(tmp_path):
    path = write(tmp_path / "d.tsv", "10\tA\t1600000000\t4\n11\tB\t1600000001\t5\n")
    df = read_interactions(path, columns="item,user,timestamp,rating")
    assert df["user"].tolist() == ["A", "B"] and df["item"].tolist() == ["10", "11"]
    assert df["rating"].tolist() == [4.0, 5.0]


def test_parquet_and_amazon_json(tmp_path):
    pd.DataFrame({"user": ["a", "b"], "item": ["x", "y"], "rating": [1.0, 2.0]}).to_parquet(tmp_path / "p.parquet")
    assert read_interactions(tmp_path / "p.parquet")["item"].tolist() == ["x", "y"]
    lines = ['{"reviewerID": "R1", "asin": "B01", "overall": 5.0, "unixReviewTime": 1400000000}',
             '{"reviewerID": "R2", "asin": "B02", "overall": 3.0, "unixReviewTime": 1400000100}']
    path = tmp_path / "reviews.json.gz"
    path.write_bytes(gzip.compress("\n".join(lines).encode()))
    df = read_interactions(path)
    assert df["user"].tolist() == ["R1", "R2"] and df["rating"].tolist() == [5.0, 3.0]
    assert df["timestamp"].tolist() == [1400000000.0, 1400000100.0]


def test_duplicates_dropped_and_counted(tmp_path):
    df = read_interactions(write(tmp_path / "d.tsv", "1\t1\n1\t1\n1\t2\n2\t1\n2\t1\n"))
    assert len(df) == 3 and df.attrs["duplicates_dropped"] == 2


def _one_line(err: DataError) -> str:
    text = str(err)
    assert "\n" not in text
    return text


@pytest.mark.parametrize("content, error, fragments", [
    ("", EmptyFileError, ["empty"]),
    (b"\x00\x01\x02binary", BinaryFileError, ["binary"]),
    (b"u1\ti1\nu2\t\xff\xfe\n", BinaryFileError, ["line 2", "UTF-8"]),
    ("justone\nsecond\n", ColumnError, ["line 1", "column"]),
    ("u1\ti1\t5\nu2\ti2\tfive\n", NonNumericError, ["line 2", "column 3", "rating", "'five'"]),
    ("user,item,timestamp\n1,2,1600000000\n3,4,yesterday\n", NonNumericError, ["line 3", "column 3 (timestamp)"]),
    ("u1,i1\n,i2\n", MissingValueError, ["line 2", "column 1", "user"]),
])
def test_bad_files_give_one_line_with_place(tmp_path, content, error, fragments):
    path = write(tmp_path / "bad.txt", content)
    with pytest.raises(error) as info:
        read_interactions(path)
    text = _one_line(info.value)
    assert str(path) in text
    for fragment in fragments:
        assert fragment in text


def test_corrupt_gzip_missing_path_and_folder_without_train(tmp_path):
    path = tmp_path / "x.tsv.gz"
    packed = gzip.compress("".join(f"{i}\t{i * 7919 % 1000}\n" for i in range(2000)).encode())
    path.write_bytes(packed[: len(packed) // 2])
    with pytest.raises(CorruptGzipError) as info:
        read_interactions(path)
    assert "gzip" in _one_line(info.value)
    with pytest.raises(MissingPathError):
        read_interactions(tmp_path / "nope.tsv")
    write(tmp_path / "folder" / "test.txt", "1\t2\n")
    with pytest.raises(MissingTrainFileError) as info:
        read_domain(tmp_path / "folder")
    assert "train" in _one_line(info.value)


def test_split_folder_reads_train_valid_test_and_ignores_others(tmp_path):
    folder = tmp_path / "dom"
    write(folder / "train.txt", "1\t10\n2\t11\n")
    write(folder / "valid.tsv", "1\t12\n")
    write(folder / "test.txt.gz", gzip.compress(b"2\t13\n"))
    write(folder / "test_original.txt", "9\t99\n")
    domain = read_domain(folder)
    assert len(domain.train) == 2 and len(domain.valid) == 1 and domain.test["item"].tolist() == ["13"]
