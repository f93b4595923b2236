"""The shipped sample: real MNIST digits in Kaggle layout, small, attributed, reproducible."""

from __future__ import annotations

import gzip
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from netviz.data import load_source
from netviz.data.csv import PIXEL_COLUMNS
from netviz.data.sample import SAMPLE_ROWS, sample_file

SAMPLE_DATA = Path(__file__).parents[1] / "sample_data"
README = SAMPLE_DATA / "README.md"


def test_sample_is_found_as_package_data() -> None:
    assert sample_file().is_file()


def test_sample_loads_4200_labelled_rows() -> None:
    rows = load_source("sample").rows
    assert SAMPLE_ROWS == 4200
    assert rows.images.shape == (4200, 784)
    assert rows.labels is not None and len(rows.labels) == 4200


def test_sample_header_is_label_then_784_pixel_columns() -> None:
    header = gzip.decompress(sample_file().read_bytes()).split(b"\n", 1)[0].decode()
    assert header.split(",") == ["label", *PIXEL_COLUMNS]


def test_sample_has_every_digit_0_to_9() -> None:
    labels = load_source("sample").rows.labels
    assert labels is not None
    assert sorted(set(labels.tolist())) == list(range(10))


def test_sample_is_at_most_2_mb() -> None:
    assert len(sample_file().read_bytes()) <= 2_000_000


@pytest.mark.parametrize(
    "needed",
    [
        "Yann LeCun, Corinna Cortes and Christopher J.C. Burges",
        "http://yann.lecun.com/exdb/mnist/",
        "CC BY-SA 3.0",
        "first 4,200 images of the MNIST training set",
        "make_sample.py",
    ],
)
def test_sample_readme_says_what_it_is_and_whose_it_is(needed: str) -> None:
    assert needed in README.read_text().replace("**", "")


@pytest.mark.slow
def test_sample_is_the_first_4200_mnist_training_images(mnist_dir: Path) -> None:
    mnist = load_source(mnist_dir).rows
    sample = load_source("sample").rows
    np.testing.assert_array_equal(sample.images, mnist.images[:4200])
    np.testing.assert_array_equal(sample.labels, mnist.labels[:4200])


@pytest.mark.slow
def test_make_sample_script_remakes_the_shipped_bytes(tmp_path: Path, mnist_dir: Path) -> None:
    out = tmp_path / "remade.csv.gz"
    script = SAMPLE_DATA / "make_sample.py"
    subprocess.run([sys.executable, str(script), str(mnist_dir), str(out)], check=True)
    assert out.read_bytes() == sample_file().read_bytes()


def test_the_sample_is_found_from_an_uninstalled_source_checkout(monkeypatch):
    """`python -m netviz` in a clone imports the source tree: it has no netviz.sample_data."""
    from pathlib import Path

    import netviz.data.sample as sample_module

    def missing(name):
        raise ModuleNotFoundError(f"No module named {name!r}")

    root = Path(__file__).parents[1]  # this checkout, whether or not netviz runs from it
    monkeypatch.setattr(sample_module, "files", missing)
    monkeypatch.setattr(sample_module, "__file__", str(root / "netviz" / "data" / "sample.py"))
    found = sample_module.sample_file()
    assert Path(str(found)) == root / "sample_data" / "mnist_sample.csv.gz"
    assert found.is_file()
