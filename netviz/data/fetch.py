"""Download the four official MNIST files into a cache folder, checked and written atomically.

Imported on demand (``netviz data fetch mnist``): it pulls in ``urllib``, which ``import netviz``
does not need.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import signal
import tempfile
import threading
import time
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
from netviz.safe import literal, shown, whole_number

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
# The largest official file is 9.9 MB (47 MB decompressed): a mirror sending more, or a file
# decompressing to more, is not MNIST, and is cut off there rather than filling the disk.
MAX_BYTES = 64 << 20
PART = ".part"  # a download in progress: .{name}.{random}.part in the destination folder
# A download writes at least once per TIMEOUT_SECONDS or fails; a .part file left alone for
# twice that belongs to a fetch that was killed (kill -9, a power cut), and is removed.
STALE_SECONDS = 2 * TIMEOUT_SECONDS


def cache_dir() -> Path:
    """``$XDG_CACHE_HOME/netviz/mnist``, else ``~/.cache/netviz/mnist``."""
    from ..files import cache_home

    return cache_home() / "mnist"


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
    remove_stale_parts(dest)
    base = mirror if mirror.endswith("/") else mirror + "/"
    with _clean_exit_on_termination():
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


def remove_stale_parts(dest: Path, now: float | None = None) -> list[Path]:
    """Remove the ``.part`` files of fetches that died in ``dest`` (untouched for
    STALE_SECONDS; a live download's is newer); the paths removed."""
    now = time.time() if now is None else now
    removed = []
    for stem in CONTENT_SHA256:
        for part in dest.glob(f".{stem}.gz.*{PART}"):
            with suppress(OSError):
                if now - part.stat().st_mtime > STALE_SECONDS:
                    part.unlink()
                    removed.append(part)
    return removed


@contextmanager
def _clean_exit_on_termination() -> Iterator[None]:
    """While in the block, SIGTERM and SIGHUP (``kill``, a closed terminal) end the fetch
    as Ctrl-C does: by an exception, so the ``finally`` that removes a ``.part`` file runs.
    The exit status is the shell's for the signal (143, 129)."""
    if threading.current_thread() is not threading.main_thread():
        yield  # only the main thread may set handlers
        return

    def stop(signum: int, frame: object) -> None:
        raise SystemExit(128 + signum)

    caught = [s for s in (getattr(signal, "SIGTERM", None), getattr(signal, "SIGHUP", None)) if s]
    before = {s: signal.signal(s, stop) for s in caught}
    try:
        yield
    finally:
        for s, handler in before.items():
            signal.signal(s, handler)


def content_sha256(path: Path) -> str | None:
    """SHA-256 of a gzip file's decompressed content, or None when it is not readable gzip."""
    digest, total = hashlib.sha256(), 0
    try:
        with gzip.open(path, "rb") as stream:
            while chunk := stream.read(1 << 20):
                digest.update(chunk)
                total += len(chunk)
                if total > MAX_BYTES:  # not one of the four files: no need to read it all
                    return None
    except (EOFError, OSError, zlib.error):
        return None
    return digest.hexdigest()


def _download_checked(url: str, target: Path, expected: str, progress: Progress | None) -> None:
    """Download ``url`` to ``target`` through a temporary file, keeping it only if it checks."""
    handle, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=PART)
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
            total = whole_number(length) if length else None  # the mirror's number: checked
            done = 0
            if progress is not None:
                progress(filename, done, total)
            while chunk := response.read(CHUNK):
                out.write(chunk)
                done += len(chunk)
                if done > MAX_BYTES:
                    raise NetvizError(
                        f"download failed: {url}: more than {MAX_BYTES >> 20} MB, far more "
                        "than any MNIST file; not kept"
                    )
                if progress is not None:
                    progress(filename, done, total)
    # The reason phrase and the error's words come from the mirror: shown, never obeyed.
    except urllib.error.HTTPError as error:
        raise NetvizError(
            f"download failed: {literal(url)}: HTTP {error.code} {shown(error.reason, 80)}"
        ) from None
    except urllib.error.URLError as error:
        raise NetvizError(f"download failed: {literal(url)}: {shown(error.reason, 80)}") from None
    except ValueError as error:  # not a URL at all
        raise NetvizError(f"download failed: {literal(url)}: {shown(error, 80)}") from None
    except (OSError, HTTPException) as error:  # timeouts, resets, a connection cut mid-body
        why = shown(str(error) or type(error).__name__, 80)
        raise NetvizError(f"download failed: {literal(url)}: {why}") from None
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
        console=(console := rich.console.Console(stderr=True)),
        disable=not console.is_terminal,  # piped: no bars, and no blank line before an error
    )
    tasks: dict[str, int] = {}

    def progress(filename: str, done: int, total: int | None) -> None:
        if filename not in tasks:
            tasks[filename] = bars.add_task(filename, total=total)
        bars.update(tasks[filename], completed=done, total=total)

    with bars:
        yield progress
