"""Shared fixtures: the full MNIST folder (skipped when absent) and a tiny labelled data set."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from netviz.data import Digits

# ../shared beside the repository root; tests that need it are marked slow and skip without it.
MNIST_DIR = Path(__file__).parents[1].parent / "shared" / "data" / "mnist"


@pytest.fixture
def mnist_dir() -> Path:
    """The full MNIST set in IDX form, or a skip saying where it was looked for."""
    if not MNIST_DIR.is_dir():
        pytest.skip(f"needs the full MNIST set in {MNIST_DIR} (absent)")
    return MNIST_DIR


@pytest.fixture
def tiny_digits() -> Digits:
    """20 examples of random pixels, labels 0–9 twice over: small enough to write anywhere."""
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(20, 784), dtype=np.uint8)
    return Digits(images, (np.arange(20) % 10).astype(np.uint8), "tiny")


@pytest.fixture(scope="session")
def sample() -> Digits:
    """The shipped sample's 4,200 labelled digits (rows in file order)."""
    from netviz.data import load_source

    return load_source("sample").rows
