"""A learner's own digit in the session: a pass on its pixels at the current weights, numbered
after the training examples and never trained on; without a label, backprop uses the guess and
every screen says so; kept in the trace and replayed."""

from __future__ import annotations

import numpy as np
import pytest

from netviz.core.presets import PRESETS
from netviz.session.live import Session
from netviz.session.replay import Replay
from netviz.training.run import RunSpec

SPEC = RunSpec(PRESETS["tuned"], train_size=300, test_size=100)  # pixels scaled by 1/255


@pytest.fixture
def session(tmp_path):
    with Session(SPEC, trace=tmp_path / "own.nvtrace") as s:
        yield s


def a_digit(session) -> np.ndarray:
    """A made digit: example 7's strokes shifted two pixels right (not a training row)."""
    image = session._run.train.images[7].reshape(28, 28)
    return np.roll(image, 2, axis=1).reshape(-1)


def test_an_own_digit_is_a_pass_on_its_pixels_at_the_current_weights(session):
    pixels = a_digit(session)
    snap = session.own_digit(pixels, label=3, source="my3.png")
    assert snap.address == "e0/x300/fwd/L1/Z" and snap.example == 300
    assert (snap.source, snap.label, snap.labelled) == ("my3.png", 3, True)
    W1, b1 = session._params.W[0], session._params.b[0]
    x = pixels.astype(float) / 255  # the tuned preset scales pixels, as for its examples
    z1 = sum(W1[:, i] * x[i] for i in range(784)) + b1  # a loop, not the session's product
    assert np.allclose(snap.op.outputs["Z1"][:, 0], z1, rtol=1e-12, atol=1e-12)
    session.goto("e0/x300/bwd/L3/dZ")  # dZ3 = ŷ − y, with y its label
    y = np.zeros(10)
    y[3] = 1
    dz3 = session.arrays()["dZ3"][:, 0]
    assert np.allclose(dz3, session.arrays()["ŷ"][:, 0] - y)


def test_without_a_label_backprop_uses_the_guess_and_says_so(session, tmp_path):
    pixels = a_digit(session)
    snap = session.own_digit(pixels)
    session.phase(True)
    guess = session.snapshot().prediction
    assert not snap.labelled and snap.label == guess and snap.label_text == "label ?"
    assert snap.source == "your digit"
    session.close()
    with Replay(tmp_path / "own.nvtrace") as replay:  # stored without a label
        replay.goto("e0/x300")
        shown = replay.snapshot()
        assert not shown.labelled and shown.source and np.array_equal(shown.pixels, pixels)


def test_a_replay_names_each_own_digit_as_the_tour_did(session, tmp_path):
    """An image by its file's name, a drawing as a drawing: the trace keeps what each was."""
    session.own_digit(a_digit(session), label=3, source="my3.png")
    session.own_digit(a_digit(session)[::-1].copy(), label=5, source="your drawing")
    session.close()
    with Replay(tmp_path / "own.nvtrace") as replay:
        for example, name in ((300, "my3.png"), (301, "your drawing")):
            replay.goto(f"e0/x{example}")
            assert replay.snapshot().source == name


def test_a_trace_without_names_replays_its_own_digits_generically(session, tmp_path):
    """An older trace (or one whose record of the names is damaged): still named as a digit of
    the learner's own, never as a training example."""
    import sqlite3

    session.own_digit(a_digit(session), label=3, source="my3.png")
    session.close()
    path = tmp_path / "own.nvtrace"
    for damaged in (None, '"not a table"', '{"300": 7}'):
        with sqlite3.connect(path) as db:
            if damaged is None:
                db.execute("DELETE FROM meta WHERE key = 'own_digits'")
            else:
                db.execute("INSERT OR REPLACE INTO meta VALUES ('own_digits', ?)", (damaged,))
        with Replay(path) as replay:
            replay.goto("e0/x300")
            assert replay.snapshot().source == "a digit of the learner's own"


def test_an_epoch_never_trains_on_it_and_reopens_it_at_the_new_weights(session, tmp_path):
    plain = Session(SPEC, trace=tmp_path / "plain.nvtrace")
    session.own_digit(a_digit(session), label=1)
    session.run_epoch()
    plain.run_epoch()
    for mine, theirs in zip(session._params.W, plain._params.W, strict=True):
        assert np.array_equal(mine, theirs)  # the same epoch as without the own digit
    plain.close()
    assert session.snapshot().address.startswith("e1/x300/")
    session.example(1)  # after an own digit, the training examples again, from 0
    assert session.snapshot().address.startswith("e1/x0/")


@pytest.mark.parametrize(
    ("pixels", "label", "message"),
    [(np.zeros(100), None, "100 pixels"), (np.zeros(784), 10, "label 10")],
)
def test_a_digit_the_network_cannot_take_is_refused(session, pixels, label, message):
    with pytest.raises(ValueError, match=message):
        session.own_digit(pixels, label)


def test_without_a_label_each_pass_uses_the_guess_at_its_own_weights(session, tmp_path):
    """The guess moves as the network trains: backprop's y follows it, and i's gradient (from
    the pass's own y, live or replayed) is the one the pass recorded, W1ᵀ·dZ1."""
    image = session._run.train.images
    pixels = ((image[0].astype(int) + image[1]) // 2).astype(np.uint8)  # a blend of a 5 and a 0
    session.own_digit(pixels)
    for _ in range(6):
        session.run_epoch()
        session.goto(f"e{session.snapshot().epoch}/x300/bwd/L1/dZ")
        values = session.arrays()
        guess = int(np.argmax(values["ŷ"][:, 0]))
        assert int(np.argmax(values["y"][:, 0])) == guess == session.snapshot().label
        W1 = session._passes[-1].ops[0].inputs["W1"]
        recorded = (W1.T @ values["dZ1"]).reshape(-1)
        assert np.allclose(session.input_gradient()[0], recorded, rtol=1e-9, atol=1e-15)
    where = session.snapshot().address
    session.close()
    with Replay(tmp_path / "own.nvtrace") as replay:
        replay.goto(where)
        assert np.allclose(replay.input_gradient()[0], recorded, rtol=1e-9, atol=1e-15)
