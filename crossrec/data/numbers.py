"""Numbers typed by people (CLI flags, `--set`, knobs, forms): ASCII digits only. Python's own
int() and float() also take '1_0', '١٢' and ' nan ', which no one means as a setting."""

from __future__ import annotations

import re

from crossrec.errors import SettingError

_INT = re.compile(r"[+-]?[0-9]+")
_FLOAT = re.compile(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?")


def strict_int(value, what: str) -> int:
    """An int from an int or from ASCII-digit text; `what` names it in the one-line error."""
    if isinstance(value, bool):
        raise SettingError(f"{what} {value!r} is not an integer")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    text = str(value).strip()
    if not _INT.fullmatch(text):
        raise SettingError(f"{what} {value!r} is not an integer (ASCII digits, e.g. 64)")
    return int(text)


def strict_float(value, what: str) -> float:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    text = str(value).strip()
    if not _FLOAT.fullmatch(text):
        raise SettingError(f"{what} {value!r} is not a number (ASCII digits, e.g. 0.01)")
    return float(text)
