"""One validation of a run request (pair, method, settings, seed, device, eval mode), shared by
the CLI, the Train page and the run executor. Torch-free: it checks against method cards."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from crossrec.data.numbers import strict_int
from crossrec.errors import SettingError
from crossrec.eval.modes import parse_mode
from crossrec.methods.settings import check_values
from crossrec.runs.owners import check_owner
from crossrec.train.device import check_device_name

SEED_MAX = 2**32 - 1  # numpy's and torch's seeds both take 0..2^32-1


def check_seed(seed, what: str = "seed") -> int:
    """A seed in 0..2^32-1, from an int or a string of ASCII digits."""
    value = strict_int(seed, what)
    if not 0 <= value <= SEED_MAX:
        raise SettingError(f"{what} {value} is out of range 0..{SEED_MAX}")
    return value


@dataclass(frozen=True)
class RunRequest:
    pair: dict
    method: str
    settings: dict
    seed: int = 0
    device: str = "auto"
    eval_mode: str = "full"
    owner: str = ""

    def as_dict(self) -> dict:
        return asdict(self)


def validate_request(cards: list[dict], pair: dict, method: str, settings: dict | None = None,
                     seed=0, device: str = "auto", eval_mode: str = "full", owner: str | None = None) -> RunRequest:
    """A checked request, or a SettingError naming the first thing that is wrong."""
    by_name = {c["name"]: c for c in cards}
    if method not in by_name:
        raise SettingError(f"unknown method {method!r}; methods: {', '.join(by_name)}")
    if not isinstance(pair, dict) or not pair:
        raise SettingError("a run needs a pair (a catalog name, or source and target files)")
    typed = check_values(by_name[method]["settings"], settings, method)
    parse_mode(eval_mode)
    return RunRequest(pair=pair, method=method, settings=typed, seed=check_seed(seed),
                      device=check_device_name(device), eval_mode=eval_mode,
                      owner=check_owner(owner) if owner else "")
