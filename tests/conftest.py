"""Shared fixtures: the full MNIST folder (skipped when absent) and a tiny labelled data set."""

from __future__ import annotations

from dataclasses import dataclass
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


@dataclass(frozen=True, eq=False)
class RecordedRun:
    """A small trace and what training produced while writing it, to compare against."""

    path: Path
    run: object  # netviz.training.run.Run
    results: list  # the EpochResults, in order
    ops: tuple  # the example pass's ops
    steps: list[int]  # their step numbers


@pytest.fixture(scope="session")
def trace_maker(tmp_path_factory):
    """``make(epochs=12, example=3, alpha=0.8, options=None)``: record the seed network on 300
    sample digits for some epochs, then one example's pass at the final weights."""
    from netviz.core.presets import PRESETS
    from netviz.core.steps import example_ops
    from netviz.training.recording import DEFAULT_RECORDING, Recorder
    from netviz.training.run import RunSpec, prepare
    from netviz.training.trainer import Trainer

    def make(epochs=12, example=3, alpha=0.8, options=None) -> RecordedRun:
        path = tmp_path_factory.mktemp("trace") / "seed.nvtrace"
        run = prepare(RunSpec(PRESETS["seed"].with_(epochs=epochs), train_size=300, test_size=100))
        with (
            Recorder(path, run, options or DEFAULT_RECORDING) as rec,
            Trainer(run.X, run.y, run.hidden, alpha, run.X_test, run.y_test) as trainer,
        ):
            results = []
            for result in trainer.run(run.params, epochs):
                rec.epoch(result, alpha)
                results.append(result)
            label = int(run.y[example])
            ops = example_ops(results[-1].params, run.X[:, example], label, run.hidden, alpha)
            steps = rec.example_pass(epochs, example, ops, run.train.images[example], label)
        return RecordedRun(path, run, results, ops, steps)

    return make


@pytest.fixture
def plain_wide_console(monkeypatch):
    """Rich tables one row a line and without colour, whatever the test machine's settings."""
    monkeypatch.setenv("COLUMNS", "200")
    for name in ("FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="session")
def lesson_order() -> list[str]:
    """The addresses of one example's ops, in the order of the lesson (DESIGN.md §3)."""
    return [
        "fwd/L1/Z", "fwd/L1/A", "fwd/L2/Z", "fwd/L2/A", "fwd/L3/Z", "fwd/L3/A", "cost",
        "bwd/L3/dZ", "bwd/L3/dW", "bwd/L3/db", "bwd/L3/dA",
        "bwd/L2/dZ", "bwd/L2/dW", "bwd/L2/db", "bwd/L2/dA",
        "bwd/L1/dZ", "bwd/L1/dW", "bwd/L1/db",
        "upd/L1/W", "upd/L1/b", "upd/L2/W", "upd/L2/b", "upd/L3/W", "upd/L3/b",
    ]  # fmt: skip


@pytest.fixture(scope="session", autouse=True)
def no_traces_left_in_the_repository():
    """Tests write their traces under tmp_path: the repository's traces/ must stay as it was."""
    folder = Path(__file__).parents[1] / "traces"
    before = set(folder.iterdir()) if folder.is_dir() else set()
    yield
    after = set(folder.iterdir()) if folder.is_dir() else set()
    assert after <= before, f"tests wrote into {folder}: {sorted(p.name for p in after - before)}"
