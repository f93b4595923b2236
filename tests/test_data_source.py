"""load_source and the records it returns: dispatch, digests, read-only arrays, light imports."""

from __future__ import annotations

import dataclasses
import hashlib
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from netviz.data import Digits, Source, load_source
from netviz.data.csv import write_csv
from netviz.data.idx import write_idx
from netviz.data.sample import sample_file


def write_idx_folder(folder: Path, digits: Digits, test: bool) -> Path:
    assert digits.labels is not None
    prefixes = ["train", "t10k"] if test else ["train"]
    for prefix in prefixes:
        write_idx(folder / f"{prefix}-images-idx3-ubyte.gz", digits.images.reshape(-1, 28, 28))
        write_idx(folder / f"{prefix}-labels-idx1-ubyte.gz", digits.labels)
    return folder


def csv_spec(name: str) -> Callable[[Digits, Path], Path]:
    def make(digits: Digits, folder: Path) -> Path:
        write_csv(folder / name, digits)
        return folder / name

    return make


SPECS = [
    pytest.param(csv_spec("d.csv"), False, id="csv"),
    pytest.param(csv_spec("d.csv.gz"), False, id="csv-gz"),
    pytest.param(lambda d, t: write_idx_folder(t, d, test=True), True, id="idx-folder"),
    pytest.param(
        lambda d, t: write_idx_folder(t, d, test=False) / "train-images-idx3-ubyte.gz",
        False,
        id="idx-images-file",
    ),
]


@pytest.mark.parametrize(("make", "has_official_test"), SPECS)
def test_load_source_reads_each_kind_of_spec(
    tmp_path: Path, tiny_digits: Digits, make, has_official_test: bool
) -> None:
    spec = make(tiny_digits, tmp_path)
    source = load_source(str(spec))
    assert source.name == str(spec)
    np.testing.assert_array_equal(source.rows.images, tiny_digits.images)
    np.testing.assert_array_equal(source.rows.labels, tiny_digits.labels)
    assert (source.official_test is not None) == has_official_test


def test_sample_spec_loads_the_shipped_sample() -> None:
    source = load_source("sample")
    assert source.name == "sample"
    assert source.sha256 == hashlib.sha256(sample_file().read_bytes()).hexdigest()
    assert source.official_test is None


@pytest.mark.parametrize("name", ["d.csv", "d.csv.gz"])
def test_csv_digest_is_of_the_raw_file_bytes(tmp_path: Path, tiny_digits: Digits, name) -> None:
    write_csv(tmp_path / name, tiny_digits)
    expected = hashlib.sha256((tmp_path / name).read_bytes()).hexdigest()
    assert load_source(tmp_path / name).sha256 == expected


def test_loaded_arrays_are_read_only_c_contiguous_uint8(tmp_path: Path, tiny_digits) -> None:
    write_csv(tmp_path / "d.csv", tiny_digits)
    rows = load_source(tmp_path / "d.csv").rows
    for array in (rows.images, rows.labels):
        assert array is not None
        assert array.dtype == np.uint8 and array.flags.c_contiguous
        with pytest.raises(ValueError, match="read-only"):
            array[0] = 1


def test_records_are_frozen(tiny_digits: Digits) -> None:
    source = Source("x", "0" * 64, tiny_digits)
    with pytest.raises(dataclasses.FrozenInstanceError):
        source.rows = tiny_digits  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        tiny_digits.labels = None  # type: ignore[misc]


def test_digits_view_is_read_only_but_the_callers_array_is_untouched() -> None:
    images = np.zeros((2, 784), dtype=np.uint8)
    digits = Digits(images, None, "zeros")
    assert images.flags.writeable and not digits.images.flags.writeable


@pytest.mark.parametrize(
    ("images", "labels"),
    [
        (np.zeros((2, 784), dtype=np.float64), None),
        (np.zeros((2, 28, 28), dtype=np.uint8), None),
        (np.zeros((2, 784), dtype=np.uint8), np.zeros(3, dtype=np.uint8)),
        (np.zeros((2, 784), dtype=np.uint8), np.zeros(2, dtype=np.int64)),
    ],
    ids=["float-images", "square-images", "label-count", "int64-labels"],
)
def test_digits_refuses_wrong_shapes_and_dtypes(images, labels) -> None:
    with pytest.raises(ValueError, match="must be"):
        Digits(images, labels, "bad")


def test_importing_netviz_data_leaves_pandas_and_the_network_unimported() -> None:
    heavy = ["pandas", "matplotlib", "textual", "urllib.request", "rich"]
    code = f"import sys, netviz.data; print([m for m in {heavy!r} if m in sys.modules])"
    found = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert found.stdout.strip() == "[]"
