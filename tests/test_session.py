"""The session: the timeline and cursor a learner moves over, epochs, and what gets recorded."""

from __future__ import annotations

import threading

import numpy as np
import pytest

import netviz.session.live
from netviz.core.presets import PRESETS
from netviz.core.steps import example_ops
from netviz.errors import NetvizError
from netviz.session.live import Session
from netviz.trace import TraceReader
from netviz.training.run import RunSpec


@pytest.fixture
def session(tmp_path):
    s = Session(
        RunSpec(PRESETS["seed"], train_size=300, test_size=100), trace=tmp_path / "t.nvtrace"
    )
    yield s
    s.close()


@pytest.fixture
def passes_computed(monkeypatch):
    """How many example passes the session computes (to prove going back recomputes nothing)."""
    calls = []

    def counting(*args, **kwargs):
        calls.append(args[2])
        return example_ops(*args, **kwargs)

    monkeypatch.setattr(netviz.session.live, "example_ops", counting)
    return calls


def test_a_session_opens_at_the_first_op_of_example_0(session):
    snap = session.snapshot()
    assert (snap.address, snap.kind, snap.epoch, snap.example) == ("e0/x0/fwd/L1/Z", "op", 0, 0)
    assert snap.op.equation == "Z1 = W1·x + b1"
    assert snap.prediction is None  # not computed yet: the forward pass has not reached ŷ
    assert snap.layers[0].activation is not None and snap.layers[1].activation is None
    assert all(layer.gradient is None for layer in snap.layers)


def test_stepping_walks_the_ops_of_the_lesson_and_stops_at_the_ends(session, lesson_order):
    seen = [session.snapshot().address]
    for _ in range(len(lesson_order) + 3):
        seen.append(session.step(1).address)
    assert seen[: len(lesson_order)] == [f"e0/x0/{a}" for a in lesson_order]
    assert set(seen[len(lesson_order) - 1 :]) == {"e0/x0/upd/L3/b"}
    assert session.step(-1).address == "e0/x0/upd/L3/W"


def test_values_appear_as_the_cursor_reaches_them(session):
    for _ in range(4):
        snap = session.step(1)
    assert snap.address == "e0/x0/fwd/L3/Z" and snap.prediction is None
    assert snap.layers[2].activation is not None and snap.layers[3].activation is None
    snap = session.step(1)  # ŷ
    assert snap.prediction == int(np.argmax(snap.op.outputs["ŷ"]))
    assert snap.confidence == pytest.approx(float(np.max(snap.op.outputs["ŷ"])))
    snap = session.phase(True)  # to the end of the forward phase, then into backward
    snap = session.step(2)
    assert snap.address == "e0/x0/bwd/L3/dZ" and snap.layers[3].gradient is not None
    assert snap.layers[2].gradient is None


def test_the_numbers_shown_are_the_ops_computed_at_the_current_weights(session):
    run = session._run  # the data, to recompute independently
    want = example_ops(run.params, run.X[:, 0], int(run.y[0]), run.hidden, alpha=0.8)
    for op in want:
        snap = session.snapshot()
        assert snap.op.address == op.address
        for name, value in op.outputs.items():
            np.testing.assert_array_equal(snap.op.outputs[name], value)
        session.step(1)


def test_layers_and_phases_jump_to_their_first_and_last_ops(session):
    assert session.layer(1).address.endswith("fwd/L2/Z")
    assert session.layer(1).address.endswith("fwd/L3/Z")
    assert session.layer(-1).address.endswith("fwd/L2/Z")
    assert session.phase(True).address.endswith("fwd/L3/A")
    assert session.layer(1).address.endswith("/cost")
    assert session.layer(1).address.endswith("bwd/L3/dZ")
    assert session.phase(True).address.endswith("bwd/L1/db")
    assert session.phase(False).address.endswith("bwd/L3/dZ")


def test_going_back_moves_over_the_recording_and_never_recomputes(session, passes_computed):
    session.example(1)  # opens example 1: one pass computed
    session.example(1)  # and example 2
    assert len(passes_computed) == 2
    addresses = [session.edge(False).address, session.edge(True).address]
    for _ in range(30):
        addresses.append(session.move(-1).address)
    addresses.append(session.example(-1).address)
    assert len(passes_computed) == 2
    assert addresses[0] == "e0/x0/fwd/L1/Z" and addresses[1] == "e0/x2/upd/L3/b"
    assert any(a.startswith("e0/x1/") for a in addresses)


def test_an_epoch_is_recorded_and_the_example_reopens_at_the_new_weights(session, tmp_path):
    session.step(8)
    before = session.snapshot()
    session.run_epoch()
    after = session.step(0)  # the learner moves in the reopened pass: now it is recorded
    assert after.epoch == 1 and len(after.metrics) == 1
    assert after.address == "e1/x0/" + before.op.address  # same op, new weights
    assert not np.array_equal(after.op.outputs["dW3"], before.op.outputs["dW3"])
    session.close()
    with TraceReader(tmp_path / "t.nvtrace") as t:
        weights = t.weights(1)
        run = session._run
        want = example_ops(weights, run.X[:, 0], int(run.y[0]), run.hidden, alpha=0.8)
        np.testing.assert_array_equal(t.tensors(after.address)["dW3"], want[8].outputs["dW3"])
        assert t.epochs() == [1]
        assert {"/".join(s.address.split("/")[:2]) for s in t.steps("op")} == {"e0/x0", "e1/x0"}


def test_an_epoch_step_on_the_timeline_shows_that_epochs_metrics(session):
    session.run_epoch()
    session.run_epoch()
    snap = session.edge(True)
    while snap.kind != "epoch":
        snap = session.move(-1)
    assert snap.address == "e2" and snap.epoch_metrics.epoch == 2
    assert snap.epoch_metrics == snap.metrics[1]
    assert len(snap.epoch_metrics.grad_norms) == 3


def test_the_learning_rate_changes_the_next_epochs(session, tmp_path):
    session.set_alpha(0.1)
    session.run_epoch()
    assert session.snapshot().alpha == 0.1
    with pytest.raises(ValueError):
        session.set_alpha(0)
    session.close()
    with TraceReader(tmp_path / "t.nvtrace") as t:
        assert t.metrics().loc[1, "alpha"] == 0.1


def test_reset_starts_a_new_network_in_a_new_trace(session, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    first = session.snapshot()
    session.run_epoch()
    snap = session.reset(seed=7)
    assert (snap.epoch, snap.seed, snap.address) == (0, 7, "e0/x0/fwd/L1/Z")
    assert snap.trace != first.trace and snap.trace.startswith("traces/seed-")
    assert not np.array_equal(snap.op.inputs["W1"], first.op.inputs["W1"])
    assert session.reset(preset="tuned").preset == "tuned"


def test_a_reset_that_cannot_start_leaves_the_run_as_it_was(session, tmp_path, monkeypatch):
    """A new network's trace goes to ./traces; where that cannot be made (here a file named
    traces; a full disk, a read-only folder), the reset is refused in one line and the run
    goes on where it was: its network, its place, its trace, still recording."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "traces").write_text("not a folder")
    session.run_epoch()
    session.step(3)
    before = session.snapshot()
    with pytest.raises(NetvizError, match=r"^traces/seed-.*: cannot create trace"):
        session.reset(seed=7)
    after = session.snapshot()
    assert (after.address, after.seed, after.trace) == (before.address, 0, before.trace)
    assert after.op.inputs.keys() == before.op.inputs.keys()
    for name, value in before.op.inputs.items():  # the same op of the same network
        np.testing.assert_array_equal(after.op.inputs[name], value)
    session.run_epoch()  # its trainer and its trace are still there
    assert session.snapshot().epoch == 2 and session.traces == [tmp_path / "t.nvtrace"]
    with TraceReader(tmp_path / "t.nvtrace") as t:
        assert t.epochs() == [1, 2]


def test_a_full_disk_at_the_old_runs_last_checkpoint_does_not_stop_a_reset(
    session, tmp_path, monkeypatch
):
    """A reset closes the old trace with its last weights; if that write fails (a full disk),
    the old trace still ends whole at its last epoch (its weights rebuild from ΣdW), the
    session says it stopped, and the new network starts in its own trace."""
    from helpers import checkpoints_fail_from

    monkeypatch.chdir(tmp_path)
    for _ in range(3):
        session.run_epoch()
    assert session.snapshot().address == "e3/x0/fwd/L1/Z"
    after_3 = session.snapshot().op.inputs["W1"]  # Z1 = W1·x + b1 at the weights after 3
    checkpoints_fail_from(monkeypatch, 1)  # a new trace's first weights (epoch 0) still fit
    old = tmp_path / "t.nvtrace"
    snap = session.reset(seed=7)
    assert snap.seed == 7 and snap.trace.startswith("traces/seed-") and not snap.trace_failure
    assert list(session.stopped) == [old]
    session.run_epoch()  # the new run records on
    with TraceReader(old) as t:
        assert t.epochs() == [1, 2, 3]
        np.testing.assert_array_equal(t.weights(3).W[0], after_3)


def test_a_trace_that_cannot_take_its_first_weights_is_not_left_behind(tmp_path, monkeypatch):
    """A full disk right after a trace is made: one line, "cannot create trace", and no file
    without weights is left to be replayed."""
    from helpers import checkpoints_fail_from

    checkpoints_fail_from(monkeypatch, 0)
    path = tmp_path / "t.nvtrace"
    with pytest.raises(NetvizError, match=r"t\.nvtrace: cannot create trace \(database or disk"):
        Session(RunSpec(PRESETS["seed"], train_size=300, test_size=100), trace=path)
    assert list(tmp_path.iterdir()) == []


def test_stepping_answers_while_an_epoch_runs_in_another_thread(session):
    done = threading.Event()

    def epochs():
        for _ in range(3):
            session.run_epoch()
        done.set()

    worker = threading.Thread(target=epochs)
    worker.start()
    addresses = {session.step(1).address for _ in range(20)}
    worker.join()
    assert done.is_set() and len(addresses) > 1
    assert session.snapshot().epoch == 3


def test_playing_epochs_records_epochs_not_a_pass_per_epoch(session, tmp_path):
    length = session.snapshot().timeline_length
    for _ in range(5):
        session.run_epoch()
    snap = session.snapshot()
    assert snap.address == "e5/x0/fwd/L1/Z"  # the view follows the newest weights
    assert snap.timeline_length == length + 5 + 24  # 5 epochs and one pass: the newest
    session.close()
    with TraceReader(tmp_path / "t.nvtrace") as t:
        assert t.epochs() == [1, 2, 3, 4, 5]
        assert {s.epoch for s in t.steps("op")} == {0}  # only the pass the learner moved in


def test_a_learner_browsing_the_past_is_not_pulled_along_by_epochs(session):
    session.run_epoch()
    back = session.edge(False)
    session.run_epoch()
    assert session.snapshot().address == back.address == "e0/x0/fwd/L1/Z"


def test_epochs_from_two_threads_never_overlap(session):
    threads = [threading.Thread(target=session.run_epoch) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [m.epoch for m in session.snapshot().metrics] == [1, 2, 3, 4]


def test_a_new_learning_rate_shows_in_the_next_passs_update_ops(session):
    session.set_alpha(0.25)
    snap = session.example(1)
    while snap.op.phase != "upd":
        snap = session.step(1)
    np.testing.assert_array_equal(snap.op.inputs["α"], 0.25)
    first = session.example(-1)  # example 0's pass keeps the α it was computed with
    while first.op.phase != "upd":
        first = session.step(1)
    np.testing.assert_array_equal(first.op.inputs["α"], 0.8)


def test_opening_an_example_already_open_at_these_weights_revisits_it(session, passes_computed):
    session.example(1)
    session.goto_example(0)
    assert session.snapshot().address == "e0/x0/fwd/L1/Z"
    assert len(passes_computed) == 1  # example 1 only


@pytest.mark.parametrize("alpha", [float("inf"), float("nan"), 1e400, 0.0, -0.5, 1e-400])
def test_a_learning_rate_must_be_a_finite_number_above_0(session, alpha):
    """An infinite α (``1e400`` read as a float) made every weight NaN at the next epoch."""
    with pytest.raises(ValueError, match="finite number above 0"):
        session.set_alpha(alpha)
    assert session.snapshot().alpha == 0.8


def test_an_epoch_asked_for_from_an_older_pass_shows_its_example_at_the_new_weights(session):
    """``follow=True`` (the app's e): from an older pass, the same example and op at the new
    weights, exactly the numbers a pass computed at those weights has; from an epoch step,
    the new epoch step."""
    session.example(1)
    session.example(1)
    session.goto("e0/x1/bwd/L2/dZ")
    snap = session.snapshot()
    assert (snap.weights_epoch, snap.epoch) == (0, 0)
    session.run_epoch(follow=True)
    snap = session.snapshot()
    assert snap.address == "e1/x1/bwd/L2/dZ" and (snap.weights_epoch, snap.epoch) == (1, 1)
    run = session._run
    weights = session._params  # the weights after epoch 1, the network's now
    want = example_ops(weights, run.X[:, 1], int(run.y[1]), run.hidden, alpha=0.8)
    np.testing.assert_array_equal(snap.op.outputs["dZ2"], want[11].outputs["dZ2"])
    back = session.goto("e0/x1/bwd/L2/dZ")
    assert (back.weights_epoch, back.epoch) == (0, 1)  # old numbers, and the status says so
    epoch_step = session.goto("e1")
    assert (epoch_step.weights_epoch, epoch_step.epoch) == (0, 1)  # from 0 epochs to 1
    session.run_epoch(follow=True)
    assert session.snapshot().address == "e2"


def test_an_update_op_leaves_W1_meaning_the_weights_the_pass_used(session):
    """A pass's update op computes W1′ = W1 − α·dW1 and never applies it: a watch on W1 at that
    op still reads the weights the pass used (it read the unapplied W1′ before)."""
    session.add_watch("norm(W1)")
    W1 = session.snapshot().op.inputs["W1"]
    snap = session.goto("e0/x0/upd/L1/W")
    assert list(snap.op.outputs) == ["W1′"]
    assert float(snap.watches[0].shown) == pytest.approx(float(np.linalg.norm(W1)), rel=1e-5)
    assert not snap.watches[0].changed


def test_watches_on_unknown_names_are_refused_and_known_ones_wait_for_their_values(session):
    with pytest.raises(ValueError, match=r"no step has W9; the names are: .*dW1"):
        session.add_watch("W9[0, 0]")
    session.add_watch("norm(dW1)")
    session.add_watch("mean(x)")
    first, always = session.snapshot().watches
    assert (first.shown, first.pending, first.error, first.changed) == (
        "not computed yet", True, False, False)  # fmt: skip
    assert not always.pending and not always.error
    snap = session.goto("e0/x0/bwd/L1/dW")
    assert not snap.watches[0].pending and not snap.watches[0].changed
    want = float(np.linalg.norm(snap.op.outputs["dW1"]))
    assert float(snap.watches[0].shown) == pytest.approx(want, rel=1e-5)
    session.run_epoch()
    epoch_step = session.goto("e1")
    assert epoch_step.watches[0].shown == "not kept for an epoch step"
    assert epoch_step.watches[0].pending and not epoch_step.watches[1].pending


def test_the_prediction_of_a_pass_is_known_before_the_cursor_reaches_it(session):
    """What m says: the pass's guess, while the digit view still waits for the cursor."""
    assert session.snapshot().prediction is None  # the digit view waits for ŷ
    yhat = session.goto("e0/x0/fwd/L3/A").op.outputs["ŷ"]
    session.goto("e0/x0/fwd/L1/Z")
    assert session.predicted() == int(np.argmax(yhat))
    session.run_epoch()
    assert session.goto("e1").kind == "epoch" and session.predicted() is None


def test_a_tour_that_ran_epochs_records_its_final_weights_figures(session, tmp_path):
    """trace info shows a tour's final figures as netviz train's: at the weights after the last
    update, computed here independently with a plain forward pass."""
    from netviz.core.network import costs, forward

    session.run_epoch()
    session.run_epoch()
    session.close()
    run = session._run
    with TraceReader(tmp_path / "t.nvtrace") as t:
        final, weights = t.final(), t.weights(2)
    L = len(weights.W)
    out = forward(weights, run.X, run.hidden)
    train = float(np.mean(out[f"A{L}"].argmax(axis=0) == run.y))
    test_out = forward(weights, run.X_test, run.hidden)[f"A{L}"]
    assert final is not None and final.epoch == 2
    assert final.train_accuracy == train
    assert final.test_accuracy == float(np.mean(test_out.argmax(axis=0) == run.y_test))
    assert final.cost == pytest.approx(float(costs(out[f"Z{L}"], run.y).mean()), rel=1e-9)


def test_a_tour_without_epochs_records_no_final_figures(session, tmp_path):
    session.close()
    with TraceReader(tmp_path / "t.nvtrace") as t:
        assert t.final() is None


@pytest.mark.parametrize(
    "target", ["²", "9" * 5_000, "e" + "9" * 5_000, "x١٢"], ids=["superscript", "5k-digits",
                                                              "5k-digit-epoch", "arabic-digits"]
)  # fmt: skip
def test_go_to_refuses_odd_numbers_in_plain_words(session, target):
    """A second read: ':' then '²' said "invalid literal for int() with base 10", and 5,000
    digits gave Python's advice about sys.set_int_max_str_digits."""
    with pytest.raises(ValueError) as refused:
        session.goto(target)
    message = str(refused.value)
    assert "go to an address" in message and "int()" not in message
    assert "set_int_max_str_digits" not in message and len(message) < 200


def test_a_full_disk_stops_the_recording_and_the_session_goes_on(tmp_path, monkeypatch):
    """The trace's disk fills while the learner trains: the session keeps computing epochs and
    passes, unrecorded; every snapshot says why in ``trace_failure``; the trace holds the
    epochs before it, whole, and still replays."""
    from helpers import disk_fills_after

    from netviz.session.replay import Replay

    disk_fills_after(monkeypatch, 600)
    path = tmp_path / "t.nvtrace"
    with Session(RunSpec(PRESETS["seed"], train_size=300, test_size=100), trace=path) as s:
        epochs = 0
        while not s.snapshot().trace_failure and epochs < 200:
            s.run_epoch()
            epochs += 1
        failure = s.snapshot().trace_failure
        assert failure.startswith(f"{path}: cannot write to the trace") and epochs < 200
        for _ in range(3):
            s.run_epoch()
        s.step(5)  # a new pass at the new weights: computed, not recorded
        assert s.snapshot().epoch == epochs + 3 and s.snapshot().trace_failure == failure
        assert s.stopped == {path: failure}  # what netviz tour says of it when it ends
        with pytest.raises(NetvizError, match=r"the recording stopped before it \(cannot write\)"):
            s.export_view(folder=tmp_path)
        assert s.export_view(f"e{epochs - 1}", tmp_path).is_file()  # what it holds still draws
    with TraceReader(path) as t:
        assert t.epochs() == list(range(1, epochs))
    with Replay(path) as replay:
        assert replay.goto(f"e{epochs - 1}").epoch == epochs - 1
