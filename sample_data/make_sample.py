"""Make ``mnist_sample.csv.gz``: the first 4,200 MNIST training images in Kaggle CSV layout.

Usage (from the repository root): ``python sample_data/make_sample.py [MNIST_FOLDER [OUT]]``.
``MNIST_FOLDER`` defaults to ``../shared/data/mnist`` beside the repository, ``OUT`` to
``sample_data/mnist_sample.csv.gz``. The folder is read with netviz's own IDX loader, so the
sample passes the same checks as any other data. The gzip is written with mtime 0, so running
this again gives the same bytes.
"""

from __future__ import annotations

import sys
from pathlib import Path

from netviz.data import Digits, load_source
from netviz.data.csv import write_csv
from netviz.data.sample import SAMPLE_FILE, SAMPLE_ROWS

HERE = Path(__file__).resolve().parent
DEFAULT_MNIST = HERE.parent.parent / "shared" / "data" / "mnist"


def make_sample(mnist_folder: Path, out: Path) -> Digits:
    """Write the first ``SAMPLE_ROWS`` training images of ``mnist_folder`` to ``out``."""
    rows = load_source(mnist_folder).rows
    sample = Digits(
        images=rows.images[:SAMPLE_ROWS],
        labels=None if rows.labels is None else rows.labels[:SAMPLE_ROWS],
        origin=f"{rows.origin}, rows 1-{SAMPLE_ROWS}",
    )
    write_csv(out, sample)
    return sample


if __name__ == "__main__":
    folder = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_MNIST
    target = Path(sys.argv[2]) if len(sys.argv) > 2 else HERE / SAMPLE_FILE
    made = make_sample(folder, target)
    print(f"{target}: {len(made)} rows, {target.stat().st_size:,} bytes")
