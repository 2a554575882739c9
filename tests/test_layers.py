"""The packages of `crossrec` import one way only (docs/ARCHITECTURE.md, "Layers"): an AST walk
over every module, so an upward import or a cycle between packages fails here."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "crossrec"
# Lower layers first; a module may import its own layer's package or any lower layer.
LAYERS = [["errors"], ["data"], ["tensors"], ["losses", "models"], ["methods"], ["eval"],
          ["analysis", "viz"], ["train"], ["runs"], ["sweeps"], ["cli", "__main__"]]
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
