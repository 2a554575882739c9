"""The method registry: every method's name, module and class, in the order the dashboard lists
them. Adding a method is one file under crossrec/methods/ and one line here.

Torch-free: method cards are read from the modules' source (`crossrec.methods.catalog`);
`get_method` imports a method's module (and so torch) only when a run needs its class.
"""

from __future__ import annotations

import importlib

from crossrec.errors import SettingError

METHODS = {  # name -> "module:Class" under crossrec.methods
    "popularity": "popularity:Popularity",
    "target_only": "target_only:TargetOnly",
    "cmf": "cmf:CMF",
    "finetune": "finetune:Finetune",
    "emcdr": "emcdr:EMCDR",
    "ptupcdr": "ptupcdr:PTUPCDR",
    "dann": "dann:DANN",
    "vae": "vae:CrossDomainVAE",
    "distill": "distill:Distill",
    "conet": "conet:CoNet",
}


def location(name: str) -> tuple[str, str]:
    """(module under crossrec.methods, class name) of a registered method."""
    if name not in METHODS:
        raise SettingError(f"unknown method {name!r}; methods: {', '.join(METHODS)}")
    module, _, cls = METHODS[name].partition(":")
    return module, cls


def get_method(name: str) -> type:
    """The class of a registered method (imports its module: torch)."""
    module, cls = location(name)
    # The one dynamic import of the package: method modules never import the registry back
    # (tests/test_layers.py counts these edges).
    return getattr(importlib.import_module(f"crossrec.methods.{module}"), cls)


def all_methods() -> dict[str, type]:
    return {name: get_method(name) for name in METHODS}
