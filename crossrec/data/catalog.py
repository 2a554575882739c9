"""The catalog of domain pairs: synthetic scenarios plus pair folders under the data folder.

A pair reference (what a run stores) is a plain dict:
- `{"catalog": "synthetic"}` or `{"catalog": "synthetic:shift=0.8,seed=3"}` (knob overrides),
- `{"catalog": "<name of a pair folder>"}`,
- `{"source": PATH, "target": PATH, "links": PATH or None}` for files given directly.
A pair folder holds a `pair.json` manifest (see data/README.md).
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, fields, replace
from pathlib import Path

from crossrec.data.domain import read_domain
from crossrec.errors import DataError, SettingError, UnknownPairError
from crossrec.data.pair import DomainPair, build_pair
from crossrec.data.numbers import strict_float, strict_int
from crossrec.data.ratings import check_min_rating, keep_liked, label
from crossrec.data.readers import read_links
from crossrec.data.synthetic import SyntheticSettings, generate

MANIFEST = "pair.json"
REPO_DATA = Path(__file__).resolve().parents[2] / "data"

# Named teaching scenarios: knob overrides of SyntheticSettings.
SCENARIOS = {
    "synthetic": ({}, "Default demo pair: 3,000 users, 60% overlap, moderate taste shift."),
    "synthetic-easy": ({"shift": 0.05}, "Nearly identical tastes across domains: transfer shines."),
    "synthetic-hard": ({"shift": 0.8}, "Strong domain shift: little carries over."),
    "synthetic-tiny": ({"users": 400, "source_items": 150, "target_items": 120, "density": 0.06},
                       "Tiny pair for quick demos and tests (trains in a second)."),
    "lecture": ({"users": 1200, "source_items": 400, "target_items": 300, "density": 0.03},
                "Made for live demos in a lecture: every method's default run finishes in well under "
                "30 s on a 2-core CPU, and transfer still clearly beats the baselines on cold users."),
}


def is_synthetic(ref: dict) -> bool:
    """Whether a pair reference names a synthetic scenario (whose knobs a sweep may search)."""
    return ref.get("catalog", "").split(":")[0] in SCENARIOS


def data_dir() -> Path:
    return Path(os.environ.get("CROSSREC_DATA_DIR", REPO_DATA))


def _parse_knobs(text: str) -> dict:
    knobs = {}
    types = {f.name: f.type for f in fields(SyntheticSettings)}
    for part in filter(None, (p.strip() for p in text.split(","))):
        key, sep, value = part.partition("=")
        key = key.strip()
        if not sep or key not in types:
            raise SettingError(f"unknown synthetic knob {key!r}; knobs: {', '.join(types)}")
        number = strict_int if types[key] in (int, "int") else strict_float
        knobs[key] = number(value, f"synthetic knob {key}")
    return knobs


def synthetic_settings(name: str) -> SyntheticSettings:
    """Settings of a synthetic catalog name such as `synthetic-hard:seed=2,users=500`."""
    base, _, knobs = name.partition(":")
    if base not in SCENARIOS:
        raise UnknownPairError(f"unknown synthetic scenario {base!r}; have {', '.join(SCENARIOS)}")
    return replace(SyntheticSettings(), **{**SCENARIOS[base][0], **_parse_knobs(knobs)})


def read_manifest(folder: Path) -> dict:
    path = folder / MANIFEST
    try:
        manifest = json.loads(path.read_text())
    except RecursionError:
        raise DataError("unreadable manifest (nested too deep)", file=str(path)) from None
    except (OSError, ValueError) as err:
        raise DataError(f"unreadable manifest ({err})", file=str(path)) from None
    if not isinstance(manifest, dict):
        raise DataError("unreadable manifest (expected a JSON object)", file=str(path))
    for key in ("source", "target"):
        if key not in manifest:
            raise DataError(f"manifest has no {key!r} entry", file=str(path))
    manifest.setdefault("name", folder.name)
    manifest["folder"] = str(folder)
    return manifest


def folder_pairs() -> dict[str, dict]:
    """Manifests of the pair folders under the data folder, by name."""
    root = data_dir()
    found = {}
    if root.is_dir():
        for manifest in sorted(root.glob(f"*/{MANIFEST}")):
            try:
                entry = read_manifest(manifest.parent)
            except DataError:
                continue  # a broken folder must not hide the others; `inspect` names its error
            found[entry["name"]] = entry
    return found


def list_pairs() -> list[dict]:
    """Every catalog entry: name, kind (synthetic/folder), description."""
    rows = [{"name": n, "kind": "synthetic", "description": d,
             "settings": asdict(replace(SyntheticSettings(), **k))} for n, (k, d) in SCENARIOS.items()]
    for name, m in folder_pairs().items():
        rows.append({"name": name, "kind": "folder", "description": m.get("description", ""),
                     "folder": m["folder"]})
    return rows


def _resolve(folder: Path, path: str | None) -> Path | None:
    if path is None:
        return None
    p = Path(path).expanduser()
    return p if p.is_absolute() else folder / p


def load_from_files(source, target, links=None, name=None, seed: int = 0,
                    source_columns=None, target_columns=None, cold_fraction=0.2,
                    min_rating: float | None = None) -> DomainPair:
    """A pair from domain files; `min_rating`: rows rated below it are dropped first."""
    src = read_domain(source, source_columns)
    tgt = read_domain(target, target_columns)
    liked = {}
    if min_rating is not None:
        (src, liked["source"]), (tgt, liked["target"]) = keep_liked(src, min_rating), keep_liked(tgt, min_rating)
    link_frame = read_links(links) if links else None
    pair = build_pair(src, tgt, link_frame, name=name, seed=seed, cold_fraction=cold_fraction)
    if min_rating is not None:
        pair.name = f"{pair.name} ({label(min_rating)})"
        pair.min_rating, pair.liked_rows = min_rating, liked
    return pair


def load_pair(ref: dict | str) -> DomainPair:
    """Build the DomainPair a reference names (see module docstring)."""
    if isinstance(ref, str):
        ref = {"catalog": ref}
    split_seed = ref.get("split_seed")  # the seed of the protocol split (pairs without a given test)
    if "catalog" not in ref:
        return load_from_files(ref["source"], ref["target"], ref.get("links"), name=ref.get("name"),
                               seed=int(split_seed if split_seed is not None else ref.get("seed", 0)),
                               min_rating=_min_rating(ref.get("min_rating"), "min_rating"))
    name = ref["catalog"]
    if name.split(":")[0] in SCENARIOS:
        settings = synthetic_settings(name)
        source, target = generate(settings)
        return build_pair(source, target, name=name,
                          seed=settings.seed if split_seed is None else int(split_seed))
    manifests = folder_pairs()
    if name not in manifests:
        raise UnknownPairError(f"unknown pair {name!r}; run `python -m crossrec datasets` to list "
                               f"the catalog")
    m = manifests[name]
    folder = Path(m["folder"])
    return load_from_files(_resolve(folder, m["source"]), _resolve(folder, m["target"]),
                           _resolve(folder, m.get("links")), name=name,
                           seed=int(split_seed if split_seed is not None else m.get("seed", 0)),
                           source_columns=m.get("source_columns"),
                           target_columns=m.get("target_columns"),
                           cold_fraction=float(m.get("cold_fraction", 0.2)),
                           min_rating=_min_rating(m.get("min_rating"), f"{folder / MANIFEST}: min_rating"))


def default_split_seed(ref: dict) -> int | None:
    """The seed a pair reference's default split is drawn with (a synthetic scenario's seed
    knob, a pair folder's `seed`, 0 for files); None for a catalog name that is not here."""
    if "catalog" not in ref:
        return int(ref.get("seed", 0))
    name = ref["catalog"]
    if name.split(":")[0] in SCENARIOS:
        return synthetic_settings(name).seed
    manifest = folder_pairs().get(name)
    return int(manifest.get("seed", 0)) if manifest else None


def pin_split_seed(ref: dict, pair: DomainPair) -> dict:
    """The reference with the split seed its default split was drawn with, so that a run on the
    default split pairs with one given the same `--split-seed` (a given split keeps none)."""
    if ref.get("split_seed") is not None or pair.split == "given":
        return ref
    seed = default_split_seed(ref)
    return ref if seed is None else {**ref, "split_seed": seed}


def _min_rating(value, what: str) -> float | None:
    return None if value is None else check_min_rating(value, what)
