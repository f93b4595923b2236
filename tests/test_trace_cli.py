"""``netviz trace info|metrics|tensors`` on a small real trace: what a learner reads is what the
trace holds."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from helpers import run_cli, table_rows

from netviz.trace import TraceReader, TraceWriter

EPOCHS, ALPHA, EXAMPLE = 12, 0.8, 3

pytestmark = pytest.mark.usefixtures("plain_wide_console")


@pytest.fixture(scope="module")
def trace(trace_maker) -> Path:
    """12 full-batch epochs of the seed network on 300 sample digits, then example 3's pass."""
    return trace_maker(epochs=EPOCHS, example=EXAMPLE, alpha=ALPHA).path


# --- info ---------------------------------------------------------------------------------------


def test_info_shows_preset_counts_epochs_size_and_final_accuracy(capsys, trace):
    status, out, err = run_cli(capsys, "trace", "info", str(trace))
    assert status == 0 and err == ""
    rows = table_rows(out)
    with TraceReader(trace) as reader:
        counts, last = reader.counts(), reader.metrics().iloc[-1]
    assert rows["preset"] == "seed"
    assert rows["sizes"] == "[784, 16, 16, 10]" and rows["train_size"] == "300"
    assert rows["data_sha256"] == reader.meta["data_sha256"]  # whole, not cut short
    assert rows["recorded steps"].startswith(
        f"{counts['steps']} ({EPOCHS} epoch, {counts['ops']} op); {counts['tensors']} tensors"
    )
    assert rows["recorded epochs"] == f"1–{EPOCHS} ({EPOCHS} epochs)"
    assert f"({trace.stat().st_size:,} bytes)" in rows["size"]
    # The last epoch's row says it is at the weights that epoch started from.
    at = f"at the start of epoch {EPOCHS}"
    assert rows["last epoch"] == str(EPOCHS)
    assert rows[f"cost {at}"] == f"{last['cost']:.4f} (before its update)"
    assert rows[f"train accuracy {at}"] == f"{100 * last['train_accuracy']:.2f} %"
    assert rows[f"test accuracy {at}"] == f"{100 * last['test_accuracy']:.2f} %"
    # This trace's recorder was closed without final figures: info says so, shows no others.
    assert rows["final weights"].startswith("not measured")
    assert "train accuracy" not in rows and "final cost" not in rows


def test_info_counts_the_wal_file_of_a_trace_still_being_written(capsys, tmp_path):
    path = tmp_path / "live.nvtrace"
    writer = TraceWriter(path, {"preset": {"name": "seed"}}, layers=3)
    try:
        writer.add_examples([(0, 1, np.zeros(784, np.uint8))])
        main_size, wal_size = path.stat().st_size, Path(f"{path}-wal").stat().st_size
        status, out, err = run_cli(capsys, "trace", "info", str(path))
    finally:
        writer.close()
    assert wal_size > 0 and status == 0
    assert err == ""  # a trace still being written is not mistaken for a truncated one
    rows = table_rows(out)
    assert "damage" not in rows
    total = main_size + wal_size
    assert rows["size"].endswith(f"({total:,} bytes, {wal_size:,} of them in live.nvtrace-wal)")
    assert rows["recorded epochs"] == "none recorded"


def test_info_shows_metadata_literally_never_as_markup(capsys, tmp_path):
    path = tmp_path / "odd.nvtrace"
    meta = {
        "title": "[red]x[/red]",
        "[bold": "[bold",
        "note": "[link=https://example.com]click[/link] :smile:",
        "escape": "a\x1b[2Jb",
    }
    TraceWriter(path, meta, layers=3).close()
    status, out, err = run_cli(capsys, "trace", "info", str(path))
    assert status == 0, err
    rows = table_rows(out)
    assert rows["title"] == "[red]x[/red]"
    assert rows["[bold"] == "[bold"
    assert rows["note"] == "[link=https://example.com]click[/link] :smile:"
    assert rows["escape"] == "a\\x1b[2Jb"  # shown, not sent to the terminal
    assert "\x1b" not in out


# --- metrics ------------------------------------------------------------------------------------


def epoch_rows(csv: pd.DataFrame) -> pd.DataFrame:
    """The per-epoch rows of a metrics CSV, as the reader's frame: indexed by epoch."""
    assert set(csv["weights"]) <= {"start of epoch", "after epoch (final)"}
    rows = csv[csv["weights"] == "start of epoch"]
    return rows.drop(columns="weights").set_index("epoch").astype(float)


def test_metrics_csv_round_trips_to_the_readers_frame(capsys, trace, tmp_path):
    out_file = tmp_path / "metrics.csv"
    status, out, _ = run_cli(capsys, "trace", "metrics", str(trace), "-o", str(out_file))
    assert status == 0
    assert out == (
        f"wrote {EPOCHS} epochs of metrics (each at the weights it started from) to {out_file}\n"
    )
    with TraceReader(trace) as reader:
        expected = reader.metrics()
    written = pd.read_csv(out_file, engine="python")  # exact floats
    assert list(written["weights"]) == ["start of epoch"] * EPOCHS  # no final row recorded
    pd.testing.assert_frame_equal(epoch_rows(written), expected.astype(float), check_exact=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["metrics.csv"]  # no temporary left


def test_metrics_replaces_an_existing_file_whole(capsys, trace, tmp_path):
    out_file = tmp_path / "metrics.csv"
    out_file.write_text("old contents, much longer than a header line\n" * 1000)
    assert run_cli(capsys, "trace", "metrics", str(trace), "-o", str(out_file))[0] == 0
    assert out_file.read_text().startswith("epoch,weights,step,m,alpha,cost,")
    assert len(out_file.read_text().splitlines()) == EPOCHS + 1


def test_metrics_without_out_prints_the_csv(capsys, trace):
    status, out, _ = run_cli(capsys, "trace", "metrics", str(trace))
    assert status == 0
    printed = pd.read_csv(io.StringIO(out), engine="python")  # exact floats
    with TraceReader(trace) as reader:
        expected = reader.metrics().astype(float)
    pd.testing.assert_frame_equal(epoch_rows(printed), expected, check_exact=True)


# --- tensors ------------------------------------------------------------------------------------


def test_tensors_at_an_epoch_lists_every_array_with_its_shape(capsys, trace):
    status, out, _ = run_cli(capsys, "trace", "tensors", str(trace), "--at", f"e{EPOCHS}")
    assert status == 0
    lines = out.splitlines()
    assert lines[0] == f"e{EPOCHS}  (step {EPOCHS}, epoch)"
    with TraceReader(trace) as reader:
        recorded = reader.tensors(f"e{EPOCHS}")
    assert {"dW1", "db3", "A1_mean", "watch/Z1"} <= set(recorded)
    for name, array in recorded.items():
        assert f"  {name}  {array.shape}  {array.dtype}" in lines
    assert "  dW1  (16, 784)  float64" in lines


def test_tensors_at_an_op_shows_its_equation_inputs_and_outputs(capsys, trace):
    address = f"e{EPOCHS}/x{EXAMPLE}/bwd/L2/dZ"
    status, out, _ = run_cli(capsys, "trace", "tensors", str(trace), "--at", address)
    assert status == 0
    with TraceReader(trace) as reader:
        step = reader.step(address)
    lines = out.splitlines()
    assert lines[0] == f"{address}  (step {step.step}, op)"
    assert lines[1] == f"  {step.equation}" and lines[1].startswith("  dZ2 = ")
    inputs, outputs = out.split("\ninputs:\n")[1].split("\noutputs:\n")
    assert "  A2  (16, 1)  float64" in inputs and "  dA2  (16, 1)  float64" in inputs
    assert "  dZ2  (16, 1)  float64" in outputs and "dA2" not in outputs


def test_tensors_prints_the_recorded_values(capsys, trace):
    address = f"e{EPOCHS}/x{EXAMPLE}/bwd/L2/dZ"
    _, out, _ = run_cli(capsys, "trace", "tensors", str(trace), "--at", address)
    block = out.split("  dZ2  (16, 1)  float64\n")[1]
    printed = np.array([float(v) for v in block.replace("[", " ").replace("]", " ").split()])
    with TraceReader(trace) as reader:
        _, outputs = reader.op_arrays(address)
    np.testing.assert_allclose(printed, outputs["dZ2"].ravel(), rtol=0, atol=5e-7)


def test_tensors_prints_the_cost_of_the_pass(capsys, trace):
    address = f"e{EPOCHS}/x{EXAMPLE}/cost"
    _, out, _ = run_cli(capsys, "trace", "tensors", str(trace), "--at", address)
    value = out.split("  cost  ()  float64\n")[1].split()[0]
    with TraceReader(trace) as reader:
        assert float(value) == pytest.approx(float(reader.tensors(address)["cost"]), abs=5e-7)


def test_tensors_summarises_large_arrays(capsys, trace):
    address = f"e{EPOCHS}/x{EXAMPLE}/fwd/L1/Z"
    status, out, _ = run_cli(capsys, "trace", "tensors", str(trace), "--at", address)
    assert status == 0
    assert "  W1  (16, 784)  float64" in out and "  x  (784, 1)  float64" in out
    assert "..." in out and len(out.splitlines()) < 60


def test_tensors_by_step_number_is_the_same_as_by_address(capsys, trace):
    with TraceReader(trace) as reader:
        step = reader.steps(kind="op")[0]
    by_address = run_cli(capsys, "trace", "tensors", str(trace), "--at", step.address)
    by_number = run_cli(capsys, "trace", "tensors", str(trace), "--at", str(step.step))
    assert by_number == by_address and by_number[0] == 0
