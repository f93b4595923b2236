"""Replay: a saved trace read back as the same timeline, with the same numbers, as the live
session that wrote it; watched examples on epoch steps; breakpoints as seeks; a growing trace
followed; --goto and refusals through the CLI."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import run_cli

from netviz.core.presets import PRESETS
from netviz.session.live import Session
from netviz.session.replay import Replay
from netviz.trace import TraceReader
from netviz.training.run import RunSpec

SPEC = RunSpec(PRESETS["seed"], train_size=300, test_size=100)


def walk(history) -> list:
    """Every snapshot of the timeline, first to last."""
    history.edge(False)
    out = []
    for _ in range(history.snapshot().timeline_length):
        out.append(history.snapshot())
        history.move(1)
    return out


@pytest.fixture(scope="module")
def recorded(tmp_path_factory):
    """A live lesson: example 0 stepped through, 3 epochs, example 1, 2 epochs, example 1
    again (visited), the live snapshots of its whole timeline, and the trace it wrote."""
    path = tmp_path_factory.mktemp("replay") / "lesson.nvtrace"
    with Session(SPEC, trace=path) as live:
        live.phase(True)
        for _ in range(3):
            live.run_epoch()
        live.example(1)
        live.run_epoch()
        live.run_epoch()
        live.step(1)  # the reopened pass is recorded once the learner moves in it
        snapshots = walk(live)
    return path, snapshots


def test_the_timeline_is_the_live_one_with_the_same_numbers(recorded):
    path, live = recorded
    with Replay(path) as replay:
        again = walk(replay)
    assert [s.address for s in again] == [s.address for s in live]
    for a, b in zip(again, live, strict=True):
        assert (a.kind, a.example, a.label, a.prediction) == (b.kind, b.example, b.label,
                                                              b.prediction)  # fmt: skip
        np.testing.assert_array_equal(a.pixels, b.pixels)
        for la, lb in zip(a.layers, b.layers, strict=True):  # epoch steps: a watched example
            for field in ("activation", "gradient", "slope"):
                x, y = getattr(la, field), getattr(lb, field)
                assert (x is None) == (y is None)
                if x is not None:
                    np.testing.assert_array_equal(x, y, err_msg=f"{a.address} {field}")
        if a.op is not None:
            assert (a.op.equation, list(a.op.outputs)) == (b.op.equation, list(b.op.outputs))
            for name, value in b.op.outputs.items():
                np.testing.assert_array_equal(a.op.outputs[name], value, err_msg=a.address)
            for name, value in b.op.inputs.items():
                np.testing.assert_array_equal(a.op.inputs[name], value, err_msg=a.address)
        else:
            assert a.epoch_metrics == b.epoch_metrics
    assert again[-1].metrics == live[-1].metrics
    assert not again[0].live and live[0].live


def test_an_epoch_step_shows_the_watched_examples_as_that_epoch_computed_them(recorded):
    path, _ = recorded
    with Replay(path) as replay, TraceReader(path) as reader:
        watched = reader.meta["watch"]
        arrays = reader.tensors("e2")
        snap = replay.goto("e2")
        for k, example in enumerate(watched[:3]):
            assert snap.kind == "epoch" and snap.example == example
            np.testing.assert_array_equal(snap.layers[1].activation, arrays["watch/A1"][:, k])
            np.testing.assert_array_equal(snap.layers[2].gradient, arrays["watch/dZ2"][:, k])
            assert snap.prediction == int(np.argmax(arrays["watch/A3"][:, k]))
            pixels, label = reader.example(example)
            assert snap.label == label
            np.testing.assert_array_equal(snap.pixels, pixels)
            snap = replay.example(1)  # ] on an epoch step: the next watched example
        assert replay.example(-3).example == watched[0]


def test_nothing_is_computed_past_the_end(recorded):
    path, _ = recorded
    with Replay(path) as replay:
        last = replay.goto("e5/x1/fwd/L1/Z")
        length = last.timeline_length
        assert replay.example(1).cursor == last.cursor  # no new example
        assert replay.edge(True).timeline_length == length
        with pytest.raises(ValueError, match="example 7 has no recorded pass"):
            replay.goto("7")
        with pytest.raises(ValueError, match="example 2 was not opened at epoch 0"):
            replay.goto("e0/x2/cost")
        with pytest.raises(ValueError, match="epoch 9 has not been run"):
            replay.goto("e9")


def test_scrub_moves_over_epoch_steps_only(recorded):
    path, _ = recorded
    with Replay(path) as replay:
        replay.edge(False)
        seen = [replay.scrub(1).address for _ in range(6)]
        assert seen == ["e1", "e2", "e3", "e4", "e5", "e5"]
        assert replay.scrub(-2).address == "e3"
        assert replay.goto_epoch(4).address == "e4"


def test_a_trace_of_epochs_only_replays(tmp_path, capsys):
    path = tmp_path / "train.nvtrace"
    args = ["train", "--train-size", "300", "--test-size", "100", "--epochs", "3"]
    assert run_cli(capsys, *args, "--trace", str(path))[0] == 0
    with Replay(path) as replay:
        snap = replay.edge(True)
        assert (snap.address, snap.kind, snap.timeline_length) == ("e3", "epoch", 3)
        assert replay.layer(1).address == replay.phase(True).address == "e3"
        with pytest.raises(ValueError, match="no example pass was recorded"):
            replay.check_gradients()


def test_breakpoints_seek_forward_and_back(recorded):
    path, _ = recorded
    with Replay(path) as replay, TraceReader(path) as reader:
        accuracy = reader.metrics()["train_accuracy"]
        goal = accuracy.iloc[2]  # first reached at the earliest epoch with accuracy ≥ it
        first = int(accuracy[accuracy >= goal].index[0])
        replay.add_breakpoint(f"acc >= {100 * goal - 1e-9}%")
        replay.edge(False)
        hit = replay.next_hit()
        assert hit is not None and hit.address == f"e{first}"
        assert replay.snapshot().address == f"e{first}" and replay.snapshot().hits
        replay.edge(True)  # e5/x1's last op: every epoch from `first` on holds the goal
        assert replay.previous_hit().address == "e5"
        assert replay.previous_hit().address == "e4"
        replay.breakpoints.clear()
        replay.add_breakpoint("sat L1 > 50%")  # raw pixels saturate layer 1 at once
        replay.edge(False)  # on fwd/L1/Z: layer 1's A is the next op
        hit = replay.next_hit()
        assert hit.address.endswith("/fwd/L1/A"), hit
        assert replay.snapshot().address == hit.address


def test_flip_needs_a_watched_example(recorded):
    path, _ = recorded
    with Replay(path) as replay:
        replay.add_breakpoint("flip x3")
        with pytest.raises(ValueError, match="watched examples only"):
            replay.add_breakpoint("flip x200")


def test_breakpoints_saved_by_the_live_session_come_back(tmp_path):
    path = tmp_path / "b.nvtrace"
    with Session(SPEC, trace=path) as live:
        live.add_breakpoint("cost up")
        live.add_breakpoint("sat L2 > 40%")
        live.toggle_breakpoint(1)
    with Replay(path) as replay:
        assert [(b.text, b.enabled) for b in replay.breakpoints] == [
            ("cost up", True),
            ("sat L2 > 40%", False),
        ]


def test_a_growing_trace_is_followed(tmp_path):
    path = tmp_path / "growing.nvtrace"
    with Session(SPEC, trace=path) as live:
        live.run_epoch()
        replay = Replay(path)
        try:
            before = replay.edge(True)
            assert before.address == "e1" and replay.refresh() is False
            live.run_epoch()
            live.run_epoch()
            assert replay.refresh() is True
            after = replay.snapshot()
            assert (after.address, after.epoch) == ("e3", 3)  # the cursor was at the end
            assert [m.epoch for m in after.metrics] == [1, 2, 3]
        finally:
            replay.close()


def test_replay_goto_from_the_command_line_is_checked_before_the_app(recorded, capsys):
    path, _ = recorded
    status, out, err = run_cli(capsys, "replay", str(path), "--goto", "e0/x9/cost")
    assert status == 2 and out == ""
    assert err == (f"netviz: error: {path}: --goto e0/x9/cost: example 9 was not opened at "
                   "epoch 0, and the network is at epoch 5\n")  # fmt: skip


def test_a_saved_flip_of_an_example_the_trace_did_not_watch_is_left_out(tmp_path):
    """flip x100 cannot be answered from the trace (x0–x7 are watched) and is left out;
    flip x2 fires at the same epochs as it did live, the last one included."""
    path = tmp_path / "flip.nvtrace"
    with Session(SPEC, trace=path) as live:
        live.add_breakpoint("flip x100")
        live.add_breakpoint("flip x2")
        for _ in range(6):
            live.run_epoch()
        fired = [h.address for h in live.hits if h.condition == "flip x2"]
    assert fired  # the seed network's x2 changes its mind in these epochs
    with Replay(path) as replay:
        assert [b.text for b in replay.breakpoints] == ["flip x2"]
        replay.edge(False)
        seen = []
        while (hit := replay.next_hit()) is not None:
            seen.append(hit.address)
    assert seen == fired


def test_watches_on_an_epoch_step_see_the_watched_example(recorded):
    path, _ = recorded
    with Replay(path) as replay, TraceReader(path) as reader:
        replay.add_watch("argmax(yhat)")
        replay.add_watch("A1[0]")
        snap = replay.goto("e3")
        A3, A1 = (reader.tensors("e3")[f"watch/A{l}"][:, 0] for l in (3, 1))
        assert [w.shown for w in snap.watches][0] == str(int(np.argmax(A3)))
        assert not snap.watches[0].error and not snap.watches[1].error


def test_following_adds_passes_and_epochs_in_order(tmp_path):
    path = tmp_path / "growing-passes.nvtrace"
    with Session(SPEC, trace=path) as live:
        replay = Replay(path)
        try:
            live.run_epoch()
            live.example(1)  # e1/x0 recorded (a pass followed it), then e1/x1
            live.example(1)
            live.run_epoch()
            assert replay.refresh() is True
            live_order = [s.address.rsplit("/", 3)[0] for s in walk(live)]
            assert [s.address.rsplit("/", 3)[0] for s in walk(replay)] == live_order[
                : len(walk(replay))
            ]
        finally:
            replay.close()


def test_an_epoch_step_without_watched_examples_says_which_weights_its_numbers_are_at(tmp_path):
    """A second read: with --record minimal an epoch step fell back to the last pass before it,
    computed at older weights, while the status bar read "weights after 0 → 1"."""
    from netviz.training.recording import RecordOptions

    path = tmp_path / "minimal.nvtrace"
    with Session(SPEC, trace=path, record=RecordOptions("minimal")) as live:
        live.phase(True)
        live.run_epoch()
    with Replay(path) as replay:
        snap = replay.goto("e1")
        assert snap.kind == "epoch"
        assert "last pass before this epoch, computed at the weights after 0 epochs" in (
            snap.explanation
        )
