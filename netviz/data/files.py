"""Raw bytes of data files: read them, hash them, and undo gzip when the magic bytes say so."""

from __future__ import annotations

import gzip
import hashlib
import zlib
from pathlib import Path

from netviz.errors import DataError

GZIP_MAGIC = b"\x1f\x8b"


def read_bytes(path: Path) -> bytes:
    """All of ``path``'s bytes; a missing or unreadable file is a DataError."""
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise DataError(path, "no such file or folder") from None
    except OSError as error:
        raise DataError(path, f"cannot read it: {error.strerror or error}") from None


def gunzip_if_gzip(data: bytes, name: str | Path) -> bytes:
    """``data`` decompressed if it starts with the gzip magic bytes, else ``data`` unchanged.

    The magic bytes decide, not the file name: a renamed or re-saved file still loads.
    """
    if not data.startswith(GZIP_MAGIC):
        return data
    try:
        return gzip.decompress(data)
    except (EOFError, OSError, zlib.error) as error:
        raise DataError(name, f"damaged or truncated gzip data ({error})") from None


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def listing_digest(digests: list[tuple[str, str]]) -> str:
    """SHA-256 of a ``sha256sum``-style listing of ``(file name, digest)`` pairs, in given order.

    One digest for a set of files that anyone can recompute with ``sha256sum a b | sha256sum``
    (when the names are given as bare file names).
    """
    listing = "".join(f"{digest}  {name}\n" for name, digest in digests)
    return sha256_hex(listing.encode())
