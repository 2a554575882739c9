"""Download a benchmark pair's pinned files, verify them, and register the pair folder.

Nothing half-made ever appears as a pair: each file is written to `<name>.part` in the cache
folder (`<data folder>/.downloads`, never listed as a pair), resumed with an HTTP Range request
when a part is there, checked against its pinned size and SHA-256, and only then renamed into
the cache; the pair folder is put together in a temporary folder and renamed into the data
folder last. A file that does not match its pin is deleted and refused with one line.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import shutil
import urllib.error
import urllib.request
from pathlib import Path
from typing import Callable

from crossrec.data.benchmarks import GITHUB_RAW, MIRROR_ENV, Benchmark, PinnedFile, benchmark
from crossrec.data.catalog import MANIFEST, data_dir
from crossrec.errors import DataError

CHUNK = 1 << 16
TIMEOUT_SECONDS = 60
Progress = Callable[[int, int], None]  # (bytes done, bytes in all)


def cache_dir() -> Path:
    return data_dir() / ".downloads"


def is_fetched(name: str) -> bool:
    return (data_dir() / name / MANIFEST).is_file()


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _refuse_if_mismatched(path: Path, pin: PinnedFile) -> None:
    size = path.stat().st_size
    problem = (f"{size:,} bytes where the pin says {pin.size:,}" if size != pin.size else
               None if (got := _sha256(path)) == pin.sha256 else
               f"SHA-256 {got[:12]}… where the pin says {pin.sha256[:12]}…")
    if problem:
        path.unlink()
        raise DataError(f"{pin.repo}@{pin.commit[:7]}/{pin.path}: {problem}; the file was deleted "
                        f"(check {MIRROR_ENV} or try again)")


def _download(pin: PinnedFile, part: Path, base: str, progress: Progress) -> None:
    """Write the file into `part`, continuing a part left by an interrupted download."""
    start = part.stat().st_size if part.exists() else 0
    if start >= pin.size:  # a full-size part never verified, or junk: start over
        part.unlink()
        start = 0
    request = urllib.request.Request(pin.url(base), headers={"Range": f"bytes={start}-"} if start else {})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
            if start and response.status != 206:
                start = 0  # the server ignored the range: restart from the first byte
            progress(start, 0)
            promised = start + int(response.headers.get("Content-Length", pin.size - start))
            with open(part, "ab" if start else "wb") as out:
                written = start
                while block := response.read(CHUNK):
                    out.write(block)
                    written += len(block)
                    if written > pin.size:
                        break  # longer than pinned: _refuse_if_mismatched names it
                    progress(len(block), 0)
            if written < promised:  # the connection closed early: keep the part to resume
                raise http.client.IncompleteRead(b"", promised - written)
    except (urllib.error.URLError, http.client.HTTPException, OSError) as err:
        reason = getattr(err, "reason", None) or err.__class__.__name__
        raise DataError(f"download of {pin.url(base)} stopped ({reason}); run the fetch again to "
                        "resume it") from None


def fetch_file(pin: PinnedFile, base: str, progress: Progress) -> Path:
    """The verified file in the cache (downloaded when it is not there yet)."""
    final = cache_dir() / pin.repo / pin.commit / pin.path
    if final.is_file():
        try:
            _refuse_if_mismatched(final, pin)
            progress(pin.size, 0)
            return final
        except DataError:
            pass  # changed since it was verified: deleted; download it again
    final.parent.mkdir(parents=True, exist_ok=True)
    part = final.with_name(final.name + ".part")
    _download(pin, part, base, progress)
    _refuse_if_mismatched(part, pin)
    os.replace(part, final)
    return final


def _manifest(bench: Benchmark) -> dict:
    return {"name": bench.name, "description": bench.description, "benchmark": bench.name,
            "source": "source", "target": "target",
            "links": "links.tsv" if bench.shared_users is not None else None,
            "pins": [{"repo": f.repo, "commit": f.commit, "path": f.path, "sha256": f.sha256}
                     for f in bench.files()]}


def _assemble(bench: Benchmark, files: dict[str, dict[str, Path]], into: Path) -> None:
    for role, splits in files.items():
        (into / role).mkdir(parents=True)
        for split, path in splits.items():
            shutil.copyfile(path, into / role / f"{split}.txt")
    if bench.shared_users is not None:
        (into / "links.tsv").write_text("".join(f"{u}\t{u}\n" for u in range(bench.shared_users)))
    (into / MANIFEST).write_text(json.dumps(_manifest(bench), indent=2))


def fetch(name: str, progress: Progress | None = None) -> Path:
    """Fetch benchmark `name` into the data folder (a no-op when it is there); its folder."""
    bench = benchmark(name)
    dest = data_dir() / name
    if dest.exists():
        if is_fetched(name) and json.loads((dest / MANIFEST).read_text()).get("benchmark") == name:
            return dest
        raise DataError(f"{dest} exists and is not the fetched benchmark; move it away first")
    base = os.environ.get(MIRROR_ENV, GITHUB_RAW)
    total = bench.size()
    done = 0

    def advance(nbytes: int, _unused: int) -> None:
        nonlocal done
        done += nbytes
        if progress:
            progress(min(done, total), total)

    files = {role: {split: fetch_file(pin, base, advance) for split, pin in splits.items()}
             for role, splits in (("source", bench.source), ("target", bench.target))}
    staging = cache_dir() / "incoming" / f"{name}-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    try:
        _assemble(bench, files, staging)
        os.rename(staging, dest)  # the pair appears whole or not at all
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return dest
