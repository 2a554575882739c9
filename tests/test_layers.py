"""The packages of `crossrec` import one way only (docs/ARCHITECTURE.md, "Layers"): an AST walk
over every module, so an upward import or a cycle between packages fails here."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "crossrec"
# Lower layers first; a module may import its own layer's package or any lower layer.
LAYERS = [["errors"], ["data"], ["tensors"], ["losses", "models"], ["methods"], ["eval"],
          ["analysis", "viz"], ["train"], ["runs"], ["sweeps"], ["scheduling"], ["cli", "__main__"]]
RANK = {unit: k for k, layer in enumerate(LAYERS) for unit in layer}


def unit_of(module: str) -> str:
    """'crossrec.methods.cmf' -> 'methods'; 'crossrec' -> ''."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def imports() -> list[tuple[str, str, int]]:
    """(importing unit, imported unit, line) for every `crossrec` import, at any depth."""
    found = []
    for path in PACKAGE.rglob("*.py"):
        rel = path.relative_to(ROOT).with_suffix("")
        module = ".".join(rel.parts[:-1] if rel.name == "__init__" else rel.parts)
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            for name in names:
                if name.startswith("crossrec.") and unit_of(name) in RANK:
                    found.append((unit_of(module), unit_of(name), f"{path.relative_to(ROOT)}:{node.lineno}"))
                    break
    return found


def test_every_package_is_in_a_layer():
    units = {p.stem if p.is_file() else p.name for p in PACKAGE.iterdir()
             if (p.is_dir() and (p / "__init__.py").exists()) or (p.suffix == ".py" and p.stem != "__init__")}
    assert units <= set(RANK), sorted(units - set(RANK))


def test_no_upward_import():
    upward = [f"{where}: {src} imports {dst}" for src, dst, where in imports()
              if src in RANK and RANK[dst] > RANK[src]]
    assert not upward, "\n".join(upward)


def test_no_cycle_between_packages():
    edges = {(src, dst) for src, dst, _ in imports() if src != dst}
    cycles = sorted(f"{a} <-> {b}" for a, b in edges if (b, a) in edges and a < b)
    assert not cycles, cycles


def test_the_walk_sees_imports():  # guards the test itself: a broken walk would pass vacuously
    pairs = {(src, dst) for src, dst, _ in imports()}
    assert ("methods", "tensors") in pairs and ("runs", "train") in pairs and ("cli", "runs") in pairs


# --- modules: no import cycle of any length, imports inside functions counted ----------------

def module_name(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    return ".".join(rel.parts[:-1] if rel.name == "__init__" else rel.parts)


MODULES = {module_name(p): p for p in PACKAGE.rglob("*.py")}


def imported_module(name: str) -> str | None:
    """The module of crossrec that an import name loads ('crossrec.runs.store.RunStore' ->
    'crossrec.runs.store'), or None for names outside crossrec."""
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name if name.startswith("crossrec.") else None


def module_graph() -> dict[str, set[str]]:
    """module -> modules it imports, at any depth of its code, plus the registry's method modules
    (the one dynamic import: `crossrec.methods.registry.get_method`)."""
    from crossrec.methods.registry import METHODS
    graph = {name: set() for name in MODULES}
    for name, path in MODULES.items():
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                targets = [f"{node.module}.{a.name}" for a in node.names]
            else:
                continue
            graph[name] |= {m for m in map(imported_module, targets) if m and m != name}
    graph["crossrec.methods.registry"] |= {f"crossrec.methods.{spec.partition(':')[0]}" for spec in METHODS.values()}
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle (a list of modules, the first repeated at the end), or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: finished
    path: list[str] = []

    def visit(node):
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        path.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state and (found := visit(start)):
            return found
    return None


def test_no_import_cycle_between_modules():
    cycle = find_cycle(module_graph())
    assert cycle is None, " -> ".join(cycle)


def test_the_cycle_finder_finds_cycles():  # guards the test itself
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None
    graph = module_graph()
    assert "crossrec.runs.store" in graph["crossrec.runs.postgres_store"]  # a top-level import
    assert "crossrec.methods.cmf" in graph["crossrec.methods.registry"]  # the registry's dynamic ones


def test_no_dynamic_import_outside_the_registry():
    users = sorted(str(p.relative_to(ROOT)) for p in PACKAGE.rglob("*.py")
                   if "importlib" in p.read_text() or "__import__" in p.read_text())
    assert users == ["crossrec/methods/registry.py"], users
