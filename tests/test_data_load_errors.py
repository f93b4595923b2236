"""Every bad input gets one DataError line naming the file, and the row, column and value known."""

from __future__ import annotations

import gzip
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from netviz.data import load_source
from netviz.data.csv import PIXEL_COLUMNS
from netviz.data.idx import idx_bytes
from netviz.errors import DataError

HEADER = ",".join(["label", *PIXEL_COLUMNS])
EXPECTED = "expected label, pixel0...pixel783"


def row(label: str = "3", **cells: str) -> str:
    """A CSV data row of zeros; ``p5="abc"`` sets pixel5."""
    values = ["0"] * 784
    for key, value in cells.items():
        values[int(key.removeprefix("p"))] = value
    return ",".join([label, *values])


def csv_file(text: str | bytes, name: str = "bad.csv") -> Callable[[Path], Path]:
    def build(folder: Path) -> Path:
        path = folder / name
        path.write_bytes(text.encode() if isinstance(text, str) else text)
        return path

    return build


def lines(*rows: str, header: str = HEADER) -> str:
    return "\n".join([header, *rows]) + "\n"


def images(n: int, side: int = 28) -> bytes:
    return idx_bytes(np.zeros((n, side, side), dtype=np.uint8))


def labels(*values: int) -> bytes:
    return idx_bytes(np.array(values, dtype=np.uint8))


def idx_files(spec: str = "", **files: bytes) -> Callable[[Path], Path]:
    """Write ``files`` (``train_images=...`` → ``train-images-idx3-ubyte``); return the folder
    or, when ``spec`` names one of them, that file."""

    def build(folder: Path) -> Path:
        for key, data in files.items():
            (folder / _idx_name(key)).write_bytes(data)
        return folder / _idx_name(spec) if spec else folder

    return build


def _idx_name(key: str) -> str:
    if "." in key:  # an explicit file name
        return key
    prefix, kind = key.split("_")
    return f"{prefix}-{kind}-{'idx3' if kind == 'images' else 'idx1'}-ubyte"


GOOD_TRAIN = {"train_images": images(3), "train_labels": labels(1, 2, 3)}

CASES = [
    # --- Kaggle CSV: the header ---
    pytest.param(
        csv_file(lines(row(), header=HEADER.replace("label", "digit"))),
        "{dir}/bad.csv, column 1: not a pixel column, and there is no label column; "
        f"{EXPECTED} (value 'digit')",
        id="csv-missing-label-column",
    ),
    pytest.param(
        csv_file(lines(",".join(["0"] * 783), header=",".join(PIXEL_COLUMNS[:-1]))),
        f"{{dir}}/bad.csv: 783 pixel columns, and there is no label column; {EXPECTED}",
        id="csv-no-label-and-783-pixel-columns",
    ),
    pytest.param(
        csv_file(lines(",".join(["0"] * 784), header=",".join(["label", *PIXEL_COLUMNS[:-1]]))),
        f"{{dir}}/bad.csv: 783 pixel columns; {EXPECTED}",
        id="csv-783-pixel-columns",
    ),
    pytest.param(
        csv_file(lines(row(), header=HEADER.replace("pixel16,", "pixl16,"))),
        f"{{dir}}/bad.csv, column 18: not a pixel column; {EXPECTED} (value 'pixl16')",
        id="csv-misspelt-pixel-column",
    ),
    pytest.param(
        csv_file(lines(row(), header=HEADER.replace("pixel16,pixel17", "pixel17,pixel16"))),
        f"{{dir}}/bad.csv, column 18: expected pixel16 here; {EXPECTED} in that order "
        "(value 'pixel17')",
        id="csv-pixel-columns-out-of-order",
    ),
    pytest.param(
        csv_file(row() + "\n" + row() + "\n"),
        "{dir}/bad.csv, column 1: not a pixel column, and there is no label column; "
        f"{EXPECTED}; is the header row missing? (value '3')",
        id="csv-no-header-row",
    ),
    # --- Kaggle CSV: the cells (rows count data rows from 1; the header is not a row) ---
    pytest.param(
        csv_file(lines(row(), row(p5="abc"))),
        "{dir}/bad.csv, row 2, column pixel5: not a number (value 'abc')",
        id="csv-non-numeric-cell",
    ),
    pytest.param(
        csv_file(lines(row(), row(p5=""))),
        "{dir}/bad.csv, row 2, column pixel5: empty cell (value '')",
        id="csv-empty-cell",
    ),
    pytest.param(
        csv_file(lines(row(p7="NaN"))),
        "{dir}/bad.csv, row 1, column pixel7: not a number (value 'NaN')",
        id="csv-nan-cell",
    ),
    pytest.param(
        csv_file(lines(row(), row(p700="256"))),
        "{dir}/bad.csv, row 2, column pixel700: pixel value outside 0-255 (value 256)",
        id="csv-pixel-256",
    ),
    pytest.param(
        csv_file(lines(row(p0="-1"))),
        "{dir}/bad.csv, row 1, column pixel0: pixel value outside 0-255 (value -1)",
        id="csv-pixel-minus-1",
    ),
    pytest.param(
        csv_file(lines(row(p3="3.5"))),
        "{dir}/bad.csv, row 1, column pixel3: not a whole number (value 3.5)",
        id="csv-pixel-3.5",
    ),
    pytest.param(
        csv_file(lines(row(), row(), row(label="10"))),
        "{dir}/bad.csv, row 3, column label: label outside 0-9 (value 10)",
        id="csv-label-10",
    ),
    pytest.param(
        csv_file(lines(row(), row(label="10", p3="abc"), row(p0="x"))),
        "{dir}/bad.csv, row 2, column label: label outside 0-9 (value 10)",
        id="csv-first-bad-cell-lowest-row-then-leftmost",
    ),
    pytest.param(
        csv_file(lines(row(), row() + ",7")),
        "{dir}/bad.csv, row 2: 786 fields, the header has 785",
        id="csv-row-with-extra-field",
    ),
    pytest.param(
        csv_file(""),
        "{dir}/bad.csv: empty file (no header, no rows)",
        id="csv-empty-file",
    ),
    pytest.param(
        csv_file(HEADER + "\n"),
        "{dir}/bad.csv: no data rows, only a header",
        id="csv-header-only",
    ),
    pytest.param(
        csv_file(b"PK\x03\x04\x00\x00binary"),
        "{dir}/bad.csv: not a CSV file (binary data)",
        id="csv-binary-file",
    ),
    pytest.param(
        csv_file(lines(row()).encode()[:-1] + b"\xff\n"),
        "{dir}/bad.csv: not a UTF-8 text CSV file (invalid start byte)",
        id="csv-not-utf8",
    ),
    pytest.param(
        csv_file(gzip.compress(lines(row()).encode())[:-20], name="bad.csv.gz"),
        "{dir}/bad.csv.gz: damaged or truncated gzip data "
        "(Compressed file ended before the end-of-stream marker was reached)",
        id="csv-truncated-gzip",
    ),
    # --- MNIST IDX ---
    pytest.param(
        idx_files(train_images=labels(1, 2), train_labels=labels(1, 2)),
        "{dir}/train-images-idx3-ubyte: not an IDX images file: "
        "magic number 0x00000801, expected 0x00000803",
        id="idx-wrong-magic",
    ),
    pytest.param(
        idx_files("train_images", train_images=b"\x00\x00\x0c\x03" + images(1)[4:]),
        "{dir}/train-images-idx3-ubyte: not an IDX images file: "
        "magic number 0x00000c03, expected 0x00000803",
        id="idx-int32-images-given-as-file",
    ),
    pytest.param(
        idx_files(train_images=images(3)[:-100], train_labels=labels(1, 2, 3)),
        "{dir}/train-images-idx3-ubyte: truncated: the header promises 3x28x28 images "
        "(2368 bytes with the header), found 2268 bytes",
        id="idx-truncated-images",
    ),
    pytest.param(
        idx_files(train_images=images(3)[:10], train_labels=labels(1, 2, 3)),
        "{dir}/train-images-idx3-ubyte: truncated: 10 bytes, less than its 16-byte header",
        id="idx-truncated-header",
    ),
    pytest.param(
        idx_files(train_images=images(3) + b"\x00", train_labels=labels(1, 2, 3)),
        "{dir}/train-images-idx3-ubyte: has extra bytes: the header promises 3x28x28 images "
        "(2368 bytes with the header), found 2369 bytes",
        id="idx-extra-bytes",
    ),
    pytest.param(
        idx_files(train_images=images(3, side=32), train_labels=labels(1, 2, 3)),
        "{dir}/train-images-idx3-ubyte: images are 32x32, expected 28x28",
        id="idx-32x32-images",
    ),
    pytest.param(
        idx_files(train_images=images(3), train_labels=labels(1, 2, 10)),
        "{dir}/train-labels-idx1-ubyte, row 3: label outside 0-9 (value 10)",
        id="idx-label-10",
    ),
    pytest.param(
        idx_files(train_images=images(3), train_labels=labels(1, 2)),
        "{dir}/train-labels-idx1-ubyte: 2 labels for the 3 images in {dir}/train-images-idx3-ubyte",
        id="idx-image-label-count-mismatch",
    ),
    pytest.param(
        idx_files(
            "train-images-idx3-ubyte.gz",
            **{"train-images-idx3-ubyte.gz": gzip.compress(images(3))[:-30]},
        ),
        "{dir}/train-images-idx3-ubyte.gz: damaged or truncated gzip data "
        "(Compressed file ended before the end-of-stream marker was reached)",
        id="idx-truncated-gzip",
    ),
    pytest.param(
        idx_files("train_images", train_images=images(3)),
        "{dir}/train-images-idx3-ubyte: no labels file train-labels-idx1-ubyte "
        "(or train-labels-idx1-ubyte.gz) beside it",
        id="idx-images-file-without-labels",
    ),
    pytest.param(
        idx_files("digits.idx", **{"digits.idx": images(3)}),
        "{dir}/digits.idx: cannot find its labels: "
        "the name has no '-images-idx3-' to turn into '-labels-idx1-'",
        id="idx-images-file-with-non-standard-name",
    ),
    pytest.param(
        idx_files(train_labels=labels(1, 2, 3)),
        "{dir}: no train-images-idx3-ubyte (or train-images-idx3-ubyte.gz) in this folder",
        id="idx-folder-without-train-images",
    ),
    pytest.param(
        idx_files(**GOOD_TRAIN, t10k_images=images(2)),
        "{dir}: no t10k-labels-idx1-ubyte (or t10k-labels-idx1-ubyte.gz) in this folder",
        id="idx-folder-with-half-the-t10k-pair",
    ),
    # --- paths ---
    pytest.param(
        lambda folder: folder / "nope.csv",
        "{dir}/nope.csv: no such file or folder",
        id="nonexistent-path",
    ),
]


@pytest.mark.parametrize(("build", "expected"), CASES)
def test_bad_input_is_refused_with_one_line_naming_the_problem(
    tmp_path: Path, build: Callable[[Path], Path], expected: str
) -> None:
    spec = build(tmp_path)
    with pytest.raises(DataError) as caught:
        load_source(spec)
    message = str(caught.value)
    assert message == expected.format(dir=tmp_path)
    assert "\n" not in message


def test_cell_error_carries_row_column_and_value_as_attributes(tmp_path: Path) -> None:
    spec = csv_file(lines(row(), row(p5="abc")))(tmp_path)
    with pytest.raises(DataError) as caught:
        load_source(spec)
    error = caught.value
    assert (error.path, error.row, error.column, error.value) == (str(spec), 2, "pixel5", "abc")
