"""Save a pair uploaded through the dashboard as a pair folder with a manifest.

Files are validated in a staging folder first; only a pair that loads is moved into place,
so a bad upload never leaves half a pair behind or touches an existing one.
"""

from __future__ import annotations

import json
import re
import shutil
import tempfile
from pathlib import Path

import pandas as pd

from crossrec.data.catalog import MANIFEST, SCENARIOS, data_dir, load_from_files
from crossrec.errors import DataError
from crossrec.data.ratings import RatingProfile, check_min_rating, rating_profile
from crossrec.data.readers import read_interactions

SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


def _safe_filename(name: str, fallback: str) -> str:
    """A short, harmless file name for an uploaded file (its suffixes kept: they name the format)."""
    base = re.sub(r"[^A-Za-z0-9_.-]", "_", Path(name or fallback).name).strip(".")
    if not base:
        return fallback
    stem, dot, suffixes = base.partition(".")
    suffixes = (dot + suffixes)[-20:]
    return stem[:80] + suffixes


def _as_uploaded(err: DataError, names: dict[str, str]) -> DataError:
    """The same error, naming the file as the user uploaded it rather than our staging path."""
    shown = names.get(Path(err.file).name, err.file) if err.file else None
    return type(err)(err.problem, file=shown, line=err.line, column=err.column,
                     column_name=err.column_name)


def preview(filename: str, data: bytes, columns=None, rows: int = 8) -> pd.DataFrame:
    """The first rows of an uploaded file as the reader understands it (raises DataError).
    Only its head is read: a text file's first complete lines (of a gzip file, its first
    PREVIEW_BYTES decompressed), a Parquet file's first rows after its metadata is checked."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / _safe_filename(filename, "upload.txt")
        path.write_bytes(data)
        try:
            frame = read_interactions(path, columns, preview=True)
        except DataError as err:
            raise _as_uploaded(err, {path.name: filename}) from None
    frame.attrs.clear()
    return frame.head(rows)


def upload_rating_profile(filename: str, data: bytes, columns=None) -> RatingProfile | None:
    """What a rating threshold would keep of a whole uploaded file (None without a rating
    column); read with the readers' limits, like the pair itself."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / _safe_filename(filename, "upload.txt")
        path.write_bytes(data)
        try:
            return rating_profile(read_interactions(path, columns))
        except DataError as err:
            raise _as_uploaded(err, {path.name: filename}) from None


def save_pair(name: str, source: tuple[str, bytes], target: tuple[str, bytes],
              links: tuple[str, bytes] | None = None, source_columns=None, target_columns=None,
              description: str = "", min_rating: float | None = None) -> dict:
    """Validate and store an uploaded pair under the data folder; returns its manifest.
    `min_rating`: rows rated below it count as not liked and are dropped (kept in pair.json)."""
    if not isinstance(name, str) or not SAFE_NAME.fullmatch(name):
        raise DataError(f"pair name {name!r} must be 1-64 letters, digits, '-', '_' or '.'")
    root = data_dir()
    final = root / name
    if final.exists() or name.split(":")[0] in SCENARIOS:
        raise DataError(f"a pair named {name!r} already exists; choose another name")
    root.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".upload-", dir=root))
    try:
        manifest = {"name": name, "description": description or "uploaded pair"}
        uploaded = {}
        for key, upload in (("source", source), ("target", target), ("links", links)):
            if upload is None:
                continue
            filename = f"{key}-{_safe_filename(upload[0], key + '.txt')}"
            (staging / filename).write_bytes(upload[1])
            manifest[key] = filename
            uploaded[filename] = upload[0]
        if source_columns:
            manifest["source_columns"] = source_columns
        if target_columns:
            manifest["target_columns"] = target_columns
        if min_rating is not None:
            manifest["min_rating"] = min_rating = check_min_rating(min_rating, "rating threshold")
        try:
            load_from_files(staging / manifest["source"], staging / manifest["target"],
                            staging / manifest["links"] if "links" in manifest else None, name=name,
                            source_columns=source_columns, target_columns=target_columns,
                            min_rating=min_rating)
        except DataError as err:
            raise _as_uploaded(err, uploaded) from None
        (staging / MANIFEST).write_text(json.dumps(manifest, indent=2))
        try:
            staging.rename(final)  # atomic: of two saves of one name, one wins
        except OSError:
            raise DataError(f"a pair named {name!r} already exists; choose another name") from None
        return {**manifest, "folder": str(final)}
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
