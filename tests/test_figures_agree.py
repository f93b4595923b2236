"""One meaning per figure: every cost and accuracy netviz shows says at which weights it was
measured, and the same figure reads the same wherever it is shown.

Each epoch's figures are measured at the weights it started from (before its update); the final
figures at the weights the run ended with (after its last update). ``netviz train``'s last lines,
``netviz trace info``, ``netviz trace metrics`` and the progress bar are checked against each
other and against figures computed here, independently, from the trace's own weights: one plain
forward pass over the whole set (not training's chunks), and a cross-entropy written out below.
"""

from __future__ import annotations

import io
import re

import numpy as np
import pandas as pd
import pytest
from helpers import run_cli, table_rows

from netviz.core.network import Params, forward
from netviz.core.presets import PRESETS
from netviz.trace import TraceReader
from netviz.training.run import RunSpec, prepare
from netviz.training.weights import load_weights

EPOCHS = 3
pytestmark = pytest.mark.usefixtures("plain_wide_console")


@pytest.fixture(scope="module")
def data():
    """The sample as `netviz train` cuts and converts it by default: X (784, m), labels."""
    return prepare(RunSpec(PRESETS["seed"].with_(epochs=EPOCHS)))


@pytest.fixture
def trained(capsys, tmp_path, monkeypatch):
    """`netviz train --epochs 3 --trace t.nvtrace --out w.npz` on the sample, with its progress
    bar drawn (as on a terminal): (stdout, stderr, trace path, weights path)."""
    monkeypatch.setenv("FORCE_COLOR", "1")  # rich draws the bar though stderr is captured
    trace, weights = tmp_path / "t.nvtrace", tmp_path / "w.npz"
    argv = ["--epochs", str(EPOCHS), "--trace", str(trace), "--out", str(weights)]
    status, out, err = run_cli(capsys, "train", *argv)
    assert status == 0, err
    return out, err, trace, weights


def measured(params: Params, X: np.ndarray, labels: np.ndarray, hidden) -> tuple[float, float]:
    """(mean cross-entropy, accuracy) of ``params`` on X (784, m), computed here: one forward pass
    over all m columns, then −log softmax(Z3)[label] by a shifted log-sum-exp."""
    Z = forward(params, X, hidden)[f"Z{len(params.W)}"]  # (10, m)
    shifted = Z - Z.max(axis=0)
    log_softmax = shifted - np.log(np.exp(shifted).sum(axis=0))
    cost = float(-log_softmax[labels, np.arange(labels.size)].mean())
    return cost, float(np.mean(Z.argmax(axis=0) == labels))


def final_lines(out: str) -> dict[str, str]:
    """`netviz train`'s last figures: {"final cost": …, "train accuracy": …, …}, and the line
    above them that says at which weights."""
    lines = out.splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("final cost: "))
    shown = dict(line.split(": ", 1) for line in lines[at : at + 3])
    return {"heading": lines[at - 1], **shown}


def test_train_prints_what_trace_info_shows_as_the_final_figures(trained, capsys, monkeypatch):
    out, _, trace, _ = trained
    printed = final_lines(out)
    monkeypatch.delenv("FORCE_COLOR")  # a plain table, one row a line
    status, info, _ = run_cli(capsys, "trace", "info", str(trace))
    assert status == 0
    rows = table_rows(info)
    assert printed["heading"] == f"at the final weights, after epoch {EPOCHS}'s update:"
    assert rows["final weights"] == f"after epoch {EPOCHS}'s update"
    for label in ("final cost", "train accuracy", "test accuracy"):
        assert rows[label] == printed[label], label
    # and the last epoch's own row is there too, labelled as at the weights it started from
    assert rows["last epoch"] == str(EPOCHS)
    assert rows[f"train accuracy at the start of epoch {EPOCHS}"].endswith(" %")


def test_the_final_figures_are_the_saved_weights_own(trained, data):
    out, _, trace, weights = trained
    saved, meta = load_weights(weights)
    with TraceReader(trace) as reader:
        rebuilt, final, last = reader.weights(EPOCHS), reader.final(), reader.metrics().iloc[-1]
    for a, b in zip(saved.W + saved.b, rebuilt.W + rebuilt.b, strict=True):
        np.testing.assert_array_equal(a, b)  # the trace's final weights are the ones saved
    cost, train = measured(saved, data.X, data.y, data.hidden)
    _, test = measured(saved, data.X_test, data.y_test, data.hidden)
    printed = final_lines(out)
    assert printed["train accuracy"] == f"{100 * train:.2f} %"
    assert printed["test accuracy"] == f"{100 * test:.2f} %"
    assert final.epoch == meta["epochs_trained"] == EPOCHS
    assert final.cost == pytest.approx(cost, rel=1e-9) == meta["cost"]
    assert (final.train_accuracy, final.test_accuracy) == (train, test)
    assert printed["final cost"] == f"{final.cost:.4f} (mean cross-entropy)"
    # The last epoch's row is another set of weights: these figures are not its figures.
    assert (last["train_accuracy"], last["test_accuracy"]) != (train, test)
    assert last["cost"] != pytest.approx(cost, rel=1e-6)


def test_each_epochs_row_is_measured_at_the_weights_it_started_from(trained, data):
    _, _, trace, _ = trained
    with TraceReader(trace) as reader:
        frame = reader.metrics()
        starts = {e: reader.weights(e - 1) for e in frame.index}
    assert list(frame.index) == list(range(1, EPOCHS + 1))
    for epoch, params in starts.items():
        cost, train = measured(params, data.X, data.y, data.hidden)
        _, test = measured(params, data.X_test, data.y_test, data.hidden)
        row = frame.loc[epoch]
        assert row["cost"] == pytest.approx(cost, rel=1e-9), epoch
        assert (row["train_accuracy"], row["test_accuracy"]) == (train, test), epoch


def test_the_progress_bar_shows_the_last_epochs_figures_and_says_at_its_start(trained):
    _, err, trace, _ = trained
    plain = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", err)
    found = re.findall(r"at its start: cost (\S+) train +(\S+ %) test +(\S+ %)", plain)
    assert found, plain
    with TraceReader(trace) as reader:
        last = reader.metrics().iloc[-1]
    expected = (
        f"{last['cost']:.4f}",
        f"{100 * last['train_accuracy']:.2f} %",
        f"{100 * last['test_accuracy']:.2f} %",
    )
    assert found[-1] == expected


def test_the_metrics_csv_names_what_each_row_is_measured_at(trained, capsys):
    _, _, trace, _ = trained
    status, out, _ = run_cli(capsys, "trace", "metrics", str(trace))
    assert status == 0
    csv = pd.read_csv(io.StringIO(out), engine="python")  # exact floats
    assert list(csv.columns[:3]) == ["epoch", "weights", "step"]
    assert list(csv["weights"]) == ["start of epoch"] * EPOCHS + ["after epoch (final)"]
    assert list(csv["epoch"]) == [*range(1, EPOCHS + 1), EPOCHS]
    with TraceReader(trace) as reader:
        final, frame = reader.final(), reader.metrics()
    *rows, last = csv.itertuples(index=False)
    assert (last.cost, last.train_accuracy, last.test_accuracy) == (
        final.cost,
        final.train_accuracy,
        final.test_accuracy,
    )
    assert np.isnan(last.step) and np.isnan(last.grad_norm_L1)  # not an epoch: no epoch's data
    np.testing.assert_array_equal([r.cost for r in rows], frame["cost"])
