"""The small MNIST sample shipped inside the package (``netviz.sample_data``), for offline use."""

from __future__ import annotations

from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path

SAMPLE_SPEC = "sample"  # what a user types instead of a path
SAMPLE_FILE = "mnist_sample.csv.gz"
SAMPLE_ROWS = 4200  # the first 4,200 MNIST training images: the seed split gives 3,000 / 1,200


def sample_file() -> Traversable:
    """The shipped sample CSV, wherever the package is installed (a folder, or a zip).

    From a source checkout that is not installed (``python -m netviz`` in the clone), the
    package ``netviz.sample_data`` does not exist: the file is then in ``sample_data/`` beside
    ``netviz/``.
    """
    try:
        return files("netviz.sample_data") / SAMPLE_FILE
    except ModuleNotFoundError:
        return Path(__file__).resolve().parents[2] / "sample_data" / SAMPLE_FILE
