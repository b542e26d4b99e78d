"""Download a PhysioNet release file by file, verified against its published ``SHA256SUMS.txt``.

- Every file listed in ``SHA256SUMS.txt`` is fetched into the target folder under its listed
  relative path, then its SHA-256 is checked; a mismatch deletes it and fails naming the file.
- Resumable: a file is first written as ``<name>.part``; an interrupted download continues
  from the bytes already there with an HTTP ``Range`` request (servers that ignore Range send
  the whole file, which then replaces the part).
- Never re-downloaded when complete: a file whose hash already matches is skipped, and the
  rule's output (``<folder>.verified.json``) is written only once every file verified, so
  Snakemake does not run the rule again.
"""

from __future__ import annotations

import hashlib
import logging
import shutil
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path, PurePosixPath

from synecg.errors import DatasetError

SUMS_FILE = "SHA256SUMS.txt"
_CHUNK = 1 << 20
_LOG = logging.getLogger("synecg")


def parse_sha256sums(text: str, source: str = SUMS_FILE) -> dict[str, str]:
    """``<hex>  <relative path>`` lines -> {relative path: hex}; rejects absolute or ``..`` paths."""
    sums: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        parts = line.strip().split(maxsplit=1)
        if len(parts) != 2 or len(parts[0]) != 64:
            raise DatasetError(source, f"line {number} is not '<sha256>  <path>': {line!r}")
        digest, name = parts[0].lower(), parts[1].lstrip("*").strip()
        rel = PurePosixPath(name)
        if rel.is_absolute() or ".." in rel.parts:
            raise DatasetError(source, f"line {number} names a path outside the release: {name!r}")
        sums[str(rel)] = digest
    if not sums:
        raise DatasetError(source, "no checksums listed")
    return sums


def sha256_file(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(_CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def _join(base_url: str, rel: str) -> str:
    return base_url.rstrip("/") + "/" + urllib.request.quote(rel)


def fetch(url: str, dest: Path, timeout: float = 60.0) -> None:
    """Fetch ``url`` into ``dest``, resuming from ``dest.part`` where a server honours Range."""
    part = dest.with_name(dest.name + ".part")
    dest.parent.mkdir(parents=True, exist_ok=True)
    have = part.stat().st_size if part.exists() else 0
    request = urllib.request.Request(url, headers={"Range": f"bytes={have}-"} if have else {})
    try:
        response = urllib.request.urlopen(request, timeout=timeout)
    except urllib.error.HTTPError as exc:
        if exc.code == 416 and have:  # nothing left to send: the part holds the whole file
            part.replace(dest)
            return
        raise DatasetError(url, f"HTTP {exc.code} {exc.reason}") from None
    except urllib.error.URLError as exc:
        raise DatasetError(url, f"cannot download: {exc.reason}") from None
    with response:
        resumed = have and getattr(response, "status", None) == 206
        with open(part, "ab" if resumed else "wb") as fh:
            shutil.copyfileobj(response, fh, _CHUNK)
    part.replace(dest)


def ensure_file(base_url: str, folder: Path, rel: str, digest: str) -> str:
    """Make ``folder/rel`` exist with SHA-256 ``digest``: "present", "downloaded" or DatasetError."""
    dest = folder / rel
    if dest.is_file() and sha256_file(dest) == digest:
        return "present"
    if dest.exists():
        dest.unlink()  # complete but wrong: start again rather than resume onto it
    url = _join(base_url, rel)
    for attempt in (1, 2):
        fetch(url, dest)
        if sha256_file(dest) == digest:
            return "downloaded"
        dest.unlink()
    raise DatasetError(dest, f"SHA-256 differs from {SUMS_FILE} after two downloads from {url}")


def download_release(base_url: str, folder: str | Path, threads: int = 4, log: logging.Logger = _LOG) -> dict:
    """Download and verify every file of the release at ``base_url`` into ``folder``.

    Returns {"url", "files", "downloaded", "present", "sums_sha256"}; raises DatasetError naming
    the first file that cannot be fetched or verified.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    sums_path = folder / SUMS_FILE
    fetch(_join(base_url, SUMS_FILE), sums_path)
    sums = parse_sha256sums(sums_path.read_text(), str(sums_path))
    log.info("%s lists %d files", sums_path, len(sums))
    counts = {"downloaded": 0, "present": 0}
    with ThreadPoolExecutor(max_workers=max(1, threads)) as pool:
        futures = [pool.submit(ensure_file, base_url, folder, rel, digest) for rel, digest in sorted(sums.items())]
        for done, future in enumerate(futures, start=1):
            counts[future.result()] += 1
            if done % 2000 == 0:
                log.info("verified %d / %d files", done, len(futures))
    log.info("all %d files verified (%d downloaded, %d already present)", len(sums), counts["downloaded"], counts["present"])
    return {"url": base_url, "files": len(sums), **counts, "sums_sha256": sha256_file(sums_path)}
