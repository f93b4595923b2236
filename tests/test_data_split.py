"""split: the seed preset's cut and its proportions, sizes, shuffling, and the official test set."""

from __future__ import annotations

import re

import numpy as np
import pytest

from netviz.data import Digits, Source, load_source, split
from netviz.errors import NetvizError


def numbered(n: int, official: int = 0) -> Source:
    """n rows whose first two pixels spell the row index, so a test can tell rows apart."""
    index = np.arange(n, dtype=np.uint32)
    images = np.zeros((n, 784), dtype=np.uint8)
    images[:, 0], images[:, 1] = index % 256, index // 256 % 256
    labels = (index % 10).astype(np.uint8)
    test = Digits(images[:official], labels[:official], "t10k") if official else None
    return Source("numbered", "0" * 64, Digits(images, labels, "numbered"), test)


def indices(digits: Digits) -> list[int]:
    return (digits.images[:, 0].astype(int) + 256 * digits.images[:, 1].astype(int)).tolist()


@pytest.fixture(scope="module")
def sample_source() -> Source:
    return load_source("sample")


@pytest.mark.parametrize(
    ("n", "train", "test"),
    [
        (42_000, 30_000, 12_000),
        (60_000, 30_000, 12_000),
        (4_200, 3_000, 1_200),
        (10, 7, 3),
        (7, 5, 2),
        (2, 1, 1),
    ],
    ids=["kaggle-42000", "mnist-60000", "sample-4200", "10-rows", "7-rows", "2-rows"],
)
def test_seed_split_is_30000_then_12000_or_the_same_proportions(
    n: int, train: int, test: int
) -> None:
    train_set, test_set = split(numbered(n))
    assert indices(train_set) == list(range(train))
    assert indices(test_set) == list(range(train, train + test))


def test_seed_split_of_the_sample_is_its_first_3000_and_next_1200_rows(
    sample_source: Source,
) -> None:
    train, test = split(sample_source, "seed")
    np.testing.assert_array_equal(train.images, sample_source.rows.images[:3000])
    np.testing.assert_array_equal(test.images, sample_source.rows.images[3000:])
    assert (len(train), len(test)) == (3000, 1200)


def test_seed_split_of_one_row_is_refused() -> None:
    with pytest.raises(NetvizError, match="has 1 rows, too few to split"):
        split(numbered(1))


@pytest.mark.parametrize(
    ("kind", "train_size", "test_size", "train", "test"),
    [
        ("sizes", 60, 40, range(0, 60), range(60, 100)),
        ("sizes", 10, 5, range(0, 10), range(10, 15)),
        ("seed", 10, 5, range(0, 10), range(10, 15)),
        ("sizes", 90, None, range(0, 90), range(90, 100)),
        ("sizes", None, 30, range(0, 70), range(70, 100)),
        ("sizes", 100, 0, range(0, 100), range(0)),
    ],
    ids=["all-rows", "first-rows", "sizes-beat-seed", "test-is-rest", "train-is-rest", "test-0"],
)
def test_sizes_take_the_first_train_size_rows_then_the_next_test_size(
    kind, train_size, test_size, train, test
) -> None:
    train_set, test_set = split(numbered(100), kind, train_size, test_size)
    assert indices(train_set) == list(train)
    assert indices(test_set) == list(test)


@pytest.mark.parametrize(
    ("train_size", "test_size", "message"),
    [
        (80, 30, "numbered has 100 rows, fewer than train_size 80 + test_size 30"),
        (101, None, "numbered has 100 rows, fewer than train_size 101"),
        (None, 101, "numbered has 100 rows, fewer than test_size 101"),
        (0, 10, "numbered: no rows left for training"),
        (None, 100, "numbered: no rows left for training"),
        (100, None, "numbered: no rows left for testing"),
        (-1, 10, "train_size must not be negative"),
    ],
    ids=["too-many", "train-too-many", "test-too-many", "train-0", "test-all", "train-all", "neg"],
)
def test_impossible_sizes_are_refused_saying_how_many_rows_there_are(
    train_size, test_size, message
) -> None:
    with pytest.raises(NetvizError, match=re.escape(message)):
        split(numbered(100), "sizes", train_size, test_size)


def test_sizes_split_needs_a_size() -> None:
    with pytest.raises(NetvizError, match="needs train_size, test_size or both"):
        split(numbered(100), "sizes")


def test_shuffled_split_is_reproducible_and_a_permutation() -> None:
    source = numbered(100)
    first = split(source, "sizes", 70, 30, shuffle_seed=7)
    again = split(source, "sizes", 70, 30, shuffle_seed=7)
    other = split(source, "sizes", 70, 30, shuffle_seed=8)
    assert indices(first[0]) == indices(again[0]) and indices(first[1]) == indices(again[1])
    assert sorted(indices(first[0]) + indices(first[1])) == list(range(100))
    assert indices(first[0]) != list(range(70))
    assert indices(other[0]) != indices(first[0])


def test_shuffle_keeps_each_label_with_its_image() -> None:
    train, _ = split(numbered(100), "sizes", 100, 0, shuffle_seed=3)
    assert train.labels is not None
    assert [i % 10 for i in indices(train)] == train.labels.tolist()


def test_shuffle_uses_default_rng_permutation_of_the_rows() -> None:
    order = np.random.default_rng(11).permutation(50)
    train, test = split(numbered(50), "sizes", 40, 10, shuffle_seed=11)
    assert indices(train) + indices(test) == order.tolist()


def test_official_split_trains_on_every_row_and_tests_on_t10k() -> None:
    source = numbered(100, official=20)
    train, test = split(source, "official")
    assert indices(train) == list(range(100))
    assert indices(test) == list(range(20)) and test.origin == "t10k, rows 1-20"


def test_official_split_shuffles_only_the_training_rows() -> None:
    train, test = split(numbered(100, official=20), "official", shuffle_seed=1)
    assert sorted(indices(train)) == list(range(100)) and indices(train) != list(range(100))
    assert indices(test) == list(range(20))


def test_official_split_with_sizes_takes_the_first_rows_of_each() -> None:
    train, test = split(numbered(100, official=20), "official", train_size=50, test_size=5)
    assert indices(train) == list(range(50)) and indices(test) == list(range(5))


def test_official_split_refuses_sizes_beyond_the_official_test_set() -> None:
    with pytest.raises(NetvizError, match="official test set has 20 rows; cannot take 21"):
        split(numbered(100, official=20), "official", test_size=21)


def test_official_split_requires_an_idx_folder_with_t10k(sample_source: Source) -> None:
    with pytest.raises(NetvizError, match="sample has no official test set"):
        split(sample_source, "official")


def test_unlabelled_data_cannot_be_split() -> None:
    source = Source("test.csv", "0" * 64, Digits(np.zeros((10, 784), np.uint8), None, "x"))
    with pytest.raises(NetvizError, match="test.csv has no labels"):
        split(source)


def test_unknown_kind_is_refused() -> None:
    with pytest.raises(NetvizError, match="unknown split 'random'"):
        split(numbered(10), "random")  # type: ignore[arg-type]


def test_split_results_are_read_only_and_name_their_rows() -> None:
    train, test = split(numbered(10), shuffle_seed=2)
    assert not train.images.flags.writeable and not test.labels.flags.writeable
    assert train.origin == "numbered, shuffled with seed 2, rows 1-7"
    assert test.origin == "numbered, shuffled with seed 2, rows 8-10"
