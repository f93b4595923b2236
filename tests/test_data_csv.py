"""Kaggle CSV: write-then-read round trips, the unlabelled layout, and gzip decided by content."""

from __future__ import annotations

import gzip
import time
from pathlib import Path

import numpy as np
import pytest

from netviz.data import Digits, load_source
from netviz.data.csv import PIXEL_COLUMNS, csv_text, read_csv_digits, write_csv


def assert_same_digits(found: Digits, expected: Digits) -> None:
    np.testing.assert_array_equal(found.images, expected.images)
    if expected.labels is None:
        assert found.labels is None
    else:
        assert found.labels is not None
        np.testing.assert_array_equal(found.labels, expected.labels)


@pytest.mark.parametrize("name", ["digits.csv", "digits.csv.gz"], ids=["plain", "gzip"])
@pytest.mark.parametrize("labelled", [True, False], ids=["labelled", "unlabelled"])
def test_csv_round_trip_gives_back_the_same_arrays(
    tmp_path: Path, tiny_digits: Digits, name: str, labelled: bool
) -> None:
    digits = tiny_digits if labelled else Digits(tiny_digits.images, None, "tiny")
    write_csv(tmp_path / name, digits)
    assert_same_digits(load_source(tmp_path / name).rows, digits)


def test_written_csv_has_the_kaggle_header(tiny_digits: Digits) -> None:
    header = csv_text(tiny_digits).split("\n", 1)[0]
    assert header.split(",") == ["label", *PIXEL_COLUMNS]


def test_unlabelled_csv_is_accepted_with_labels_none(tmp_path: Path) -> None:
    path = tmp_path / "test.csv"
    path.write_text(",".join(PIXEL_COLUMNS) + "\n" + ",".join(["255"] * 784) + "\n")
    rows = load_source(path).rows
    assert rows.labels is None
    assert rows.images.shape == (1, 784) and (rows.images == 255).all()


def test_gzip_is_recognised_by_its_magic_bytes_not_its_name(
    tmp_path: Path, tiny_digits: Digits
) -> None:
    path = tmp_path / "actually-gzipped.csv"
    path.write_bytes(gzip.compress(csv_text(tiny_digits).encode()))
    assert_same_digits(load_source(path).rows, tiny_digits)


def test_gzip_output_is_reproducible(tmp_path: Path, tiny_digits: Digits) -> None:
    write_csv(tmp_path / "a.csv.gz", tiny_digits)
    write_csv(tmp_path / "b.csv.gz", tiny_digits)
    assert (tmp_path / "a.csv.gz").read_bytes() == (tmp_path / "b.csv.gz").read_bytes()


@pytest.mark.parametrize(
    ("cell", "pixel"),
    [("3.0", 3), (" 7 ", 7), ("0255", 255), ("1e2", 100)],
    ids=["whole-float", "padded", "leading-zero", "exponent"],
)
def test_cells_that_are_whole_numbers_in_range_are_accepted(cell: str, pixel: int) -> None:
    text = ",".join(["label", *PIXEL_COLUMNS]) + "\n" + ",".join(["1", cell] + ["0"] * 783)
    assert read_csv_digits(text.encode(), "f.csv").images[0, 0] == pixel


def test_windows_line_endings_and_a_byte_order_mark_are_accepted(tiny_digits: Digits) -> None:
    text = "\ufeff" + csv_text(tiny_digits).replace("\n", "\r\n")
    assert_same_digits(read_csv_digits(text.encode(), "f.csv"), tiny_digits)


@pytest.mark.slow
def test_reading_42000_mnist_rows_as_csv_takes_seconds_at_most(
    tmp_path: Path, mnist_dir: Path
) -> None:
    rows = load_source(mnist_dir).rows
    digits = Digits(rows.images[:42_000], rows.labels[:42_000], "first 42,000")
    write_csv(tmp_path / "train.csv", digits)
    start = time.perf_counter()
    found = load_source(tmp_path / "train.csv").rows
    seconds = time.perf_counter() - start
    assert_same_digits(found, digits)
    assert seconds < 5, f"reading took {seconds:.1f} s"
