"""Raw bytes of data files: read them, hash them, and undo gzip when the magic bytes say so."""

from __future__ import annotations

import hashlib
import zlib
from pathlib import Path

from netviz.errors import DataError
from netviz.safe import memory_budget, size_text

GZIP_MAGIC = b"\x1f\x8b"
MAX_DATA_BYTES = 1 << 30
CHUNK = 1 << 20  # bytes decompressed at a time


def data_limit() -> int:
    """The most bytes one data file may hold, or decompress to: a quarter of netviz's memory
    budget (pandas needs a few times a CSV's size to parse it), and never more than 1 GiB
    (the full MNIST set is 55 MB of IDX, Kaggle's train.csv 73 MB)."""
    return min(memory_budget() // 4, MAX_DATA_BYTES)


def read_bytes(path: Path) -> bytes:
    """All of ``path``'s bytes; a missing, unreadable or oversized file is a DataError."""
    try:
        size = path.stat().st_size
        if size > data_limit():
            raise DataError(path, _too_large(f"{size_text(size)}"))
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
        return _gunzip(data, name, data_limit())
    except (EOFError, OSError, zlib.error) as error:
        raise DataError(name, f"damaged or truncated gzip data ({error})") from None


def _gunzip(data: bytes, name: str | Path, limit: int) -> bytes:
    """gzip members decompressed a chunk at a time, stopping as soon as more than ``limit``
    bytes have come out: a few MB that expand to GB are refused at ``limit``, not at MemoryError."""
    parts, total, rest = [], 0, data
    while rest:
        inflate = zlib.decompressobj(zlib.MAX_WBITS | 16)  # one gzip member, header and trailer
        while not inflate.eof:
            chunk = inflate.decompress(rest, CHUNK)
            rest = inflate.unconsumed_tail
            if not chunk and not rest:
                raise EOFError("Compressed file ended before the end-of-stream marker was reached")
            total += len(chunk)
            if total > limit:
                raise DataError(name, _too_large(f"more than {size_text(limit)} once decompressed"))
            parts.append(chunk)
        rest = inflate.unused_data
        # gzip.decompress ignores zero padding after the last member; so do we.
        if not rest.strip(b"\x00"):
            break
    return b"".join(parts)


def _too_large(size: str) -> str:
    return (
        f"too large: {size}; a data file may hold {size_text(data_limit())} "
        "(a quarter of netviz's memory budget, at most 1 GiB)"
    )


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def listing_digest(digests: list[tuple[str, str]]) -> str:
    """SHA-256 of a ``sha256sum``-style listing of ``(file name, digest)`` pairs, in given order.

    One digest for a set of files that anyone can recompute with ``sha256sum a b | sha256sum``
    (when the names are given as bare file names).
    """
    listing = "".join(f"{digest}  {name}\n" for name, digest in digests)
    return sha256_hex(listing.encode())
