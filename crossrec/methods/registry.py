"""Explicit method registry: `@register("name")` on each method class."""

from __future__ import annotations

from crossrec.data.errors import SettingError

REGISTRY: dict[str, type] = {}


def register(name: str):
    def wrap(cls):
        if name in REGISTRY:
            raise RuntimeError(f"method {name!r} registered twice")
        cls.name = name
        REGISTRY[name] = cls
        return cls
    return wrap


def get_method(name: str) -> type:
    from crossrec import methods  # noqa: F401  (imports every method module, which registers it)
    if name not in REGISTRY:
        raise SettingError(f"unknown method {name!r}; methods: {', '.join(REGISTRY)}")
    return REGISTRY[name]


def all_methods() -> dict[str, type]:
    from crossrec import methods  # noqa: F401
    return dict(REGISTRY)
