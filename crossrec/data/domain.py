"""A domain as read from disk: one file, or a folder with `train`, optional `valid`, optional `test`."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from crossrec.errors import DataError, MissingPathError, MissingTrainFileError
from crossrec.data.readers import read_interactions

# File stems (name before the first dot) that name a split inside a domain folder.
SPLIT_STEMS = {"train": {"train"}, "valid": {"valid", "validation", "val", "dev"},
               "test": {"test"}}


@dataclass
class RawDomain:
    """Interactions of one domain with raw (string) ids, per given split."""

    name: str
    train: pd.DataFrame
    valid: pd.DataFrame | None = None
    test: pd.DataFrame | None = None
    path: str = ""

    def splits(self) -> dict[str, pd.DataFrame]:
        return {k: v for k, v in (("train", self.train), ("valid", self.valid),
                                  ("test", self.test)) if v is not None}

    @property
    def duplicates_dropped(self) -> int:
        return sum(df.attrs.get("duplicates_dropped", 0) for df in self.splits().values())
GENERIC_STEMS = {"ratings", "data", "interactions", "train", "inter", "reviews"}


def _split_files(folder: Path) -> dict[str, Path]:
    found: dict[str, Path] = {}
    for path in sorted(folder.iterdir()):
        if not path.is_file() or path.name.startswith("."):
            continue
        stem = path.name.split(".")[0].lower()
        for split, stems in SPLIT_STEMS.items():
            if stem in stems and split not in found:
                found[split] = path
    return found


def read_domain(path, columns=None, name: str | None = None) -> RawDomain:
    """Read a domain from a file or a split folder; other files in the folder are ignored."""
    path = Path(path)
    if not path.exists():
        if path.is_symlink():
            raise DataError("a symbolic link that leads nowhere (a loop, or its target is gone)",
                            file=str(path))
        raise MissingPathError("no such file or folder", file=str(path))
    stem = path.name.split(".")[0]
    # A generic file name ("ratings.dat") says less than its folder ("douban_book").
    label = name or (path.resolve().parent.name if path.is_file() and stem.lower() in GENERIC_STEMS
                     else stem)
    if path.is_file():
        return RawDomain(label, read_interactions(path, columns), path=str(path))
    files = _split_files(path)
    if "train" not in files:
        raise MissingTrainFileError("folder has no train file (expected train.txt, train.csv, "
                                    "train.parquet, ...)", file=str(path))
    frames = {split: read_interactions(f, columns) for split, f in files.items()}
    return RawDomain(label, frames["train"], frames.get("valid"), frames.get("test"), str(path))
