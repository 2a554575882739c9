"""Every typed error of the project. Each renders as one line naming what is wrong and where."""

from __future__ import annotations

import re


class DataError(ValueError):
    """Bad input data. `str(err)` is one line: `file:line: column N (name): problem`."""

    def __init__(self, problem: str, file: str | None = None, line: int | None = None,
                 column: int | None = None, column_name: str | None = None):
        self.problem, self.file, self.line = problem, file, line
        self.column, self.column_name = column, column_name
        super().__init__(self._render())

    def _render(self) -> str:
        where = []
        if self.file:
            where.append(str(self.file))
        if self.line is not None:
            where.append(f"line {self.line}")
        if self.column is not None:
            col = f"column {self.column}"
            where.append(f"{col} ({self.column_name})" if self.column_name else col)
        text = " ".join(self.problem.split())  # always a single line
        return f"{', '.join(where)}: {text}" if where else text


class MissingPathError(DataError):
    """A file or folder that does not exist."""


class EmptyFileError(DataError):
    """A file with no rows."""


class BinaryFileError(DataError):
    """Binary or undecodable content where text was expected."""


class CorruptGzipError(DataError):
    """A .gz file that cannot be decompressed."""


class ColumnError(DataError):
    """Too few columns, or a named column that is not there."""


class MissingValueError(DataError):
    """An empty user or item id (or rating/timestamp where the column exists)."""


class NonNumericError(DataError):
    """A rating or timestamp that is not a number."""


class MissingTrainFileError(DataError):
    """A domain folder without a train file."""


class UnknownPairError(DataError):
    """A catalog name that is not in the catalog."""


class LinkError(DataError):
    """A link file that matches no users, or is malformed."""


class SettingError(ValueError):
    """A bad method or pair setting (unknown key, wrong type, out of range)."""


class UsageError(Exception):
    """Bad command-line usage (a missing argument, two that exclude each other)."""


class ArtifactError(OSError):
    """A run's files could not be written (read-only folder, full disk)."""

    PREFIX = "could not write artifacts"

    def __init__(self, reason: str, path):
        super().__init__(f"{self.PREFIX}: {' '.join(str(reason).split())} ({path})")

    def __str__(self) -> str:
        return self.args[0]


class StoreError(Exception):
    """The run store cannot be used (damaged, read-only, missing, a home that is a file); one
    line that names the store with any password masked."""

    def __init__(self, message: str):
        super().__init__(" ".join(mask_secrets(str(message)).split()))


class StoreUnavailable(StoreError):
    """The run store stayed locked or unreachable for the whole retry window."""


_URL_PASSWORD = re.compile(r"(?P<head>[A-Za-z][A-Za-z0-9+.-]*://[^:/?#@\s]*:)[^@\s]*@")
_KEYWORD_PASSWORD = re.compile(r"(?P<head>password\s*=\s*)('[^']*'|\S+)", re.IGNORECASE)


def mask_secrets(text: str) -> str:
    """The text with passwords masked: `postgresql://user:***@host`, `password=***`."""
    text = _URL_PASSWORD.sub(lambda m: m.group("head") + "***@", text)
    return _KEYWORD_PASSWORD.sub(lambda m: m.group("head") + "***", text)
