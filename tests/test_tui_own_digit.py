"""The learner's own digit in the tour, used as a person does with Textual's Pilot: d draws
one (mouse or keys) while the network follows, Enter steps it through the ops, and i shows
which pixels move the guess, checked against the core's gradient computed apart."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import pilot_test, screen_text

from netviz.core.network import as_inputs, forward
from netviz.core.presets import PRESETS
from netviz.core.saliency import input_gradient
from netviz.debug.passes import pass_weights
from netviz.session.live import Session
from netviz.training.run import RunSpec
from netviz.tui.app import create_app
from netviz.tui.canvas import Canvas
from netviz.tui.digit import BLUE, RED, gradient_colours

SPEC = RunSpec(PRESETS["tuned"], train_size=300, test_size=100)
LEFT = 1  # Textual's left mouse button


@pytest.fixture
def session(tmp_path):
    with Session(SPEC, trace=tmp_path / "t.nvtrace") as s:
        yield s


def network_guess(session, pixels: np.ndarray) -> tuple[int, np.ndarray]:
    """ŷ of ``pixels`` at the session's weights, by the core alone."""
    x = as_inputs(np.asarray(pixels, dtype=np.uint8)[None, :], np.float64, True)
    yhat = forward(session._params, x, session._run.hidden)["A3"][:, 0]
    return int(np.argmax(yhat)), yhat


@pilot_test
async def test_d_draws_with_the_mouse_and_the_network_follows(session):
    app = create_app(session)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("d")
        await pilot.pause()
        canvas = app.query_one(Canvas)
        assert canvas.has_focus
        canvas.clear()
        await pilot.pause()
        guesses = []
        for stroke in ([(14, 2), (14, 6), (14, 10)], [(8, 3), (20, 3)], [(8, 10), (20, 10)]):
            await pilot.mouse_down(canvas, offset=stroke[0], button=LEFT)
            for cell in stroke[1:-1]:
                await pilot.hover(canvas, offset=cell)
            await pilot.mouse_up(canvas, offset=stroke[-1])
            await pilot.pause()
            shown = app.snapshot
            assert shown.kind == "preview" and np.array_equal(shown.pixels, canvas.pixels)
            guess, yhat = network_guess(session, canvas.pixels)
            assert shown.prediction == guess
            assert np.allclose(shown.layers[-1].activation, yhat, rtol=1e-12, atol=0)
            guesses.append(yhat)
        assert not np.allclose(guesses[0], guesses[-1])  # each stroke changed what it sees
        assert "your drawing" in screen_text(app) and "forward pass only" in screen_text(app)
        assert f"guess {app.snapshot.prediction} (" in screen_text(app)  # whole, in 28 columns
        drawn = canvas.pixels.copy()
        await pilot.press("enter")  # now a pass to step through, like an example
        await pilot.pause()
        snap = app.snapshot
        assert snap.address == "e0/x300/fwd/L1/Z" and snap.source == "your drawing"
        assert np.array_equal(snap.pixels, drawn) and not app.query(Canvas)


@pilot_test
async def test_d_draws_with_the_keys_and_a_move_leaves_the_drawing(session):
    app = create_app(session)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("d")
        await pilot.pause()
        assert app.query_one("#left").display  # 80×24: the input panel in the inspector's place
        assert not app.inspector.display or not app.inspector.region.width
        canvas = app.query_one(Canvas)
        canvas.clear()
        await pilot.press("space", "down", "space", "down", "space")
        await pilot.pause()
        column = canvas.pixels.reshape(28, 28)
        row, col = canvas.cursor
        assert column[row, col] == 255 and column[row - 2, col] == 255  # a line of 3 dots
        assert app.snapshot.kind == "preview"
        await pilot.press("s")  # a tour key: back to the pass, the drawing put away
        await pilot.pause()
        assert not app.query(Canvas) and app.snapshot.kind == "op"


@pilot_test
async def test_i_shows_the_gradient_of_the_cost_with_respect_to_the_pixels(session):
    app = create_app(session)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("r", "i")
        await pilot.pause()
        grad, epoch = app.digit.gradient
        ops = session._passes[-1].ops
        want = input_gradient(pass_weights(ops), ops[0].inputs["x"], session._run.hidden, 5)
        assert session.snapshot().label == 5 and epoch == 0
        assert np.allclose(grad, want.reshape(-1), rtol=1e-12, atol=0)
        text = screen_text(app)
        assert "dC/dx · initial weights" in text and "red↑ blue↓ cost" in text
        await pilot.press("i")
        await pilot.pause()
        assert app.digit.gradient is None and "label 5" in screen_text(app)


def test_the_map_is_red_where_a_brighter_pixel_raises_the_cost_and_blue_where_it_lowers():
    grad = np.zeros(784)
    grad[10], grad[20], grad[30] = 2.0, -2.0, 1.0
    pixels = np.zeros(784)
    pixels[40] = 255
    rgb = gradient_colours(grad, pixels)
    assert np.array_equal(rgb[10], RED) and np.array_equal(rgb[20], BLUE)
    assert rgb[30][0] > rgb[30][2] and not np.array_equal(rgb[30], RED)  # half as strong
    assert rgb[40][0] == rgb[40][1] == rgb[40][2] > rgb[0][0]  # the ink, faint grey


@pilot_test
async def test_a_replay_refuses_to_draw(session, tmp_path):
    from netviz.session.replay import Replay

    session.close()
    with Replay(tmp_path / "t.nvtrace") as replay:
        app = create_app(replay)
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.press("d")
            await pilot.pause()
            assert not app.query(Canvas)


# --- f: a fork of the run, beside it -------------------------------------------------------------


@pilot_test
async def test_f_forks_the_run_and_both_train_on_side_by_side(session):
    """Fork at e1 with α 1: each e then trains both; the charts draw the fork's curve from
    where it forked; the inspector shows the fork's values of the op beside this run's, the
    ones a fork computed apart (netviz train --from's machinery) gives."""
    from netviz.tui.palette import Ask

    app = create_app(session)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("e")
        await app.workers.wait_for_complete()
        await pilot.press("f")
        await pilot.pause()
        assert isinstance(app.screen, Ask)
        app.screen.query_one("Input").value = "1"
        await pilot.press("enter")
        await pilot.pause()
        fork = app.fork_run
        assert fork is not None and fork.snapshot().alpha == 1 and fork.snapshot().epoch == 1
        for _ in range(2):
            await pilot.press("e")
            await app.workers.wait_for_complete()
        await pilot.pause()
        assert [m.epoch for m in fork.snapshot().metrics] == [2, 3]
        assert [m.epoch for m in session.snapshot().metrics] == [1, 2, 3]
        name, metrics = app.charts.fork
        assert name == "fork α 1" and metrics[-1].epoch == 3
        assert f"fork α 1 {metrics[-1].cost:.4g}"[:12] in screen_text(app)
        # the inspector: the op shown, in both runs (e3 weights each)
        shown = app.inspector.snapshot
        assert shown.address.startswith("e3/") and shown.beside == "fork α 1"
        mine = shown.op.outputs
        theirs = fork.snapshot().op.outputs
        assert shown.address == fork.snapshot().address
        name = next(iter(mine))
        assert np.array_equal(shown.theirs[name], theirs[name])
        assert not np.array_equal(theirs[name], mine[name])  # another α, other weights
        assert "fork α 1 vs this run" in screen_text(app)
        await pilot.press("f")  # one fork at a time
        await pilot.pause()
        assert app.fork_run is fork
    assert fork.trace_path is None  # closed with the app, its trace finished


@pilot_test
async def test_a_new_network_ends_the_fork(session, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the new network's trace goes to traces/ here
    app = create_app(session)
    async with app.run_test(size=(120, 40)) as pilot:
        app.start_fork(1.0)
        fork = app.fork_run
        app.reset_network()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.fork_run is None and app.charts.fork is None and fork.trace_path is None
        await pilot.press("e")  # only the new network trains
        await app.workers.wait_for_complete()
        assert app.fork_trace is not None  # still said on quit


@pilot_test
async def test_c_keeps_the_fork_beside_the_run_to_the_epoch_it_stops_at(session):
    session.add_breakpoint("acc >= 0%")  # fires at the first epoch
    app = create_app(session)
    async with app.run_test(size=(120, 40)) as pilot:
        app.start_fork(1.0)
        await pilot.press("c")
        await app.workers.wait_for_complete()
        await pilot.pause()
        mine = [m.epoch for m in session.snapshot().metrics]
        assert mine and [m.epoch for m in app.fork_run.snapshot().metrics] == mine
