"""Item names for people: the synthetic generator's taste clusters, or a pair folder's optional
item-metadata files (`source_titles` / `target_titles` in pair.json: `item, title[, category]`
rows with a header, comma or tab separated; see data/README.md)."""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd

from crossrec.data.catalog import SCENARIOS, _resolve, folder_pairs, synthetic_settings
from crossrec.data.readers import check_rows, check_text, read_bytes
from crossrec.data.synthetic import item_titles as synthetic_titles
from crossrec.errors import DataError

MAX_TITLE_ROWS = 5_000_000


def read_titles(path: Path) -> dict[str, str]:
    """{item id: "title (category)"} from an item-metadata file, read within the same limits as
    interaction files (bytes, gzip expansion, rows)."""
    data = read_bytes(path)
    check_text(data, str(path))
    check_rows(data, str(path))
    first = data[:65536].split(b"\n", 1)[0]
    try:
        frame = pd.read_csv(io.BytesIO(data), sep="\t" if b"\t" in first else ",", dtype=str,
                            nrows=MAX_TITLE_ROWS, keep_default_na=False, encoding="utf-8-sig")
    except (OSError, ValueError, pd.errors.ParserError) as err:
        raise DataError(f"unreadable item titles ({str(err).splitlines()[0]})", file=str(path)) from None
    missing = {"item", "title"} - set(frame.columns)
    if missing:
        raise DataError(f"item titles need the columns item, title[, category]; missing "
                        f"{', '.join(sorted(missing))}", file=str(path))
    titles = frame["title"]
    if "category" in frame:
        titles = titles.where(frame["category"] == "", titles + " (" + frame["category"] + ")")
    return dict(zip(frame["item"], titles))


def item_titles(ref: dict) -> dict[str, dict[str, str]]:
    """{"source": {item id: title}, "target": {...}} for a pair reference; empty where unknown."""
    name = ref.get("catalog")
    if name is None:
        return {"source": {}, "target": {}}
    if name.split(":")[0] in SCENARIOS:
        return synthetic_titles(synthetic_settings(name))
    manifest = folder_pairs().get(name, {})
    folder = Path(manifest.get("folder", "."))
    return {domain: read_titles(_resolve(folder, manifest[f"{domain}_titles"]))
            if manifest.get(f"{domain}_titles") else {} for domain in ("source", "target")}
