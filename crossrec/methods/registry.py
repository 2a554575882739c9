"""Explicit method registry: `@register("name")` on each method class."""

from __future__ import annotations

import importlib

from crossrec.errors import SettingError

REGISTRY: dict[str, type] = {}
# Every method module, in the order the dashboard lists them (explicit, no discovery magic).
MODULES = ("popularity", "target_only", "cmf", "finetune", "emcdr", "ptupcdr", "dann", "vae",
           "distill", "conet")


def _load_all() -> None:
    for module in MODULES:
        importlib.import_module(f"crossrec.methods.{module}")


def register(name: str):
    def wrap(cls):
        if name in REGISTRY:
            raise RuntimeError(f"method {name!r} registered twice")
        cls.name = name
        REGISTRY[name] = cls
        return cls
    return wrap


def get_method(name: str) -> type:
    _load_all()
    if name not in REGISTRY:
        raise SettingError(f"unknown method {name!r}; methods: {', '.join(REGISTRY)}")
    return REGISTRY[name]


def all_methods() -> dict[str, type]:
    _load_all()
    return {name: REGISTRY[name] for name in MODULES}
