"""MNIST IDX files: parse and validate images and labels with numpy, find pairs, and write.

An IDX file is a big-endian header (magic ``0x0000080N`` for unsigned bytes in N dimensions,
then N uint32 sizes) followed by the bytes themselves. Parsing is ``np.frombuffer``, never pickle.
Functions here take bytes already decompressed (see ``netviz.data.files``); gzip is decided by
the magic bytes, not by the ``.gz`` in a name.
"""

from __future__ import annotations

import gzip
import math
from pathlib import Path

import numpy as np

from netviz.data.digits import PIXELS, Digits
from netviz.errors import DataError

IMAGES_MAGIC = 0x00000803  # unsigned bytes, 3 dimensions: (n, 28, 28)
LABELS_MAGIC = 0x00000801  # unsigned bytes, 1 dimension: (n,)
SIDE = 28

TRAIN_IMAGES = "train-images-idx3-ubyte"
TRAIN_LABELS = "train-labels-idx1-ubyte"
TEST_IMAGES = "t10k-images-idx3-ubyte"
TEST_LABELS = "t10k-labels-idx1-ubyte"
STANDARD_NAMES = (TRAIN_IMAGES, TRAIN_LABELS, TEST_IMAGES, TEST_LABELS)


def looks_like_idx(data: bytes) -> bool:
    """Whether decompressed bytes start like an IDX file: two zero bytes (a CSV never has NULs).

    Any IDX data type counts, so that a non-byte IDX file is refused for its magic number.
    """
    return data[:2] == b"\x00\x00"


def parse_images(data: bytes, name: str | Path) -> np.ndarray:
    """(n, 784) uint8 images, one row per example, from an IDX images file's bytes."""
    sizes = _parse_header(data, name, IMAGES_MAGIC, "images")
    if sizes[1:] != (SIDE, SIDE):
        rows, cols = sizes[1:]
        raise DataError(name, f"images are {rows}x{cols}, expected {SIDE}x{SIDE}")
    pixels = np.frombuffer(data, dtype=np.uint8, offset=_header_size(sizes))
    return pixels.reshape(sizes[0], PIXELS)


def parse_labels(data: bytes, name: str | Path) -> np.ndarray:
    """(n,) uint8 labels in 0–9 from an IDX labels file's bytes."""
    sizes = _parse_header(data, name, LABELS_MAGIC, "labels")
    labels = np.frombuffer(data, dtype=np.uint8, offset=_header_size(sizes))
    if (labels > 9).any():
        row = int(np.argmax(labels > 9))
        raise DataError(name, "label outside 0-9", row=row + 1, value=int(labels[row]))
    return labels


def _header_size(sizes: tuple[int, ...]) -> int:
    return 4 + 4 * len(sizes)


def _parse_header(data: bytes, name: str | Path, magic: int, kind: str) -> tuple[int, ...]:
    """The sizes in the header, after checking the magic number and that the byte count fits."""
    if len(data) < 4:
        raise DataError(name, f"too short for an IDX {kind} file ({len(data)} bytes)")
    found = int.from_bytes(data[:4], "big")
    if found != magic:
        raise DataError(
            name, f"not an IDX {kind} file: magic number 0x{found:08x}, expected 0x{magic:08x}"
        )
    ndim = magic & 0xFF
    header = _header_size((0,) * ndim)
    if len(data) < header:
        raise DataError(name, f"truncated: {len(data)} bytes, less than its {header}-byte header")
    sizes = tuple(int(size) for size in np.frombuffer(data, dtype=">u4", count=ndim, offset=4))
    expected = header + math.prod(sizes)  # exact: three uint32 sizes overflow an int64
    if len(data) != expected:
        problem = "truncated" if len(data) < expected else "has extra bytes"
        shape = "x".join(str(size) for size in sizes)
        raise DataError(
            name,
            f"{problem}: the header promises {shape} {kind} ({expected} bytes with the header), "
            f"found {len(data)} bytes",
        )
    return sizes


def pair(images: np.ndarray, labels: np.ndarray, images_name: str, labels_name: str) -> Digits:
    """Images and their labels as Digits, after checking that the counts agree."""
    if len(images) != len(labels):
        raise DataError(
            labels_name, f"{len(labels)} labels for the {len(images)} images in {images_name}"
        )
    return Digits(images=images, labels=labels, origin=images_name)


def find_standard(folder: Path, stem: str) -> Path | None:
    """``folder/stem`` or ``folder/stem.gz``, the first that exists (uncompressed first)."""
    for candidate in (folder / stem, folder / f"{stem}.gz"):
        if candidate.is_file():
            return candidate
    return None


def labels_path_for(images_path: Path) -> Path:
    """The labels file beside an images file, by the standard naming; a DataError if none."""
    if "-images-idx3-" not in images_path.name:
        raise DataError(
            images_path,
            "cannot find its labels: the name has no '-images-idx3-' to turn into '-labels-idx1-'",
        )
    labels_name = images_path.name.replace("-images-idx3-", "-labels-idx1-")
    stem = labels_name.removesuffix(".gz")
    found = find_standard(images_path.parent, stem)
    if found is None:
        raise DataError(images_path, f"no labels file {stem} (or {stem}.gz) beside it")
    return found


def idx_bytes(array: np.ndarray) -> bytes:
    """An unsigned-byte array as IDX bytes: ``(n,)`` labels or ``(n, 28, 28)`` images."""
    if array.dtype != np.uint8:
        raise ValueError(f"IDX here holds unsigned bytes, not {array.dtype}")
    header = (0x00000800 | array.ndim).to_bytes(4, "big")
    header += np.asarray(array.shape, dtype=">u4").tobytes()
    return header + np.ascontiguousarray(array).tobytes()


def write_idx(path: Path, array: np.ndarray) -> None:
    """Write ``array`` as IDX; a ``.gz`` name is gzipped with mtime 0, so the bytes reproduce."""
    data = idx_bytes(array)
    if path.name.endswith(".gz"):
        data = gzip.compress(data, mtime=0)
    path.write_bytes(data)
