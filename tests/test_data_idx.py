"""MNIST IDX: write-then-read round trips, folder and file specs, gzip by content, real files."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest

from netviz.data import Digits, load_source
from netviz.data.files import listing_digest, sha256_hex
from netviz.data.idx import idx_bytes, parse_images, parse_labels, write_idx

NAMES = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}


def write_pair(folder: Path, digits: Digits, prefix: str, suffix: str = "") -> None:
    assert digits.labels is not None
    write_idx(folder / f"{NAMES[prefix + '_images']}{suffix}", digits.images.reshape(-1, 28, 28))
    write_idx(folder / f"{NAMES[prefix + '_labels']}{suffix}", digits.labels)


@pytest.mark.parametrize("suffix", ["", ".gz"], ids=["raw", "gzip"])
def test_idx_round_trip_gives_back_the_same_arrays(
    tmp_path: Path, tiny_digits: Digits, suffix: str
) -> None:
    write_pair(tmp_path, tiny_digits, "train", suffix)
    rows = load_source(tmp_path).rows
    np.testing.assert_array_equal(rows.images, tiny_digits.images)
    np.testing.assert_array_equal(rows.labels, tiny_digits.labels)


def test_parsed_images_are_one_row_per_example_in_row_major_pixel_order() -> None:
    image = np.arange(784, dtype=np.uint16).reshape(1, 28, 28) % 256
    parsed = parse_images(idx_bytes(image.astype(np.uint8)), "x")
    assert parsed.shape == (1, 784)
    assert parsed[0, 28] == image[0, 1, 0]  # pixel (row 1, column 0) is pixel28, as in Kaggle


def test_parsed_labels_are_uint8() -> None:
    labels = parse_labels(idx_bytes(np.array([0, 9, 5], dtype=np.uint8)), "x")
    assert labels.dtype == np.uint8 and labels.tolist() == [0, 9, 5]


def test_folder_without_t10k_has_no_official_test(tmp_path: Path, tiny_digits: Digits) -> None:
    write_pair(tmp_path, tiny_digits, "train")
    assert load_source(tmp_path).official_test is None


def test_folder_with_t10k_gives_the_official_test(tmp_path: Path, tiny_digits: Digits) -> None:
    write_pair(tmp_path, tiny_digits, "train", ".gz")
    test = Digits(tiny_digits.images[:5], tiny_digits.labels[:5], "five")
    write_pair(tmp_path, test, "test")  # compression may differ between the pairs
    source = load_source(tmp_path)
    assert source.official_test is not None
    np.testing.assert_array_equal(source.official_test.images, test.images)
    assert len(source.rows) == 20


def test_gzip_is_recognised_by_its_magic_bytes_not_its_name(
    tmp_path: Path, tiny_digits: Digits
) -> None:
    assert tiny_digits.labels is not None
    (tmp_path / NAMES["train_images"]).write_bytes(
        gzip.compress(idx_bytes(tiny_digits.images.reshape(-1, 28, 28)))
    )
    write_idx(tmp_path / NAMES["train_labels"], tiny_digits.labels)
    np.testing.assert_array_equal(load_source(tmp_path).rows.images, tiny_digits.images)


@pytest.mark.parametrize(
    ("images_suffix", "labels_suffix"),
    [("", ""), (".gz", ".gz"), ("", ".gz"), (".gz", "")],
    ids=["raw-raw", "gz-gz", "raw-images-gz-labels", "gz-images-raw-labels"],
)
def test_images_file_finds_its_labels_by_the_standard_naming(
    tmp_path: Path, tiny_digits: Digits, images_suffix: str, labels_suffix: str
) -> None:
    assert tiny_digits.labels is not None
    images = tmp_path / f"t10k-images-idx3-ubyte{images_suffix}"
    write_idx(images, tiny_digits.images.reshape(-1, 28, 28))
    write_idx(tmp_path / f"t10k-labels-idx1-ubyte{labels_suffix}", tiny_digits.labels)
    source = load_source(images)
    np.testing.assert_array_equal(source.rows.labels, tiny_digits.labels)
    assert source.official_test is None


def test_folder_digest_is_a_sha256sum_listing_in_the_fixed_order(
    tmp_path: Path, tiny_digits: Digits
) -> None:
    write_pair(tmp_path, tiny_digits, "test")  # written first, listed last
    write_pair(tmp_path, tiny_digits, "train", ".gz")
    files = [
        "train-images-idx3-ubyte.gz",
        "train-labels-idx1-ubyte.gz",
        "t10k-images-idx3-ubyte",
        "t10k-labels-idx1-ubyte",
    ]
    listing = [(name, sha256_hex((tmp_path / name).read_bytes())) for name in files]
    assert load_source(tmp_path).sha256 == listing_digest(listing)


@pytest.mark.slow
def test_real_mnist_folder_loads_60000_training_and_10000_test_digits(mnist_dir: Path) -> None:
    source = load_source(mnist_dir)
    assert source.rows.images.shape == (60_000, 784)
    assert source.official_test is not None and len(source.official_test) == 10_000
    assert source.rows.labels is not None
    assert source.rows.labels[:10].tolist() == [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]
    assert np.bincount(source.rows.labels).tolist() == [
        5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949,
    ]  # fmt: skip


@pytest.mark.slow
def test_real_mnist_images_file_loads_with_its_labels(mnist_dir: Path) -> None:
    source = load_source(mnist_dir / "t10k-images-idx3-ubyte.gz")
    assert source.rows.labels is not None
    assert len(source.rows) == 10_000 and source.rows.labels[:3].tolist() == [7, 2, 1]
