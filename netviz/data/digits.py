"""The records the data layer hands to the rest of netviz: ``Digits`` and ``Source``."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

PIXELS = 784  # 28 × 28, one row of ``images`` per example


def read_only_view(array: np.ndarray) -> np.ndarray:
    """A read-only, C-contiguous view of ``array``; the caller's own array stays writable."""
    view = np.ascontiguousarray(array).view()
    view.setflags(write=False)
    return view


@dataclass(frozen=True, eq=False)  # eq=False: comparing arrays with == has no single truth value
class Digits:
    """Examples in file order.

    ``images`` (n, 784) uint8, one row per example, pixels 0–255, read-only.
    ``labels`` (n,) uint8 in 0–9, read-only, or ``None`` for an unlabelled CSV.
    ``origin`` says where the rows came from (a path, a split's range), for people to read.
    """

    images: np.ndarray
    labels: np.ndarray | None
    origin: str

    def __post_init__(self) -> None:
        images, labels = self.images, self.labels
        if images.dtype != np.uint8 or images.ndim != 2 or images.shape[1] != PIXELS:
            found = f"{images.shape} {images.dtype}"
            raise ValueError(f"images must be (n, {PIXELS}) uint8, not {found}")
        if labels is not None and (labels.dtype != np.uint8 or labels.shape != images.shape[:1]):
            expected = f"({len(images)},) uint8"
            raise ValueError(f"labels must be {expected}, not {labels.shape} {labels.dtype}")
        # Frozen dataclass: assign through object.__setattr__, once, at construction.
        object.__setattr__(self, "images", read_only_view(images))
        if labels is not None:
            object.__setattr__(self, "labels", read_only_view(labels))

    def __len__(self) -> int:
        return len(self.images)

    def __repr__(self) -> str:  # short: the arrays would bury the origin
        kind = "unlabelled" if self.labels is None else "labelled"
        return f"Digits({len(self)} {kind}, origin={self.origin!r})"


@dataclass(frozen=True, eq=False)
class Source:
    """A loaded data set, before it is split.

    ``name``: what the user asked for (a path as given, or ``"sample"``).
    ``sha256``: hex digest of the raw file bytes read; for several files (an IDX pair or folder),
    the digest of their ``sha256sum``-style listing, one ``<digest>  <file name>`` line per file
    in a fixed order (train images, train labels, t10k images, t10k labels).
    ``rows``: the CSV's rows, or the IDX training (or given) images file's images, in order.
    ``official_test``: an IDX folder's t10k pair, else ``None``.
    """

    name: str
    sha256: str
    rows: Digits
    official_test: Digits | None = None
