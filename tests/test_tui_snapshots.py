"""Snapshots of the tour's main screens (pytest-textual-snapshot).

After a deliberate change, read the report's diff, then update with ``--snapshot-update``.
"""

from __future__ import annotations

import pytest

from netviz.core.presets import PRESETS
from netviz.session.live import Session
from netviz.training.run import RunSpec
from netviz.tui.app import create_app

SIZE = (120, 40)


@pytest.fixture
def app(tmp_path, monkeypatch):
    """The tour over the seed network on 300 sample digits, seed 0; the trace has the same
    relative name in every run, so the status bar reads the same."""
    monkeypatch.chdir(tmp_path)
    with Session(RunSpec(PRESETS["seed"], train_size=300, test_size=100), trace="t.nvtrace") as s:
        yield create_app(s)


async def run_epochs(pilot, epochs: int = 3) -> None:
    for _ in range(epochs):
        await pilot.press("e")
        await pilot.app.workers.wait_for_complete()


class TestTourScreens:
    """The tour's screens at 120×40, and the smallest supported terminal, 80×24."""

    def test_first_op(self, snap_compare, app):
        """Z1 = W1·x + b1: no activation computed yet, so every neuron shows a dot."""
        assert snap_compare(app, terminal_size=SIZE)

    def test_mid_forward(self, snap_compare, app):
        """A2 = σ(Z2): layers 1 and 2 lit, the output still to come."""
        assert snap_compare(app, press=["s"] * 3, terminal_size=SIZE)

    def test_mid_backward(self, snap_compare, app):
        """dZ2 = A2(1−A2)⊙dA2: gradients coloured by sign; layer 1's still dots."""
        assert snap_compare(app, press=["r", "s", "s", "n"], terminal_size=SIZE)

    def test_after_three_epochs(self, snap_compare, app):
        """Charts of cost, accuracy and gradient norms; the example reopened at epoch 3."""
        assert snap_compare(app, run_before=run_epochs, terminal_size=SIZE)

    def test_help(self, snap_compare, app):
        """Every binding and what the colours mean, over the tour."""
        assert snap_compare(app, press=["question_mark"], terminal_size=SIZE)

    def test_small_terminal(self, snap_compare, app):
        """80×24: no digit picture or charts; the label and guess on the network's border."""
        assert snap_compare(app, press=["s"] * 8, terminal_size=(80, 24))

    def test_breakpoint_hit(self, snap_compare, app):
        """c ran an epoch and stopped at e1 where `vanish L1 < 1` fired: the reason in the
        inspector and the status bar, layer 1 highlighted in red. (An epoch condition: a `sat`
        hit stops on layer 1's activations, whose tiny entries, real as they are, would pin
        digits this screen need not show; Pilot tests cover that hit.)"""

        async def break_and_continue(pilot) -> None:
            pilot.app.session.add_breakpoint("vanish L1 < 1")
            await pilot.press("c")
            await pilot.app.workers.wait_for_complete()
            await pilot.pause()

        assert snap_compare(app, run_before=break_and_continue, terminal_size=SIZE)

    def test_chain_rule_card(self, snap_compare, app):
        """dW2[2, 3] = dZ2[2]·A1[3], selected with k and the arrows: each factor with its
        number, the entry, dZ2[2] one step down; the factors' neurons marked ◂."""
        keys = ["r", "s", "s", "n", "s", "k", "down", "down", "right", "right", "right"]
        assert snap_compare(app, press=keys, terminal_size=SIZE)


async def backprop_after_three_epochs(pilot) -> None:
    """Three epochs, then example 0 to dZ2 (r finishes the forward pass)."""
    await run_epochs(pilot)
    for key in "r", "s", "s", "n":
        await pilot.press(key)
    await pilot.pause()


@pytest.fixture
def tanh_app(tmp_path, monkeypatch):
    """The seed recipe with tanh hidden layers, on the same digits."""
    monkeypatch.chdir(tmp_path)
    spec = RunSpec(PRESETS["seed"].with_(activation="tanh"), train_size=300, test_size=100)
    with Session(spec, trace="t.nvtrace") as s:
        yield create_app(s)


class TestSizes:
    """The same moments at 80×24, 120×40 and 200×50: nothing cut, the extra room used."""

    @pytest.mark.parametrize(
        "size", [(80, 24), (120, 40), (200, 50)], ids=["80x24", "120x40", "200x50"]
    )
    def test_backprop_after_three_epochs(self, snap_compare, app, size):
        """dZ2 after 3 epochs. 80×24: network and inspector, the footer's secondary keys left
        out; 120×40: the picture, charts with axes, network, inspector; 200×50: larger charts,
        each neuron's value beside its cell."""
        assert snap_compare(app, run_before=backprop_after_three_epochs, terminal_size=size)

    @pytest.mark.parametrize("size", [(80, 24), (200, 50)], ids=["80x24", "200x50"])
    def test_help(self, snap_compare, app, size):
        """80×24: the keys, then (scrolling) the colour legend; 200×50: side by side, whole."""
        assert snap_compare(app, press=["question_mark"], terminal_size=size)

    def test_tanh_slope_overlay(self, snap_compare, tanh_app):
        """o over a tanh network at A2: the heading and legend say tanh′(Z) = 1−A², 0 → 1."""

        async def overlay(pilot) -> None:
            await pilot.press("s", "s", "s", "o")
            pilot.app.clear_notifications()  # the toast says it too; its timing is not pinned
            await pilot.pause()

        assert snap_compare(tanh_app, run_before=overlay, terminal_size=SIZE)


@pytest.fixture
def replay_app(tmp_path, monkeypatch):
    """The app over a saved trace: example 0 stepped through, then 3 epochs (the trace has the
    same relative name in every run, so the status bar reads the same)."""
    from netviz.session.replay import Replay

    monkeypatch.chdir(tmp_path)
    spec = RunSpec(PRESETS["seed"], train_size=300, test_size=100)
    with Session(spec, trace="saved.nvtrace") as live:
        live.phase(True)
        for _ in range(3):
            live.run_epoch()
    with Replay("saved.nvtrace") as replay:
        yield create_app(replay)


class TestReplayScreens:
    """A saved trace replayed at 120×40."""

    def test_epoch_with_a_watched_example(self, snap_compare, replay_app):
        """e2: watched example x1 as epoch 2 computed it; the scrubber at epoch 2 of 3; the
        footer's computing keys dimmed; 'replay (read-only)' in the run line."""
        keys = ["G", "less_than_sign", "right_square_bracket"]
        assert snap_compare(replay_app, press=keys, terminal_size=SIZE)


def test_check_trace_diff_view(snap_compare, tmp_path, monkeypatch):
    """A check trace replayed at 120×40 opens at its first difference, dZ2: the verdict (1 of
    16 entries differ), theirs, the reference and the difference in three columns, entry 3
    marked ◆; the differs breakpoint's hit above it."""
    from test_check_replay import write_check_trace

    from netviz.session.replay import Replay

    monkeypatch.chdir(tmp_path)
    write_check_trace("check.nvtrace")
    with Replay("check.nvtrace") as replay:
        assert snap_compare(create_app(replay), terminal_size=SIZE)


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
def test_forward_card(snap_compare, app, size):
    """k at Z1 = W1·x + b1, entry 2: its largest terms W1[2, i]·x[i] with the two numbers each
    multiplies, the rest summed, the black pixels' terms counted, the bias, the sum ✓."""
    assert snap_compare(app, press=["k", "down", "down"], terminal_size=size)


@pytest.fixture
def lesson_app(tmp_path, monkeypatch):
    """Lesson chain-rule over the same run as the tour's snapshots."""
    from netviz.lessons.format import find, load
    from netviz.tui.lesson import LessonApp

    monkeypatch.chdir(tmp_path)
    with Session(RunSpec(PRESETS["seed"], train_size=300, test_size=100), trace="t.nvtrace") as s:
        yield LessonApp(s, load(find("chain-rule")))


class TestLesson:
    """A lesson's question and its feedback, at 80×24 and 120×40."""

    SIZES = pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])

    @SIZES
    def test_question(self, snap_compare, lesson_app, size):
        """Stop 2 asks dZ2[3] one op before it is made (at dA2), the numbers it needs given;
        the answer box has the focus."""
        assert snap_compare(lesson_app, press=["l"], terminal_size=size)

    @SIZES
    def test_feedback(self, snap_compare, lesson_app, size):
        """dA2[3] typed for dZ2[3]: the feedback above the stop's text, each factor with what
        yours needs it to be, and the slip named (the slope left out); the tour at dZ2."""

        async def answer_without_the_slope(pilot) -> None:
            from textual.widgets import Input

            await pilot.press("l")
            dA = float(pilot.app.session.arrays()["dA2"][3, 0])
            pilot.app.query_one("#lesson-answer", Input).value = f"{dA:.4g}"
            await pilot.press("enter")
            await pilot.pause()

        assert snap_compare(lesson_app, run_before=answer_without_the_slope, terminal_size=size)
