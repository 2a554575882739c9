"""Read one interaction file into a clean DataFrame `user, item[, rating][, timestamp]`.

Formats: delimited text (tab, comma, semicolon, whitespace or `::`; header or not; gzip or not),
Parquet, and Amazon review JSON lines (`reviewerID, asin, overall, unixReviewTime`).
Everything is vectorised through pandas' C parser; per-row Python only runs on the error path,
to name the offending line.
"""

from __future__ import annotations

import codecs
import io
import json
import os
import re
import zlib
from pathlib import Path

import numpy as np
import pandas as pd

from crossrec.errors import (BinaryFileError, ColumnError, CorruptGzipError, DataError,
                                  EmptyFileError, MissingPathError, MissingValueError,
                                  NonNumericError)

COLUMNS = ("user", "item", "rating", "timestamp")
# What pandas' infer_dtype reports for a column of plain ids (anything else may hide lists/dicts).
SCALAR_KINDS = {"string", "integer", "floating", "mixed-integer", "mixed-integer-float", "empty",
                "boolean", "decimal"}
# Header names we recognise for each canonical column (lower-case, no separators).
SYNONYMS = {
    "user": {"user", "userid", "uid", "reviewerid", "customerid", "sourceuser", "u"},
    "item": {"item", "itemid", "iid", "asin", "productid", "movieid", "bookid", "musicid", "i",
             "targetuser"},
    "rating": {"rating", "overall", "score", "stars", "value", "r"},
    "timestamp": {"timestamp", "time", "ts", "unixreviewtime", "datetime", "t"},
}
_KNOWN = {name: canon for canon, names in SYNONYMS.items() for name in names}
_GZIP_MAGIC = b"\x1f\x8b"


def _norm(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", str(name).lower())


CHUNK = 1 << 20
RATIO_CHECK_AFTER = 16 << 20  # decompressed bytes before the ratio is judged


def read_limits() -> dict:
    """Caps on what one file may hold, far above real pairs (the largest shared Amazon file is
    under 50 MB): decompressed bytes, gzip expansion ratio and rows. Environment overrides."""
    return {"bytes": int(os.environ.get("CROSSREC_MAX_FILE_BYTES", 2 << 30)),
            "ratio": float(os.environ.get("CROSSREC_MAX_GZIP_RATIO", 100)),
            "rows": int(os.environ.get("CROSSREC_MAX_ROWS", 100_000_000))}


def _gunzip(handle, file: str, limit: int, ratio: float, head: int | None) -> bytes:
    """Stream-decompress every gzip member, stopping at `head` bytes or refusing past the caps,
    so a bomb costs milliseconds and a few MB, not its expanded size."""
    out, total, consumed, pending = [], 0, 0, b""
    inflate = zlib.decompressobj(16 + zlib.MAX_WBITS)
    while True:
        if not pending:
            pending = handle.read(CHUNK)
            consumed += len(pending)
            if not pending:
                break
        if inflate.eof:  # the next gzip member starts here
            inflate = zlib.decompressobj(16 + zlib.MAX_WBITS)
        try:
            piece = inflate.decompress(pending, 4 * CHUNK)
        except zlib.error as err:
            raise CorruptGzipError(f"corrupt gzip data ({err})", file=file) from None
        pending = inflate.unused_data if inflate.eof else inflate.unconsumed_tail
        out.append(piece)
        total += len(piece)
        if head is not None and total >= head:
            return b"".join(out)[:head]
        if total > limit:
            raise DataError(f"decompresses to more than {limit:,} bytes (the limit; set "
                            f"CROSSREC_MAX_FILE_BYTES to raise it)", file=file)
        if total > RATIO_CHECK_AFTER and total > ratio * consumed:
            raise DataError(f"decompresses to more than {ratio:g} times its size (a gzip bomb?); "
                            f"set CROSSREC_MAX_GZIP_RATIO if it is real data", file=file)
    if not inflate.eof:
        raise CorruptGzipError("corrupt gzip data (the file ends mid-stream)", file=file)
    return b"".join(out)


def read_bytes(path: Path, head: int | None = None) -> bytes:
    """Raw (decompressed) bytes of a file, or its first `head` bytes; gzip is detected by its
    magic number. Files past `read_limits()` are refused with one line."""
    path = Path(path)
    file = str(path)
    limits = read_limits()
    try:
        size = path.stat().st_size
        with open(path, "rb") as handle:
            if handle.read(2) == _GZIP_MAGIC:
                handle.seek(0)
                return _gunzip(handle, file, limits["bytes"], limits["ratio"], head)
            if head is None and size > limits["bytes"]:
                raise DataError(f"the file is {size:,} bytes, above the limit of {limits['bytes']:,} "
                                f"(set CROSSREC_MAX_FILE_BYTES to raise it)", file=file)
            handle.seek(0)
            return handle.read(head if head is not None else -1)
    except FileNotFoundError:
        raise MissingPathError("no such file or folder", file=file) from None
    except IsADirectoryError:
        raise DataError("is a folder, expected a file", file=file) from None
    except OSError as err:  # a symlink loop, a name too long, no permission
        raise DataError(f"cannot read the file ({err.strerror or err})", file=file) from None


def check_rows(data: bytes, file: str) -> None:
    limit = read_limits()["rows"]
    if data.count(b"\n") > limit:
        raise DataError(f"more than {limit:,} rows (the limit; set CROSSREC_MAX_ROWS to raise it)",
                        file=file)


def check_text(data: bytes, file: str) -> None:
    """Raise a BinaryFileError naming the first bad line unless `data` is UTF-8 text. Checks
    in chunks, so no second copy of a large file is made."""
    nul = data.find(b"\x00", 0, 1 << 20)
    if nul >= 0:
        raise BinaryFileError("binary content (NUL byte), expected a text table",
                              file=file, line=data[:nul].count(b"\n") + 1)
    decoder = codecs.getincrementaldecoder("utf-8")()
    view = memoryview(data)
    for start in range(0, len(data), 16 * CHUNK):
        try:
            decoder.decode(view[start:start + 16 * CHUNK], final=start + 16 * CHUNK >= len(data))
        except UnicodeDecodeError as err:
            bad = start + err.start
            raise BinaryFileError(f"undecodable byte 0x{data[bad]:02x}: not UTF-8 text",
                                  file=file, line=data[:bad].count(b"\n") + 1) from None


def decode_text(data: bytes, file: str) -> str:
    """UTF-8 text of `data`, or a BinaryFileError naming the first bad line."""
    check_text(data, file)
    return data.decode("utf-8-sig")


def _sniff_separator(first_line: str) -> str:
    for sep in ("::", "\t", ",", ";", "|"):
        if sep in first_line:
            return sep
    return r"\s+"


def _is_number(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False


def _split(line: str, sep: str) -> list[str]:
    return re.split(sep, line.strip()) if sep == r"\s+" else line.split(sep)


def _has_header(lines: list[str], sep: str) -> bool:
    first = [f.strip().strip('"') for f in _split(lines[0], sep)]
    if any(_norm(f) in _KNOWN for f in first):
        return True
    if len(lines) > 1:  # a non-numeric 3rd/4th field above a numeric one is a header
        second = _split(lines[1], sep)
        for a, b in zip(first[2:4], second[2:4]):
            if not _is_number(a) and _is_number(b.strip()):
                return True
    return False


def read_text_table(path: Path, data: bytes | None = None, choose=None
                    ) -> tuple[pd.DataFrame, list[str] | None, int, dict | None]:
    """Parse a delimited text file. Returns (frame, header names or None, first data line, positions).

    Without `choose`, every column is read as text. With it, `choose(head, names)` picks the
    column positions from the first rows; the full parse then reads only those columns, ids
    as text and the rest as numbers (much faster than text-then-convert on large files).
    """
    file = str(path)
    data = read_bytes(path) if data is None else data
    check_text(data, file)
    check_rows(data, file)
    lines = [ln for ln in data[:65536].decode("utf-8-sig", errors="replace").splitlines()[:3] if ln.strip()]
    if not lines:
        raise EmptyFileError("the file is empty", file=file)
    sep = _sniff_separator(lines[0])
    if sep == "::":  # pandas' C parser takes one-character separators only
        data, sep = data.replace(b"::", b"\t"), "\t"
        lines = [ln.replace("::", "\t") for ln in lines]
    header = _has_header(lines, sep)
    options = dict(sep=sep, header=0 if header else None, keep_default_na=False, na_values=[""],
                   skipinitialspace=True, engine="c", quotechar='"', encoding="utf-8-sig")

    def parse(**extra) -> pd.DataFrame:
        try:  # from the bytes: no text copy of a large file
            return pd.read_csv(io.BytesIO(data), **options, **extra)
        except pd.errors.ParserError as err:
            match = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", str(err))
            if match:
                expected, line, saw = map(int, match.groups())
                raise ColumnError(f"{saw} fields where the rows above have {expected}",
                                  file=file, line=line) from None
            raise ColumnError(f"unreadable table ({' '.join(str(err).split())})", file=file) from None
        except pd.errors.EmptyDataError:
            raise EmptyFileError("the file is empty", file=file) from None

    head = parse(dtype=str, nrows=1000 if choose else None)
    names = [str(c).strip() for c in head.columns] if header else None
    head.columns = range(head.shape[1])
    if head.empty:
        raise EmptyFileError("the file has a header but no rows", file=file)
    if choose is None or head.shape[1] < 2:
        return head, names, 2 if header else 1, None
    positions = choose(head, names)
    wanted = sorted(set(positions.values()))
    ids = {positions["user"]: object, positions["item"]: object}
    frame = parse(usecols=wanted, dtype=ids)
    frame.columns = wanted
    return frame, names, 2 if header else 1, positions


MAX_JSON_DEPTH = 64  # review records nest two or three levels; a deeper file is not a table


def check_json_depth(text: str, file: str, limit: int = MAX_JSON_DEPTH) -> None:
    """Refuse JSON nested deeper than `limit` before any parser recurses into it. Brackets
    inside strings are skipped, exactly, on the lines whose bracket count could exceed it."""
    for number, line in enumerate(text.splitlines(), start=1):
        if line.count("[") + line.count("{") <= limit:
            continue
        depth, in_string, escaped = 0, False, False
        for char in line:
            if in_string:
                escaped, in_string = (not escaped and char == "\\"), in_string and (escaped or char != '"')
            elif char == '"':
                in_string = True
            elif char in "[{":
                depth += 1
                if depth > limit:
                    raise DataError(f"nested deeper than {limit} levels", file=file, line=number)
            elif char in "]}":
                depth -= 1


def _read_json_lines(path: Path, data: bytes) -> pd.DataFrame:
    file = str(path)
    check_rows(data, file)
    text = decode_text(data, file)
    check_json_depth(text, file)
    if not text.strip():
        raise EmptyFileError("the file is empty", file=file)
    try:
        return pd.read_json(io.StringIO(text), lines=True, dtype=False)
    except ValueError:  # a bad line, or a value pandas cannot hold (ids above 2^64): go line by line
        records = []
        for number, line in enumerate(text.splitlines(), start=1):
            if line.strip():
                try:
                    record = json.loads(line)
                except json.JSONDecodeError as err:
                    raise DataError(f"invalid JSON ({err.msg})", file=file, line=number,
                                    column=err.colno) from None
                if not isinstance(record, dict):
                    raise DataError("each line must be a JSON object", file=file, line=number)
                records.append(record)
        return pd.DataFrame.from_records(records)


PARQUET_CELL_BYTES = 8  # what a decoded value costs at least (an int64, a float64, a pointer)


def _parquet_file(path: Path):
    import pyarrow.parquet as pq
    try:
        return pq.ParquetFile(path)
    except Exception as err:  # pyarrow raises many types; all mean "not a readable parquet file"
        raise DataError(f"unreadable Parquet file ({type(err).__name__}: {err})".splitlines()[0],
                        file=str(path)) from None


def _check_parquet_size(rows: int, columns: int, size: int, file: str, limits: dict) -> None:
    """Refuse a Parquet file whose decoded size, rows x columns x 8 bytes, is past the limits
    (or past the gzip ratio times the file's size), before anything is decoded."""
    decoded = rows * columns * PARQUET_CELL_BYTES
    if rows > limits["rows"]:
        raise DataError(f"more than {limits['rows']:,} rows (the limit; set CROSSREC_MAX_ROWS to raise it)",
                        file=file)
    if decoded > limits["bytes"]:
        raise DataError(f"decodes to more than {limits['bytes']:,} bytes (the limit; set "
                        f"CROSSREC_MAX_FILE_BYTES to raise it)", file=file)
    if decoded > RATIO_CHECK_AFTER and decoded > limits["ratio"] * max(size, 1):
        raise DataError(f"decodes to more than {limits['ratio']:g} times its size ({rows:,} rows in "
                        f"{size:,} bytes); set CROSSREC_MAX_GZIP_RATIO if it is real data", file=file)


def _read_parquet(path: Path, head: int | None = None) -> pd.DataFrame:
    """A Parquet file, checked from its metadata first, then read one row group (or, for
    `head`, one small batch) at a time within the same limits as text."""
    file, limits = str(path), read_limits()
    parquet = _parquet_file(path)
    meta = parquet.metadata
    _check_parquet_size(meta.num_rows, meta.num_columns, path.stat().st_size, file, limits)
    tables, rows = [], 0
    try:
        if head is not None:
            batch = next(parquet.iter_batches(batch_size=head), None)
            tables = [] if batch is None else [batch]
        else:
            for group in range(parquet.num_row_groups):
                table = parquet.read_row_group(group)
                rows += table.num_rows  # what the pages hold, whatever the metadata claimed
                _check_parquet_size(rows, table.num_columns, path.stat().st_size, file, limits)
                tables.append(table)
        import pyarrow as pa
        frame = (pa.Table.from_batches(tables) if head is not None and tables else
                 pa.concat_tables(tables) if tables else parquet.schema_arrow.empty_table()).to_pandas()
    except DataError:
        raise
    except Exception as err:  # a damaged page
        raise DataError(f"unreadable Parquet file ({type(err).__name__}: {err})".splitlines()[0],
                        file=file) from None
    if frame.empty:
        raise EmptyFileError("the file has no rows", file=file)
    return frame


def _positions_from_names(names: list[str], file: str) -> dict[str, int]:
    positions: dict[str, int] = {}
    for pos, name in enumerate(names):
        canon = _KNOWN.get(_norm(name))
        if canon and canon not in positions:
            positions[canon] = pos
    missing = [c for c in ("user", "item") if c not in positions]
    if missing:
        raise ColumnError(f"no {' or '.join(missing)} column among {names}; name the columns "
                          f"(e.g. columns=user,item,rating)", file=file, line=1)
    return positions


def _positions_from_values(frame: pd.DataFrame) -> dict[str, int]:
    """Without a header: user, item, then a small-valued 3rd column is a rating, a large one a timestamp."""
    positions = {"user": 0, "item": 1}
    if frame.shape[1] >= 4:
        positions.update(rating=2, timestamp=3)
    elif frame.shape[1] == 3:
        values = pd.to_numeric(frame[2].head(1000), errors="coerce")
        positions["timestamp" if values.abs().max() > 1e5 else "rating"] = 2
    return positions


def _positions_from_caller(columns, names, width: int, file: str) -> dict[str, int]:
    """`columns` is a list naming each position (None/'' = ignore) or a dict canon -> position/header name."""
    if isinstance(columns, str):
        columns = [c.strip() or None for c in columns.split(",")]
    if isinstance(columns, dict):
        positions = {}
        for canon, where in columns.items():
            if isinstance(where, str) and not where.isdigit():
                if not names or where not in names:
                    raise ColumnError(f"column {where!r} not found (have {names})", file=file)
                where = names.index(where)
            positions[canon] = int(where)
    else:
        positions = {c: i for i, c in enumerate(columns) if c}
    unknown = set(positions) - set(COLUMNS)
    if unknown:
        raise ColumnError(f"unknown column name(s) {sorted(unknown)}; use {', '.join(COLUMNS)}",
                          file=file)
    if "user" not in positions or "item" not in positions:
        raise ColumnError("the column mapping must name a user and an item column", file=file)
    bad = [c for c, p in positions.items() if p >= width]
    if bad:
        raise ColumnError(f"the file has {width} column(s), no column {positions[bad[0]] + 1} for "
                          f"{bad[0]}", file=file)
    return positions


def _first_bad(mask: np.ndarray) -> int:
    return int(np.flatnonzero(mask)[0])


def _clean(frame: pd.DataFrame, positions: dict[str, int], names, file: str,
           first_line: int) -> pd.DataFrame:
    """Pick the canonical columns, check them, and drop duplicate (user, item) rows."""
    def where(canon):
        pos = positions[canon]
        return dict(file=file, column=pos + 1, column_name=names[pos] if names else canon)

    out = {}
    for canon in ("user", "item"):
        col = frame[positions[canon]]
        values = col.to_numpy(dtype=object)
        kind = pd.api.types.infer_dtype(values, skipna=True) if col.dtype == object else None
        if kind is not None and kind not in SCALAR_KINDS:
            nested = np.fromiter((isinstance(v, (list, dict, tuple, np.ndarray)) for v in values), bool,
                                 len(values))  # the error path: find the row
            if nested.any():
                kind = type(values[_first_bad(nested)]).__name__
                raise DataError(f"{canon} id is a {kind}, expected a plain value",
                                line=_first_bad(nested) + first_line, **where(canon))
        missing = pd.isna(values)
        if missing.any():
            raise MissingValueError(f"missing {canon} id", line=_first_bad(missing) + first_line,
                                    **where(canon))
        out[canon] = values if kind == "string" else col.astype(str).to_numpy(dtype=object)
    for canon in ("rating", "timestamp"):
        if canon not in positions:
            continue
        col = frame[positions[canon]]
        try:
            values = col if pd.api.types.is_numeric_dtype(col) else pd.to_numeric(col, errors="coerce")
        except (TypeError, ValueError):  # lists or dicts in the column
            values = pd.to_numeric(col.map(lambda v: v if isinstance(v, (int, float, str)) else None),
                                   errors="coerce")
        bad = values.isna().to_numpy()
        if bad.any():
            row = _first_bad(bad)
            raw = col.iloc[row]
            problem = f"missing {canon}" if pd.isna(raw) else f"non-numeric {canon} {str(raw)!r}"
            raise NonNumericError(problem, line=row + first_line, **where(canon))
        out[canon] = values.to_numpy(dtype=np.float64)
    clean = pd.DataFrame(out)
    before = len(clean)
    if clean.duplicated(["user", "item"]).any():  # keep the latest copy of a repeated (user, item)
        if "timestamp" in clean:
            clean = clean.sort_values("timestamp", kind="stable")
        clean = clean.drop_duplicates(["user", "item"], keep="last").sort_index(kind="stable")
        clean = clean.reset_index(drop=True)
    clean.attrs["duplicates_dropped"] = before - len(clean)
    clean.attrs["file"] = file
    return clean


def _is_json_lines(path: Path, data: bytes) -> bool:
    suffixes = [s.lower() for s in path.suffixes]
    return ".json" in suffixes or ".jsonl" in suffixes or data.lstrip()[:1] == b"{"


def is_parquet(path: Path) -> bool:
    """By its suffix or its magic number (a missing file is the reader's one-line error)."""
    if path.suffix.lower() in (".parquet", ".pq"):
        if not path.exists():
            raise MissingPathError("no such file or folder", file=str(path))
        return True
    try:
        with open(path, "rb") as handle:
            return handle.read(4) == b"PAR1"
    except OSError:
        return False  # read_bytes names the problem


PREVIEW_BYTES = 256 << 10  # a preview reads (and decompresses) this much of a text file, no more
PREVIEW_ROWS = 1000        # and this many rows of a Parquet file


def read_interactions(path, columns=None, preview: bool = False) -> pd.DataFrame:
    """Read one interaction file into `user, item[, rating][, timestamp]` (ids as strings).
    `preview`: only the file's head (PREVIEW_BYTES of text, PREVIEW_ROWS of Parquet).

    `columns` (optional) names the columns: a list per position (`["user", "item", None,
    "timestamp"]`), a comma string (`"user,item,,timestamp"`), or a dict `{canon: position or
    header name}`. Otherwise they are sniffed from the header or the values.
    `df.attrs["duplicates_dropped"]` counts repeated (user, item) rows that were dropped.
    """
    path = Path(path)
    file = str(path)
    if path.is_dir():
        raise DataError("is a folder, expected a file", file=file)
    if is_parquet(path):
        frame = _read_parquet(path, PREVIEW_ROWS if preview else None)
        names = [str(c) for c in frame.columns]
        first_line = 1
    else:
        data = read_bytes(path, PREVIEW_BYTES if preview else None)
        if preview and len(data) == PREVIEW_BYTES and b"\n" in data:
            data = data[:data.rindex(b"\n") + 1]  # whole lines only
        if _is_json_lines(path, data):
            frame = _read_json_lines(path, data)
            names = [str(c) for c in frame.columns]
            first_line = 1
        else:
            chooser = lambda first_rows, names: _choose_positions(first_rows, names, columns, file)  # noqa: E731
            frame, names, first_line, positions = read_text_table(path, data, chooser)
            if positions is not None:
                return _clean(frame, positions, names, file, first_line)
    if frame.shape[1] < 2:
        raise ColumnError(f"found {frame.shape[1]} column, need at least two (user, item)",
                          file=file, line=1)
    frame.columns = range(frame.shape[1])
    return _clean(frame, _choose_positions(frame, names, columns, file), names, file, first_line)


def _choose_positions(frame: pd.DataFrame, names, columns, file: str) -> dict[str, int]:
    if frame.shape[1] < 2:
        raise ColumnError(f"found {frame.shape[1]} column, need at least two (user, item)",
                          file=file, line=1)
    if columns is not None:
        return _positions_from_caller(columns, names, frame.shape[1], file)
    if names is not None:
        return _positions_from_names(names, file)
    return _positions_from_values(frame)


def read_links(path) -> pd.DataFrame:
    """A link file: two columns `source_user, target_user` (header optional) -> DataFrame of strings."""
    path = Path(path)
    frame, names, first_line, _ = read_text_table(path)
    if frame.shape[1] < 2:
        raise ColumnError("a link file needs two columns (source_user, target_user)",
                          file=str(path), line=1)
    pairs = _clean(frame, {"user": 0, "item": 1}, names, str(path), first_line)
    links = pd.DataFrame({"source": pairs["user"], "target": pairs["item"]})
    links.attrs["file"] = str(path)
    return links
