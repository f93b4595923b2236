"""Trace files: what is written is what is read, a killed writer leaves a readable file, a reader
follows a growing file, and every epoch's weights rebuild bit for bit."""

from __future__ import annotations

import math
import os
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest
from helpers import disk_fills_after

from netviz.core.presets import PRESETS
from netviz.trace import TraceReader, TraceWriter
from netviz.trace.schema import decode, encode
from netviz.training.recording import Recorder, RecordOptions
from netviz.training.run import RunSpec, prepare
from netviz.training.trainer import Trainer

EPOCHS = 13


@pytest.fixture(scope="module")
def recorded(trace_maker):
    """A 13-epoch seed run on 300 sample digits, checkpoints every 5, and one example's pass;
    with everything training produced, to compare against."""
    made = trace_maker(EPOCHS, 3, 0.8, RecordOptions(checkpoint_every=5, watch=(0, 7, 42)))
    return made.path, made.run, made.results, made.ops, made.steps


@pytest.mark.parametrize(
    "array",
    [
        np.arange(12.0).reshape(3, 4),
        np.arange(12.0).reshape(3, 4).T,  # not C-contiguous
        np.float32([[1.5, -2.0]]),
        np.array(3.25),  # 0-d, like the cost
        np.arange(784, dtype=np.uint8),
        np.array([True, False]),
        np.arange(5, dtype=">f8"),  # big-endian in, little-endian stored
    ],
    ids=["f8", "f8-transposed", "f4", "scalar", "u1", "bool", "big-endian"],
)
def test_arrays_round_trip_through_bytes_dtype_and_shape(array):
    back = decode(*encode(array))
    assert back.shape == array.shape and back.dtype == array.dtype.newbyteorder("<")
    np.testing.assert_array_equal(back, array)
    assert not back.flags.writeable


def test_arrays_with_many_zeros_are_stored_smaller_and_come_back_bit_for_bit():
    a = np.zeros((16, 784))
    a[3, :100] = np.random.default_rng(0).normal(size=100)
    a[5, 7] = -0.0  # a signed zero is a value like any other
    dtype, shape, encoding, crc, data = encode(a)
    assert encoding == "nonzero" and len(data) < a.nbytes / 5
    back = decode(dtype, shape, encoding, crc, data)
    assert back.tobytes() == a.tobytes() and np.signbit(back[5, 7])
    assert not back.flags.writeable


def test_a_damaged_array_fails_its_checksum_instead_of_reading_as_other_numbers():
    dtype, shape, encoding, crc, data = encode(np.arange(10.0))
    damaged = data[:8] + bytes([data[8] ^ 1]) + data[9:]
    with pytest.raises(ValueError, match="checksum"):
        decode(dtype, shape, encoding, crc, damaged)


def test_object_arrays_are_never_stored():
    with pytest.raises(ValueError, match="cannot store dtype object"):
        encode(np.array([{}], dtype=object))


def test_metadata_and_metrics_read_back_as_written(recorded):
    path, run, results, _, _ = recorded
    with TraceReader(path) as t:
        assert t.meta["format"] == "netviz trace" and t.meta["seed"] == 0
        assert t.meta["sizes"] == [784, 16, 16, 10] and t.meta["train_size"] == 300
        assert t.meta["data_sha256"] == run.source.sha256 and t.meta["watch"] == [0, 7, 42]
        frame = t.metrics()
        assert list(frame.index) == list(range(1, EPOCHS + 1)) == t.epochs()
        np.testing.assert_array_equal(frame["cost"], [r.cost for r in results])
        np.testing.assert_array_equal(frame["train_accuracy"], [r.train_accuracy for r in results])
        np.testing.assert_array_equal(frame["test_accuracy"], [r.test_accuracy for r in results])
        norms = [np.sqrt(np.sum(r.grads.dW[1] ** 2)) / 300 for r in results]
        np.testing.assert_allclose(frame["grad_norm_L2"], norms, rtol=1e-12)
        assert set(frame.columns) >= {"m", "alpha", "saturated_L1", "saturated_L2"}


def test_epoch_tensors_are_the_sums_training_used(recorded):
    path, run, results, _, _ = recorded
    with TraceReader(path) as t:
        for r in results:
            arrays = t.tensors(f"e{r.epoch}")
            for l in (1, 2, 3):
                np.testing.assert_array_equal(arrays[f"dW{l}"], r.grads.dW[l - 1])
                np.testing.assert_array_equal(arrays[f"db{l}"], r.grads.db[l - 1])
            np.testing.assert_array_equal(arrays["A1_saturated"], r.grads.saturated_fraction[0])
            assert arrays["watch/Z1"].shape == (16, 3) and arrays["watch/dZ3"].shape == (10, 3)
        pixels, label = t.example(42)
        np.testing.assert_array_equal(pixels, run.train.images[42])
        assert label == run.train.labels[42]


def test_watched_examples_hold_z_a_and_dz_at_the_epochs_starting_weights(recorded):
    path, run, results, _, _ = recorded
    from netviz.core.network import backward, forward

    before = results[4].params  # the weights epoch 6 starts from
    cache = forward(before, run.X[:, [0, 7, 42]], run.hidden)
    grads = backward(before, cache, run.y[[0, 7, 42]], run.hidden)
    with TraceReader(path) as t:
        arrays = t.tensors("e6")
    np.testing.assert_array_equal(arrays["watch/A2"], cache["A2"])
    np.testing.assert_array_equal(arrays["watch/dZ1"], grads["dZ1"])


def test_every_epochs_weights_rebuild_bit_for_bit(recorded):
    path, run, results, _, _ = recorded
    with TraceReader(path) as t:
        for epoch in range(EPOCHS + 1):
            want = run.params if epoch == 0 else results[epoch - 1].params
            got = t.weights(epoch)
            for a, b in zip(got.W + got.b, want.W + want.b, strict=True):
                np.testing.assert_array_equal(a, b, err_msg=f"epoch {epoch}")


def test_an_example_pass_reads_back_op_by_op(recorded):
    path, _, _, ops, steps = recorded
    with TraceReader(path) as t:
        assert [t.step(s).address for s in steps] == [f"e{EPOCHS}/x3/{op.address}" for op in ops]
        for op, step in zip(ops, steps, strict=True):
            info = t.step(step)
            assert (info.equation, info.phase, info.layer) == (op.equation, op.phase, op.layer)
            inputs, outputs = t.op_arrays(step)
            assert inputs.keys() == op.inputs.keys() and outputs.keys() == op.outputs.keys()
            for got, want in ((inputs, op.inputs), (outputs, op.outputs)):
                for name in want:
                    assert got[name].shape == want[name].shape
                    np.testing.assert_array_equal(got[name], want[name], err_msg=op.address)


def test_minimal_recording_keeps_metrics_and_checkpoints_only(tmp_path):
    run = prepare(RunSpec(PRESETS["tuned"].with_(epochs=4), train_size=200, test_size=50))
    path = tmp_path / "min.nvtrace"
    with (
        Recorder(path, run, RecordOptions("minimal")) as rec,
        Trainer(run.X, run.y, run.hidden, 4.0) as tr,
    ):
        last = [rec.epoch(r, 4.0) and r for r in tr.run(run.params, 4)][-1]
    with TraceReader(path) as t:
        assert t.epochs() == [1, 2, 3, 4] and t.tensors("e2") == {}
        np.testing.assert_array_equal(t.weights(4).W[0], last.params.W[0])


def test_full_recording_adds_every_examples_z_and_a_for_the_epochs_asked(tmp_path):
    run = prepare(RunSpec(PRESETS["tuned"].with_(epochs=3), train_size=120, test_size=30))
    path = tmp_path / "full.nvtrace"
    options = RecordOptions("full", full_epochs=(2,))
    with Recorder(path, run, options) as rec, Trainer(run.X, run.y, run.hidden, 4.0) as tr:
        for r in tr.run(run.params, 3):
            rec.epoch(r, 4.0)
        size = rec.full_epoch_bytes()
    with TraceReader(path) as t:
        assert "all/A1" not in t.tensors("e1")
        full = t.tensors("e2")
        assert full["all/Z1"].shape == (16, 120) and full["all/A3"].shape == (10, 120)
        assert size == sum(full[k].nbytes for k in full if k.startswith("all/"))


WRITER = textwrap.dedent(
    """
    import sys, time
    import numpy as np
    from netviz.trace import TraceWriter
    with TraceWriter(sys.argv[1], {"writer": "test"}, layers=1) as w:
        for e in range(1, 100_000):
            w.add_epoch(e, {"m": 1, "alpha": 0.1, "cost": 1.0 / e},
                        {"dW1": np.full((16, 784), float(e))})
            print(e, flush=True)
            time.sleep(float(sys.argv[2]))
    """
)


def start_writer(path, pause: float) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", WRITER, str(path), str(pause)], stdout=subprocess.PIPE, text=True
    )


def test_a_writer_killed_mid_run_leaves_a_trace_readable_to_its_last_commit(tmp_path):
    path = tmp_path / "killed.nvtrace"
    writer = start_writer(path, 0.0)
    committed = 0
    for line in writer.stdout:  # let it commit a few hundred epochs, then kill it mid-stream
        committed = int(line)
        if committed >= 300:
            break
    os.kill(writer.pid, signal.SIGKILL)
    writer.wait()
    with TraceReader(path) as t:
        epochs = t.epochs()
        assert epochs == list(range(1, len(epochs) + 1))  # no gaps, nothing half-written
        assert len(epochs) >= committed
        last = epochs[-1]
        np.testing.assert_array_equal(t.tensors(f"e{last}")["dW1"], np.full((16, 784), last))
        assert t.metrics().loc[last, "cost"] == pytest.approx(1.0 / last)
        assert t.final() is None  # the run never ended: no final weights' figures to show


def test_a_reader_follows_a_trace_while_it_is_written(tmp_path):
    path = tmp_path / "growing.nvtrace"
    writer = start_writer(path, 0.05)
    try:
        while int(writer.stdout.readline()) < 2:
            pass
        with TraceReader(path) as t:
            seen = []
            started = time.monotonic()
            for step in t.follow(poll=0.02, timeout=5):
                seen.append(step.epoch)
                if len(seen) >= 15:
                    break
            assert seen == list(range(1, 16))
            assert time.monotonic() - started > 0.3  # it waited for epochs still to come
            assert t.last_step() >= 15
    finally:
        writer.kill()
        writer.wait()


def test_a_finished_trace_is_one_self_contained_file(recorded):
    path = recorded[0]
    assert not path.with_name(path.name + "-wal").exists()
    assert path.read_bytes()[:16] == b"SQLite format 3\x00"


def test_the_writer_refuses_to_overwrite_a_trace(tmp_path):
    from netviz.errors import NetvizError

    path = tmp_path / "t.nvtrace"
    TraceWriter(path, {}, layers=1).close()
    with pytest.raises(NetvizError, match="already exists"):
        TraceWriter(path, {}, layers=1)


# --- the final weights' figures ------------------------------------------------------------------


def test_the_final_figures_read_back_as_recorded_and_a_rewrite_replaces_them(tmp_path):
    run = prepare(RunSpec(PRESETS["seed"].with_(epochs=2), train_size=200, test_size=0))
    path = tmp_path / "final.nvtrace"
    with Recorder(path, run) as rec, Trainer(run.X, run.y, run.hidden, 0.8) as tr:
        results = list(tr.run(run.params, 2))
        for r in results:
            rec.epoch(r, 0.8)
        rec.final(tr.measure(results[0].params, 1))
        rec.final(measured := tr.measure(results[1].params, 2))
    with TraceReader(path) as t:
        final = t.final()
    assert final.epoch == 2 and final.cost == measured.cost
    assert final.train_accuracy == measured.train_accuracy
    assert math.isnan(final.test_accuracy)  # no test set: not a number, not 0


def test_the_final_figures_are_what_the_next_epoch_would_measure(tmp_path):
    """Trainer.measure and an epoch's gradient pass measure alike: after 2 epochs, measure()
    gives epoch 3's own figures (each at the weights after 2 epochs)."""
    run = prepare(RunSpec(PRESETS["seed"], train_size=300, test_size=100))
    with Trainer(run.X, run.y, run.hidden, 0.8, run.X_test, run.y_test) as tr:
        results = list(tr.run(run.params, 3))
        measured = tr.measure(results[1].params, 2)
    third = results[2].start
    assert measured.epoch == third.epoch == 2
    assert measured.cost == pytest.approx(third.cost, rel=1e-12)
    assert (measured.train_accuracy, measured.test_accuracy) == (
        third.train_accuracy,
        third.test_accuracy,
    )


def test_a_trace_from_before_the_final_table_opens_without_final_figures(recorded, tmp_path):
    import shutil
    import sqlite3
    from contextlib import closing

    old = tmp_path / "old.nvtrace"
    shutil.copy(recorded[0], old)
    with closing(sqlite3.connect(old)) as db:
        db.execute("DROP TABLE final")  # what a trace written before it was added lacks
        db.commit()
    with TraceReader(old) as t:
        assert t.final() is None and t.epochs() == list(range(1, EPOCHS + 1))


def test_a_new_trace_clears_what_a_killed_creation_left_over_an_hour_ago(tmp_path):
    """A process killed between making a trace's temporary file and naming it leaves a hidden
    .NAME.netviz-XXXX.creating; the next trace made in that folder removes it once it is over
    an hour old. A newer one (another process may be writing it) and other files stay."""
    from netviz.trace.writer import STALE

    old = tmp_path / ".run.nvtrace.netviz-k3j2.creating"
    fresh = tmp_path / ".other.nvtrace.netviz-a1b2.creating"
    foreign = tmp_path / ".notes.txt.creating"  # not netviz's
    for f in (old, fresh, foreign):
        f.write_bytes(b"SQLite format 3\0")
    hour_ago = time.time() - STALE - 60
    for f in (old, foreign):
        os.utime(f, (hour_ago, hour_ago))
    with TraceWriter(tmp_path / "next.nvtrace", {"writer": "test"}, layers=1):
        pass
    assert not old.exists() and fresh.exists() and foreign.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [fresh.name, foreign.name, "next.nvtrace"]
    )


def test_a_full_disk_stops_the_trace_at_its_last_whole_epoch_and_refuses_more(
    tmp_path, monkeypatch
):
    """An epoch that no longer fits is undone whole and told in one line naming the file;
    the next write is refused with the same words, so the file holds epochs 1–K without a
    gap, and every one of their weights still rebuilds bit for bit."""
    from netviz.trace import TraceWriteError

    disk_fills_after(monkeypatch, 600)
    run = prepare(RunSpec(PRESETS["seed"], train_size=300, test_size=100))
    path, results, failure = tmp_path / "full.nvtrace", [], None
    with (
        Recorder(path, run) as rec,
        Trainer(run.X, run.y, run.hidden, 0.8, run.X_test, run.y_test) as trainer,
    ):
        for result in trainer.run(run.params, 200):
            try:
                rec.epoch(result, 0.8)
            except TraceWriteError as e:
                failure = str(e)
                break
            results.append(result)
        assert failure is not None, "the small disk never filled"
        assert failure.startswith(f"{path}: cannot write") and "disk is full" in failure
        assert "\n" not in failure and rec.failure == failure
        with pytest.raises(TraceWriteError) as again:
            rec.set_meta({"answers": []})
        assert str(again.value) == failure
    assert 2 <= len(results) < 200
    with TraceReader(path) as t:
        assert t.epochs() == list(range(1, len(results) + 1))
        for epoch, r in enumerate(results, 1):
            got = t.weights(epoch)
            for a, b in zip(got.W + got.b, r.params.W + r.params.b, strict=True):
                np.testing.assert_array_equal(a, b, err_msg=f"epoch {epoch}")
