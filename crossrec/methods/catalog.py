"""The method catalog: one card per method (name, family, paper, limits, phases, settings).

Cards are read from the method modules' source with `ast`, without importing them, so pages
and `python -m crossrec methods` never import torch and a new method shows on the next start.
The card parts of a method class are plain literals (class attributes, `phases`, the settings
dataclass's `setting(...)` fields); tests/test_methods.py checks every card read here against
the imported class (its settings dataclass and the phases of its default plan).
"""

from __future__ import annotations

import ast
import functools
from pathlib import Path

from crossrec.methods.registry import METHODS, location

CARD_FIELDS = ("name", "family", "description", "paper", "loss_latex", "limits", "phases",
               "needs_overlap", "settings")
PACKAGE = "crossrec.methods"
HERE = Path(__file__).resolve().parent


@functools.lru_cache(maxsize=None)
def _module(name: str) -> ast.Module:
    path = HERE / f"{name}.py"
    return ast.parse(path.read_text(encoding="utf-8"), str(path))


def _find_class(module: str, name: str) -> tuple[str, ast.ClassDef]:
    """(module, class node) of `name` as `module` sees it: defined there or imported from a
    sibling module of crossrec.methods."""
    tree = _module(module)
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and node.name == name:
            return module, node
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(PACKAGE + ".") \
                and any(alias.name == name and alias.asname is None for alias in node.names):
            return _find_class(node.module.removeprefix(PACKAGE + "."), name)
    raise ValueError(f"crossrec/methods/{module}.py: class {name} is neither defined nor imported there")


def _literal(node: ast.AST, where: str):
    try:
        return ast.literal_eval(node)
    except ValueError:
        raise ValueError(f"{where}: a card value must be a literal, got {ast.unparse(node)}") from None


def _bases(module: str, cls: ast.ClassDef) -> list[tuple[str, ast.ClassDef]]:
    """Base classes defined in crossrec.methods (a dataclass or `object` base ends the walk)."""
    found = []
    for base in cls.bases:
        if isinstance(base, ast.Name):
            try:
                found.append(_find_class(module, base.id))
            except ValueError:
                continue
    return found


def _class_attributes(module: str, cls: ast.ClassDef) -> dict:
    """Class-level assignments, inherited ones first; a bare name (`Settings = CMFSettings`) is
    kept as ("class", module, name)."""
    values: dict = {}
    for base_module, base in _bases(module, cls):
        values.update(_class_attributes(base_module, base))
    for node in cls.body:
        target, value = None, None
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            target, value = node.targets[0].id, node.value
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value is not None:
            target, value = node.target.id, node.value
        if target is None:
            continue
        where = f"crossrec/methods/{module}.py:{node.lineno}"
        values[target] = ("class", module, value.id) if isinstance(value, ast.Name) \
            else (value if isinstance(value, ast.Call) else _literal(value, where))
    return values


SETTING_ARGS = ("default", "help", "low", "high", "choices")


def _setting_row(name: str, annotation: ast.AST, call: ast.Call, where: str) -> dict:
    """One settings field, `name: type = setting(default, help, low, high, choices)`."""
    if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id == "setting"):
        raise ValueError(f"{where}: settings field {name} must be `setting(...)`")
    args = dict(zip(SETTING_ARGS, (_literal(a, where) for a in call.args)))
    args.update({k.arg: _literal(k.value, where) for k in call.keywords})
    kind = annotation.id if isinstance(annotation, ast.Name) else _literal(annotation, where)
    return {"name": name, "type": kind, "default": args["default"], "help": args["help"],
            "low": args.get("low"), "high": args.get("high"), "choices": args.get("choices")}


def _settings_rows(module: str, cls: ast.ClassDef) -> dict[str, dict]:
    """A settings dataclass's fields in dataclass order: inherited fields keep their place when
    a subclass gives them a new default; new fields follow."""
    rows: dict[str, dict] = {}
    for base_module, base in _bases(module, cls):
        rows.update(_settings_rows(base_module, base))
    for node in cls.body:
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value is not None:
            where = f"crossrec/methods/{module}.py:{node.lineno}"
            rows[node.target.id] = _setting_row(node.target.id, node.annotation, node.value, where)
    return rows


@functools.lru_cache(maxsize=None)
def read_card(name: str) -> dict:
    """The card of a registered method, from its module's source."""
    module, class_name = location(name)
    attrs = _class_attributes(*_find_class(module, class_name))
    _, settings_module, settings_class = attrs["Settings"]
    settings = _settings_rows(*_find_class(settings_module, settings_class))
    return {"name": name, "family": attrs["family"], "description": attrs["summary"].replace("\n", " "),
            "paper": attrs["paper"], "loss_latex": attrs["loss_latex"],
            "limits": " ".join(attrs.get("limits", "").split()), "phases": list(attrs["phases"]),
            "needs_overlap": attrs["needs_overlap"], "settings": list(settings.values())}


def all_cards() -> list[dict]:
    """Cards of every registered method, in the registry's order (no method is imported)."""
    return [read_card(name) for name in METHODS]


def setting_defaults(cards: list[dict]) -> dict[str, dict]:
    """{method: {setting: default}}: what a run's stored settings leave out."""
    return {c["name"]: {row["name"]: row["default"] for row in c["settings"]} for c in cards}
