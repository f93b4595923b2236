"""Writing files so that a failure never leaves half a file, nor a stray temporary one."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from .errors import NetvizError


def check_writable(path: str | Path) -> Path:
    """``path``, after refusing one whose folder is missing or that is a folder itself."""
    path = Path(path)
    folder = path.parent
    if not folder.is_dir():
        raise NetvizError(f"{path}: folder {folder} does not exist")
    if path.is_dir():
        raise NetvizError(f"{path}: is a folder")
    return path


def folder_problem(path: str | Path) -> str | None:
    """Why the folder of ``path`` cannot be made: the nearest of its folders that exists is a
    file (``traces is not a folder``); None when it exists or can be made there."""
    for folder in Path(path).parents:
        if folder.exists():
            return None if folder.is_dir() else f"{folder} is not a folder"
    return None


@contextmanager
def atomic_writer(path: str | Path, mode: str = "wb") -> Iterator[IO]:
    """A file to write ``path`` through: a temporary file in the same folder, renamed over
    ``path`` when the block ends without an exception, removed otherwise.

    The file gets the permissions a plain ``open`` would give (0666 less the umask), not
    mkstemp's 0600. An OSError becomes a one-line NetvizError naming ``path``.
    """
    path = check_writable(path)
    folder = path.parent
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
        umask = os.umask(0)
        os.umask(umask)
        os.fchmod(fd, 0o666 & ~umask)
        with os.fdopen(fd, mode) as f:
            yield f
        os.replace(tmp, path)
        tmp = None
    except OSError as e:
        raise NetvizError(f"{path}: cannot write ({e.strerror or e})") from None
    finally:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)


def cache_home() -> Path:
    """netviz's cache folder: ``$XDG_CACHE_HOME/netviz``, else ``~/.cache/netviz`` (not made).

    The XDG spec says a relative ``XDG_CACHE_HOME`` is invalid and must be ignored.
    """
    xdg = os.environ.get("XDG_CACHE_HOME", "")
    base = Path(xdg) if xdg and Path(xdg).is_absolute() else Path.home() / ".cache"
    return base / "netviz"
