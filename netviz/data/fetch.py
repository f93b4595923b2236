"""Download the four official MNIST files into a cache folder, checked and written atomically.

Imported on demand (``netviz data fetch mnist``): it pulls in ``urllib``, which ``import netviz``
does not need.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import tempfile
import urllib.error
import urllib.request
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from http.client import HTTPException
from pathlib import Path
from typing import BinaryIO

from netviz import __version__
from netviz.data.idx import TEST_IMAGES, TEST_LABELS, TRAIN_IMAGES, TRAIN_LABELS
from netviz.errors import NetvizError

DEFAULT_MIRROR = "https://ossci-datasets.s3.amazonaws.com/mnist/"

# SHA-256 of each file's DECOMPRESSED content. The .gz bytes differ between faithful copies
# (the copy in ../shared/data/mnist was recompressed: its train-images .gz is 9,719,438 bytes,
# the official mirror's 9,912,422), but the content is the same; the MD5s of these contents
# (6bbc9ace…, a25bea73…, 2646ac64…, 27ae3e4e…) are the official uncompressed checksums.
CONTENT_SHA256 = {
    # train images: 47,040,016 bytes decompressed (16-byte header + 60,000 × 784)
    TRAIN_IMAGES: "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
    TRAIN_LABELS: "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
    TEST_IMAGES: "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
    TEST_LABELS: "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
}

Progress = Callable[[str, int, int | None], None]
"""``progress(filename, done_bytes, total_bytes_or_None)``, called as bytes arrive."""

CHUNK = 1 << 16
TIMEOUT_SECONDS = 60


def cache_dir() -> Path:
    """``$XDG_CACHE_HOME/netviz/mnist``, else ``~/.cache/netviz/mnist``.

    The XDG spec says a relative ``XDG_CACHE_HOME`` is invalid and must be ignored.
    """
    xdg = os.environ.get("XDG_CACHE_HOME", "")
    base = Path(xdg) if xdg and Path(xdg).is_absolute() else Path.home() / ".cache"
    return base / "netviz" / "mnist"


def fetch_mnist(
    dest: Path | None = None, mirror: str = DEFAULT_MIRROR, progress: Progress | None = None
) -> Path:
    """Make ``dest`` (default ``cache_dir()``) hold the four ``.gz`` files; return ``dest``.

    A file already present whose content has the pinned SHA-256 is not downloaded again. Each
    download goes to a temporary file in ``dest``, is checked, then ``os.replace``d into place,
    so an interrupted or bad download never leaves a file under the final name.
    """
    dest = cache_dir() if dest is None else dest
    try:
        dest.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise NetvizError(f"cannot create {dest}: {error.strerror or error}") from None
    base = mirror if mirror.endswith("/") else mirror + "/"
    for stem, expected in CONTENT_SHA256.items():
        filename = f"{stem}.gz"
        target = dest / filename
        if target.is_file() and content_sha256(target) == expected:
            if progress is not None:
                size = target.stat().st_size
                progress(filename, size, size)
            continue
        _download_checked(base + filename, target, expected, progress)
    return dest


def content_sha256(path: Path) -> str | None:
    """SHA-256 of a gzip file's decompressed content, or None when it is not readable gzip."""
    digest = hashlib.sha256()
    try:
        with gzip.open(path, "rb") as stream:
            while chunk := stream.read(1 << 20):
                digest.update(chunk)
    except (EOFError, OSError, zlib.error):
        return None
    return digest.hexdigest()


def _download_checked(url: str, target: Path, expected: str, progress: Progress | None) -> None:
    """Download ``url`` to ``target`` through a temporary file, keeping it only if it checks."""
    handle, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
    temporary = Path(name)
    try:
        with os.fdopen(handle, "wb") as out:
            _download(url, out, target.name, progress)
        found = content_sha256(temporary)
        if found != expected:
            raise NetvizError(
                f"{target.name} from {url}: content SHA-256 {found or '(not gzip data)'}, "
                f"expected {expected}; not kept"
            )
        os.replace(temporary, target)
    finally:
        # After os.replace the temporary name is gone; otherwise nothing half-done stays behind.
        with suppress(FileNotFoundError):
            temporary.unlink()


def _download(url: str, out: BinaryIO, filename: str, progress: Progress | None) -> None:
    """Stream ``url`` into ``out``; any network problem is a NetvizError naming the URL."""
    try:
        request = urllib.request.Request(url, headers={"User-Agent": f"netviz/{__version__}"})
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
            length = response.headers.get("Content-Length")
            total = int(length) if length and length.isdigit() else None
            done = 0
            if progress is not None:
                progress(filename, done, total)
            while chunk := response.read(CHUNK):
                out.write(chunk)
                done += len(chunk)
                if progress is not None:
                    progress(filename, done, total)
    except urllib.error.HTTPError as error:
        raise NetvizError(f"download failed: {url}: HTTP {error.code} {error.reason}") from None
    except urllib.error.URLError as error:
        raise NetvizError(f"download failed: {url}: {error.reason}") from None
    except ValueError as error:  # not a URL at all
        raise NetvizError(f"download failed: {url}: {error}") from None
    except (OSError, HTTPException) as error:  # timeouts, resets, a connection cut mid-body
        raise NetvizError(f"download failed: {url}: {str(error) or type(error).__name__}") from None
    if total is not None and done != total:
        raise NetvizError(f"download failed: {url}: got {done} of {total} bytes")


@contextmanager
def rich_progress() -> Iterator[Progress]:
    """A ``progress`` callback drawing one ``rich`` bar per file on stderr, while in the block."""
    import rich.console
    import rich.progress

    bars = rich.progress.Progress(
        rich.progress.TextColumn("{task.description}"),
        rich.progress.BarColumn(),
        rich.progress.DownloadColumn(),
        rich.progress.TransferSpeedColumn(),
        rich.progress.TimeRemainingColumn(),
        console=rich.console.Console(stderr=True),
    )
    tasks: dict[str, int] = {}

    def progress(filename: str, done: int, total: int | None) -> None:
        if filename not in tasks:
            tasks[filename] = bars.add_task(filename, total=total)
        bars.update(tasks[filename], completed=done, total=total)

    with bars:
        yield progress
