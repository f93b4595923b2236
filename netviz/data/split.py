"""Split a Source into training and test Digits: the seed preset's cut, official, or sizes."""

from __future__ import annotations

from typing import Literal

import numpy as np

from netviz.data.digits import Digits, Source
from netviz.errors import NetvizError

SplitKind = Literal["seed", "official", "sizes"]

# The published walkthrough: the first 30,000 of Kaggle's 42,000 rows train, the other 12,000 test.
SEED_TRAIN, SEED_TOTAL = 30_000, 42_000


def split(
    source: Source,
    kind: SplitKind = "seed",
    train_size: int | None = None,
    test_size: int | None = None,
    shuffle_seed: int | None = None,
) -> tuple[Digits, Digits]:
    """``(train, test)`` from ``source``; an impossible request is a NetvizError (one line).

    - ``seed``: rows 1–30,000 train, 30,001–42,000 test; with fewer than 42,000 rows, the same
      proportions: ``train = round(n·30000/42000)`` rows, the rest test.
    - ``official``: every row trains, the source's official test set (an IDX folder's t10k
      files) tests; ``train_size`` / ``test_size`` then take the first rows of each.
    - ``sizes`` (or any kind given ``train_size`` / ``test_size``): the first ``train_size`` rows
      train, the next ``test_size`` test; a size not given is the rest of the rows.
    - ``shuffle_seed``: the rows are permuted by ``np.random.default_rng(shuffle_seed)`` before
      the cut (for ``official``, the training rows only).
    """
    rows = source.rows
    if rows.labels is None:
        raise NetvizError(f"{source.name} has no labels, so it cannot be split to train and test")
    if kind not in ("seed", "official", "sizes"):
        raise NetvizError(f"unknown split {kind!r}; expected seed, official or sizes")
    for size_name, size in (("train_size", train_size), ("test_size", test_size)):
        if size is not None and size < 0:
            raise NetvizError(f"{size_name} must not be negative (value {size})")
    if shuffle_seed is not None:
        rows = _shuffled(rows, shuffle_seed)
    if kind == "official":
        return _official(source, rows, train_size, test_size)
    train_size, test_size = _sizes(source.name, len(rows), kind, train_size, test_size)
    train = _take(rows, 0, train_size)
    test = _take(rows, train_size, train_size + test_size)
    return train, test


def _sizes(
    name: str, n: int, kind: SplitKind, train_size: int | None, test_size: int | None
) -> tuple[int, int]:
    """The (train, test) row counts for a cut of ``n`` rows, checked against ``n``."""
    if train_size is None and test_size is None:
        if kind == "sizes":
            raise NetvizError("the sizes split needs train_size, test_size or both")
        # round(): 4,200 rows give 3,000 / 1,200, exactly the walkthrough's 5 : 2.
        train_size = SEED_TRAIN if n >= SEED_TOTAL else round(n * SEED_TRAIN / SEED_TOTAL)
        test_size = min(n, SEED_TOTAL) - train_size
        if train_size == 0 or test_size == 0:
            raise NetvizError(f"{name} has {n} rows, too few to split for training and testing")
        return train_size, test_size
    return _checked_sizes(name, n, train_size, test_size)


def _checked_sizes(
    name: str, n: int, train_size: int | None, test_size: int | None
) -> tuple[int, int]:
    """Fill in the size not given with the rest of the rows; refuse what ``n`` rows can't give."""
    asked = " + ".join(
        f"{size_name} {size}"
        for size_name, size in (("train_size", train_size), ("test_size", test_size))
        if size is not None
    )
    train = n - (test_size or 0) if train_size is None else train_size
    test = n - train if test_size is None else test_size
    if train + test > n or min(train, test) < 0:
        raise NetvizError(f"{name} has {n} rows, fewer than {asked}")
    if train == 0:
        raise NetvizError(f"{name}: no rows left for training ({asked}; {n} rows)")
    if test == 0 and test_size is None:
        # An empty test set only when asked for: otherwise it is a mistake worth a message.
        raise NetvizError(f"{name}: no rows left for testing ({asked}; {n} rows)")
    return train, test


def _official(
    source: Source, rows: Digits, train_size: int | None, test_size: int | None
) -> tuple[Digits, Digits]:
    test = source.official_test
    if test is None:
        raise NetvizError(
            f"{source.name} has no official test set (only an MNIST IDX folder with the t10k "
            f"files has one); use the seed or sizes split"
        )
    for size_name, size, digits in (("train", train_size, rows), ("test", test_size, test)):
        if size is not None and size > len(digits):
            raise NetvizError(
                f"the official {size_name} set has {len(digits)} rows; cannot take {size}"
            )
    if train_size == 0:
        raise NetvizError("train_size must be at least 1")
    return _take(rows, 0, train_size), _take(test, 0, test_size)


def _shuffled(rows: Digits, seed: int) -> Digits:
    order = np.random.default_rng(seed).permutation(len(rows))
    labels = None if rows.labels is None else rows.labels[order]
    return Digits(rows.images[order], labels, f"{rows.origin}, shuffled with seed {seed}")


def _take(rows: Digits, start: int, stop: int | None) -> Digits:
    """Rows ``start`` to ``stop`` (0-based, stop excluded) as views; ``origin`` counts from 1."""
    stop = len(rows) if stop is None else stop
    labels = None if rows.labels is None else rows.labels[start:stop]
    where = f"rows {start + 1}-{stop}" if stop > start else "no rows"
    return Digits(rows.images[start:stop], labels, f"{rows.origin}, {where}")
