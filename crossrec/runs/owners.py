"""Who a run belongs to: a name a browser session gives itself, or the login name of the CLI's
user. The owner is shown, filtered on and used by the fair queue and the cancel rule; it is never
part of an experiment's identity."""

from __future__ import annotations

import getpass
import re

from crossrec.errors import SettingError

NAME = re.compile(r"[\w .@+-]{1,40}")


def default_owner() -> str:
    """The login name of this process's user (what CLI runs record unless --owner is given)."""
    try:
        return check_owner(getpass.getuser())
    except (SettingError, KeyError, OSError):
        return "user"


def check_owner(name) -> str:
    text = " ".join(str(name).split())
    if not NAME.fullmatch(text):
        raise SettingError(f"owner name {str(name)[:60]!r} must be 1-40 letters, digits, spaces or . @ + - _")
    return text
