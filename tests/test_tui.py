"""The tour app under Pilot: every binding drives the session as its Session call does, and the
screen shows the current op's equation, address and the very numbers the op computed."""

from __future__ import annotations

import re
import time
from collections.abc import Callable

import numpy as np
import pytest
from helpers import pilot_test, screen_text
from textual import events

from netviz.core.presets import PRESETS
from netviz.session.live import Session
from netviz.session.snapshot import Snapshot
from netviz.training.run import RunSpec
from netviz.tui.app import EpochDone, NetvizApp, create_app
from netviz.tui.charts import EMPTY
from netviz.tui.help import HelpScreen
from netviz.tui.inspector import NumbersView, fmt
from netviz.tui.network import CELL, MISSING, LayerColumn
from netviz.tui.palette import Ask, Confirm, commands

SIZE = (120, 40)
SPEC = RunSpec(PRESETS["seed"], train_size=300, test_size=100)


@pytest.fixture
def session(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # a reset writes its new trace under ./traces
    with Session(SPEC, trace=tmp_path / "t.nvtrace") as s:
        yield s


@pytest.fixture
def twin(tmp_path):
    """A second session of the same run: the reference each key is checked against."""
    with Session(SPEC, trace=tmp_path / "twin.nvtrace") as s:
        yield s


def numbers_lines(app: NetvizApp) -> list[str]:
    return app.inspector.query_one(NumbersView).plain.splitlines()


def block(lines: list[str], heading: str) -> list[str]:
    """The lines of one array's block: from its heading to the next blank line."""
    start = next(i for i, line in enumerate(lines) if line.startswith(heading + " ("))
    end = next((i for i in range(start, len(lines)) if not lines[i].strip()), len(lines))
    return lines[start:end]


def assert_block_shows(lines: list[str], heading: str, a: np.ndarray) -> None:
    """The block lists the array's values, formatted as the inspector formats them."""
    shown = block(lines, heading)
    shape = "(scalar)" if a.ndim == 0 else str(a.shape)  # numpy's () reads as nothing
    assert shown[0].startswith(f"{heading} {shape}")
    if a.ndim == 0:
        assert shown[0].endswith(f"= {fmt(float(a))}")
        return
    words = shown[1].split()
    assert words[:2] == ["min", fmt(a.min())] and words[4:6] == ["max", fmt(a.max())]
    mean = float(np.mean(a, dtype=np.float64))  # a mean 0 in theory may read 0 (noise)
    assert words[3] == fmt(mean) or (words[3] == "0" and abs(mean) < 1e-12 * np.abs(a).max())
    rows = shown[2:]
    if a.ndim == 1 or 1 in a.shape:
        v = a.ravel()
        if v.size <= 64:  # entry by entry: index, value, bar
            assert [r.split()[:2] for r in rows] == [[str(i), fmt(x)] for i, x in enumerate(v)]
        else:  # several a line, headed by the first entry's index
            values = [x for r in rows for x in r.split()[1:]]
            assert values == [fmt(x) for x in v]
        return
    for r, row in enumerate(x for x in rows if x.strip().startswith("row")):
        words = row.split()
        values = [w for w in words[2:] if not w.startswith("…")]
        assert words[:2] == ["row", str(r)]
        assert values == [fmt(x) for x in a[r, : len(values)]]


def assert_shows_op(app: NetvizApp, snapshot: Snapshot) -> None:
    """Equation, shapes, address and every array of the op on screen, numbers exact."""
    text = screen_text(app)
    assert snapshot.address in text
    op = snapshot.op
    assert op is not None
    assert op.equation in text and op.shapes in text
    lines = numbers_lines(app)
    for name, a in op.outputs.items():
        assert_block_shows(lines, f"result {name}", np.asarray(a))
    for name, a in op.inputs.items():
        suffix = " (before)" if name in op.outputs else ""
        assert_block_shows(lines, f"input {name}{suffix}", np.asarray(a))
    view = app.inspector.query_one(NumbersView)
    for line in lines[: view.size.height]:  # the lines in view are on the screen
        assert line[: view.size.width].rstrip() in text


@pilot_test
async def test_opens_at_the_first_op_with_its_equation_address_and_numbers(session):
    app = create_app(session)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        snapshot = app.snapshot
        assert snapshot.address == "e0/x0/fwd/L1/Z" == session.snapshot().address
        assert_shows_op(app, snapshot)
        text = screen_text(app)
        assert "prediction: not computed yet" in text
        assert EMPTY in text
        assert "step 1/24" in text and "t.nvtrace" in text


@pilot_test
async def test_every_op_of_a_pass_shows_its_own_numbers(session):
    app = create_app(session)
    async with app.run_test(size=SIZE) as pilot:
        for k in range(session.snapshot().ops_in_pass):
            await pilot.pause()
            assert app.snapshot.op_index == k
            assert_shows_op(app, app.snapshot)
            await pilot.press("s")


@pilot_test
async def test_arrow_and_page_keys_scroll_the_numbers(session):
    app = create_app(session)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        view = app.inspector.query_one(NumbersView)
        assert len(view.lines) > view.size.height  # Z1, W1, x and b1 do not fit
        await pilot.press("down", "down")
        assert view.top == 2
        await pilot.press("pagedown")
        assert view.top == 2 + view.size.height - 1
        await pilot.press("up", "up", "pageup")
        assert view.top == 0
        await pilot.press(*["pagedown"] * 20)
        assert view.top == len(view.lines) - view.size.height  # stops at the last line
        await pilot.pause()
        assert view.lines[-1].plain.rstrip()[: view.size.width] in screen_text(app)
        assert f"of {len(view.lines)}" in app.inspector.border_subtitle


STEPPING: list[tuple[str, Callable[[Session], Snapshot]]] = [
    ("s", lambda s: s.step(1)),
    ("s", lambda s: s.step(1)),
    ("S", lambda s: s.step(-1)),
    ("n", lambda s: s.layer(1)),
    ("n", lambda s: s.layer(1)),
    ("N", lambda s: s.layer(-1)),
    ("r", lambda s: s.phase(True)),
    ("s", lambda s: s.step(1)),
    ("n", lambda s: s.layer(1)),
    ("r", lambda s: s.phase(True)),
    ("R", lambda s: s.phase(False)),
    ("right_square_bracket", lambda s: s.example(1)),
    ("s", lambda s: s.step(1)),
    ("left_square_bracket", lambda s: s.example(-1)),
    ("right_square_bracket", lambda s: s.example(1)),
    ("right_square_bracket", lambda s: s.example(1)),
    ("g", lambda s: s.edge(False)),
    ("right", lambda s: s.move(1)),
    ("right", lambda s: s.move(1)),
    ("left", lambda s: s.move(-1)),
    ("G", lambda s: s.edge(True)),
    ("left", lambda s: s.move(-1)),
]


@pilot_test
async def test_stepping_keys_move_as_their_session_calls_do(session, twin):
    app = create_app(session)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        for n, (key, call) in enumerate(STEPPING):
            await pilot.press(key)
            await pilot.pause()
            expected = call(twin)
            where = f"key {n} {key!r}"
            assert app.snapshot.address == expected.address, where
            assert session.snapshot().address == expected.address, where
            assert app.snapshot.cursor == expected.cursor, where
            assert_shows_op(app, app.snapshot)
        assert {key for key, _ in STEPPING} >= {"s", "S", "n", "N", "r", "R", "g", "G"}


def cells(app: NetvizApp) -> list[str]:
    """Each layer column as it renders (dots for values not computed yet)."""
    return [column.render().plain for column in app.network.query(LayerColumn)]


@pilot_test
async def test_the_network_shows_not_computed_apart_from_computed(session):
    app = create_app(session)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        x, l1, l2, out = cells(app)  # at Z1: no activation computed yet
        assert "784" in x and "inputs" in x
        assert (l1.count(MISSING), l2.count(MISSING), out.count(MISSING)) == (16, 16, 10)
        await pilot.press("s")  # A1
        await pilot.pause()
        x, l1, l2, out = cells(app)
        assert (l1.count(CELL), l1.count(MISSING), l2.count(MISSING)) == (16, 0, 16)
        await pilot.press("r")  # ŷ: every activation, the guess marked
        await pilot.pause()
        assert all(MISSING not in column for column in cells(app))
        assert f"{app.snapshot.prediction}◂" in cells(app)[3]
        assert app.network.query_one("LayerColumn.-active-layer", LayerColumn).index == 3
        await pilot.press("s", "s")  # bwd/L3/dZ: gradients; dZ2 and dZ1 still to come
        await pilot.pause()
        x, l1, l2, out = cells(app)
        assert app.snapshot.address.endswith("bwd/L3/dZ")
        assert (l1.count(MISSING), l2.count(MISSING), out.count(CELL)) == (16, 16, 10)
        assert "gradients dZ" in screen_text(app)


@pilot_test
async def test_a_full_disk_is_told_once_and_the_tour_trains_on(tmp_path, monkeypatch):
    """The trace's disk fills after a few epochs of e: one error toast names the file and says
    the run goes on unrecorded; the run line says the recording stopped; e still trains."""
    from helpers import disk_fills_after

    monkeypatch.chdir(tmp_path)
    disk_fills_after(monkeypatch, 600)
    with Session(SPEC, trace=tmp_path / "t.nvtrace") as session:
        app = create_app(session)
        async with app.run_test(size=SIZE) as pilot:
            for _ in range(200):
                await pilot.press("e")
                await app.workers.wait_for_complete()
                await pilot.pause()
                if app.snapshot.trace_failure:
                    break
            told = [n.message for n in app._notifications if "cannot write" in n.message]
            assert told == [f"{app.snapshot.trace_failure}. The run goes on here, no longer "
                            "recorded."]  # fmt: skip
            stopped = app.snapshot.epoch
            for _ in range(2):
                await pilot.press("e")
                await app.workers.wait_for_complete()
                await pilot.pause()
            assert app.snapshot.epoch == stopped + 2
            assert len([n for n in app._notifications if "cannot write" in n.message]) == 1
            # the file's name is kept, cut from the left, and the words after it
            assert "/t.nvtrace (recording stopped: cannot write)" in screen_text(app)


@pilot_test
async def test_a_forks_full_disk_is_told_and_kept_for_the_last_line(tmp_path, monkeypatch):
    """A fork's trace fills too: its own toast, once, and when the fork ends (a reset, or q)
    its failure is kept beside its trace for the tour's last line."""
    from helpers import disk_fills_after

    monkeypatch.chdir(tmp_path)
    disk_fills_after(monkeypatch, 600)
    with Session(SPEC, trace=tmp_path / "t.nvtrace") as session:
        app = create_app(session)
        async with app.run_test(size=SIZE) as pilot:
            app.start_fork(0.4)
            fork = app.fork_run
            for _ in range(200):
                await pilot.press("e")
                await app.workers.wait_for_complete()
                await pilot.pause()
                if fork.snapshot().trace_failure:
                    break
            await pilot.pause(0.3)  # the fork's failure is read when the app next paints
            failure = fork.snapshot().trace_failure
            assert failure.startswith(f"{fork.trace_path}: cannot write to the trace")
            assert [n.message for n in app._notifications].count(
                f"{failure}. The run goes on here, no longer recorded."
            ) == 1
            path = fork.trace_path
            app.close_fork()
            assert app.fork_stopped == {path: failure}


@pilot_test
async def test_e_runs_one_epoch_in_the_worker_and_reports_it(session):
    posted = []
    app = create_app(session)
    async with app.run_test(size=SIZE, message_hook=posted.append) as pilot:
        await pilot.pause()
        await pilot.press("e")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert [m.epoch for m in posted if isinstance(m, EpochDone)] == [1]
        assert app.snapshot.epoch == 1 == len(app.snapshot.metrics)
        assert not app.training and not app.timeline.has_class("-training")
        text = screen_text(app)
        assert EMPTY not in text and "cost" in text and "epoch 1" in text
        assert app.snapshot.address.startswith("e1/x0/")  # the example at the new weights
        assert_shows_op(app, app.snapshot)


async def press_busy(pilot, key: str, character: str | None = None) -> None:
    """Press a key while a worker keeps the process busy (Pilot's ``press`` waits for the CPU
    to idle, up to a second a key), then give the app a moment to handle it."""
    pilot.app.post_message(events.Key(key, character))
    await pilot.pause(0.05)


async def wait_until(pilot, condition, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        await pilot.pause(0.02)


@pilot_test
async def test_space_plays_epochs_keys_still_answer_and_escape_stops_them(session):
    app = create_app(session)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await press_busy(pilot, "space", " ")
        await wait_until(pilot, lambda: session.snapshot().epoch >= 2)
        assert app.training and app.timeline.has_class("-training")
        before = app.snapshot.op_index
        await press_busy(pilot, "s", "s")  # answered while the worker runs
        assert app.snapshot.op_index == before + 1
        assert app.snapshot.address.endswith("/fwd/L1/A")
        assert app.training
        await press_busy(pilot, "escape")
        await wait_until(pilot, lambda: not app.epoch_lock.locked())
        stopped = session.snapshot().epoch
        await pilot.pause(0.3)
        assert session.snapshot().epoch == stopped
        assert not app.training and not app.timeline.has_class("-training")
        assert all(w.is_cancelled for w in app.workers if w.group == "epochs")
        assert session.snapshot().address.endswith("/fwd/L1/A")  # epochs kept the op


@pilot_test
async def test_space_pauses_what_it_played(session):
    app = create_app(session)
    async with app.run_test(size=SIZE) as pilot:
        await press_busy(pilot, "space", " ")
        await wait_until(pilot, lambda: session.snapshot().epoch >= 1)
        await press_busy(pilot, "space", " ")
        await wait_until(pilot, lambda: not app.epoch_lock.locked())
        stopped = session.snapshot().epoch
        await pilot.pause(0.2)
        assert session.snapshot().epoch == stopped and not app.training


@pilot_test
async def test_a_failing_epoch_is_reported_and_training_ends(session, monkeypatch):
    def broken(**options):
        raise FloatingPointError("overflow in exp")

    monkeypatch.setattr(session, "run_epoch", broken)
    posted = []
    app = create_app(session)
    async with app.run_test(size=SIZE, message_hook=posted.append) as pilot:
        await pilot.press("e")
        await app.workers.wait_for_complete()
        await pilot.pause()
        notes = [m.notification for m in posted if type(m).__name__ == "Notify"]
        assert [(n.severity, n.message) for n in notes] == [
            ("error", "FloatingPointError: overflow in exp")
        ]
        assert not app.training and not app.timeline.has_class("-training")


@pilot_test
async def test_help_lists_every_binding_and_closes_with_escape_or_question_mark(session):
    app = create_app(session)
    async with app.run_test(size=SIZE) as pilot:
        for close in ("escape", "question_mark"):
            await pilot.press("question_mark")
            await pilot.pause()
            assert isinstance(app.screen, HelpScreen)
            text = screen_text(app)
            for keys, what in app.key_help():
                assert keys in text and what in text
            assert "not computed yet" in text and "ctrl+p" in text
            address = session.snapshot().address
            await pilot.press("s")  # stepping waits while the help is open
            assert session.snapshot().address == address
            await pilot.press(close)
            await pilot.pause()
            assert not isinstance(app.screen, HelpScreen)
        for binding in app.BINDINGS:
            assert binding.description and binding.tooltip  # type: ignore[union-attr]


@pilot_test
async def test_q_quits_and_leaves_the_session_open(session):
    app = create_app(session)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("q")
        await pilot.pause()
    assert app.return_code == 0
    assert session.step(1).address == "e0/x0/fwd/L1/A"  # still usable: the CLI closes it


@pilot_test
async def test_the_palette_runs_a_command_found_by_typing(session):
    app = create_app(session)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"run 10 epochs")
        await pilot.pause(0.2)
        await pilot.press("enter")
        await wait_until(pilot, lambda: session.snapshot().epoch == 10)
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.snapshot.epoch == 10 and len(app.snapshot.metrics) == 10


@pilot_test
async def test_the_keys_are_in_the_palette_too(session):
    app = create_app(session)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"step to the next op")
        await pilot.pause(0.2)
        await pilot.press("enter")
        await wait_until(pilot, lambda: session.snapshot().address == "e0/x0/fwd/L1/A")
        await pilot.pause()
        assert app.snapshot.address == "e0/x0/fwd/L1/A"


def run(app: NetvizApp, name: str) -> None:
    dict((n, c) for n, c, _ in commands(app))[name]()


@pilot_test
async def test_a_reset_that_cannot_make_its_trace_is_refused_and_the_run_stays(session, tmp_path):
    """Where ./traces cannot be made (a file there; a full disk, a read-only folder), "Reset
    network (new seed)" says so in one error toast and the learner stays where they were."""
    (tmp_path / "traces").write_text("not a folder")  # the fixture's cwd is tmp_path
    app = create_app(session)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("s", "s")
        before = app.snapshot.address
        run(app, "Reset network (new seed)")
        await pilot.pause()
        await pilot.press("y")
        await app.workers.wait_for_complete()
        await pilot.pause()
        [told] = [n for n in app._notifications if n.message.startswith("No new network")]
        assert told.severity == "error"
        assert re.fullmatch(r"No new network: traces/seed-\S+\.nvtrace: cannot create trace "
                            r"\(traces is not a folder\)\.", told.message)  # fmt: skip
        assert (app.snapshot.seed, app.snapshot.address) == (0, before)
        assert "seed 0 · trace" in screen_text(app)


@pilot_test
async def test_palette_commands_set_alpha_open_an_example_and_reset(session):
    names = {n for n, _, _ in commands(create_app(session))}
    assert names >= {
        "Run 10 epochs",
        "Run 100 epochs",
        "Set learning rate…",
        "Reset network (same seed)",
        "Reset network (new seed)",
        "Switch preset: seed",
        "Switch preset: tuned",
        "Go to example…",
    }
    app = create_app(session)
    async with app.run_test(size=SIZE) as pilot:
        run(app, "Set learning rate…")
        await pilot.pause()
        assert isinstance(app.screen, Ask)
        app.screen.query_one("Input").value = ""
        await pilot.press(*"0.5", "enter")
        await pilot.pause()
        assert session.snapshot().alpha == 0.5 and "α 0.5" in screen_text(app)

        run(app, "Go to example…")
        await pilot.press(*"7", "enter")
        await pilot.pause()
        assert app.snapshot.example == 7 and app.snapshot.address == "e0/x7/fwd/L1/Z"

        run(app, "Reset network (new seed)")
        await pilot.pause()
        await pilot.press("y")  # yes, throw this run's timeline away
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.snapshot.seed == 1 and app.snapshot.address == "e0/x0/fwd/L1/Z"

        run(app, "Switch preset: tuned")
        await pilot.pause()
        await pilot.press("y")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.snapshot.preset == "tuned" and "preset tuned" in screen_text(app)

        run(app, "Reset network with seed…")
        await pilot.press(*"42", "enter")
        await pilot.pause()
        await pilot.press("y")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.snapshot.seed == 42 and "seed 42" in screen_text(app)


@pilot_test
async def test_a_bad_learning_rate_is_refused_with_a_message(session):
    posted = []
    app = create_app(session)
    async with app.run_test(size=SIZE, message_hook=posted.append) as pilot:
        run(app, "Set learning rate…")
        await pilot.pause()
        app.screen.query_one("Input").value = ""
        await pilot.press(*"-1", "enter")
        await pilot.pause()
        assert session.snapshot().alpha == 0.8
        notes = [m.notification for m in posted if type(m).__name__ == "Notify"]
        assert [n.severity for n in notes] == ["error"]


@pilot_test
async def test_names_from_files_are_shown_literally(tmp_path):
    trace = tmp_path / "[b]x[/b].nvtrace"
    with Session(SPEC, trace=trace) as session:
        app = create_app(session)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            assert "[b]x[/b].nvtrace" in screen_text(app)


@pilot_test
async def test_usable_at_80_by_24(session):
    app = create_app(session)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("s", "s")
        await pilot.pause()
        text = screen_text(app)
        assert app.snapshot.address == "e0/x0/fwd/L2/Z" and app.snapshot.address in text
        assert app.snapshot.op.equation in text
        assert "label 5" in text  # on the network's border when the digit is hidden
        assert not app.charts.display or not app.charts.region.area


def test_importing_the_session_does_not_import_textual():
    import subprocess
    import sys

    probe = "import sys, netviz.session.live; print('textual' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert done.stdout.strip() == "False"


# --- what the palette accepts ------------------------------------------------------------------


def said(posted: list) -> list:
    return [m.notification for m in posted if type(m).__name__ == "Notify"]


@pilot_test
async def test_a_learning_rate_that_is_not_a_finite_number_above_0_is_refused(session):
    """``1e400`` reads as infinity (every weight NaN after one epoch) and ``1e-400`` as 0 (no
    learning at all): the CLI refuses both, and so does the palette, saying what it read."""
    posted = []
    app = create_app(session)
    async with app.run_test(size=SIZE, message_hook=posted.append) as pilot:
        for typed in ("1e400", "1e-400", "0", "-1", "1e"):
            run(app, "Set learning rate…")
            await pilot.pause()
            app.screen.query_one("Input").value = ""
            await pilot.press(*typed, "enter")
            await pilot.pause()
            assert session.snapshot().alpha == 0.8, typed
            assert said(posted)[-1].severity == "error", typed
        messages = [n.message for n in said(posted)]
        assert "reads as inf" in messages[0] and "reads as 0" in messages[1]
        assert all("learning rate" in m for m in messages)
        assert "must be a number" in messages[4]
        assert "α 0.8" in screen_text(app)


@pilot_test
async def test_epochs_seeds_and_examples_out_of_range_are_refused_with_a_reason(session):
    posted = []
    app = create_app(session)
    async with app.run_test(size=SIZE, message_hook=posted.append) as pilot:
        for command, typed, reason in [
            ("Run N epochs…", "0", "1 to 1000000"),
            ("Run N epochs…", "-", "whole number"),
            ("Reset network with seed…", "-3", "0 to 9223372036854775807"),
            ("Reset network with seed…", "9" * 30, "0 to 9223372036854775807"),
            ("Go to example…", "300", "0 to 299"),  # 300 training examples: 0–299
            ("Go to example…", "-", "whole number"),
        ]:
            run(app, command)
            await pilot.pause()
            app.screen.query_one("Input").value = ""
            await pilot.press(*typed, "enter")
            await pilot.pause()
            assert len(app.screen_stack) == 1, typed  # no confirmation asked: nothing to do
            note = said(posted)[-1]
            assert note.severity == "error" and reason in note.message, (typed, note.message)
        await app.workers.wait_for_complete()
        snapshot = session.snapshot()
        assert (snapshot.epoch, snapshot.seed, snapshot.address) == (0, 0, "e0/x0/fwd/L1/Z")


@pytest.mark.parametrize("answer", ["n", "escape", "y"])
@pilot_test
async def test_reset_asks_before_it_throws_the_timeline_away(session, answer):
    """ "Reset network" replaced the run at once; now a yes/no question comes first, saying
    what goes (this timeline) and what stays (its trace file)."""
    session.run_epoch()
    before = session.snapshot()
    app = create_app(session)
    async with app.run_test(size=SIZE) as pilot:
        run(app, "Reset network (new seed)")
        await pilot.pause()
        assert isinstance(app.screen, Confirm)
        question = app.screen.question
        assert question.startswith("Start a new network (preset seed, seed 1)?")
        assert f"{before.timeline_length} steps, 1 epoch trained" in question
        assert question.endswith(f"its trace stays in {before.trace}.")
        text = screen_text(app)
        assert "Start a new network (preset seed, seed 1)?" in text and "y: yes" in text
        assert session.snapshot().seed == 0  # nothing happens before the answer
        await pilot.press(answer)
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert len(app.screen_stack) == 1
        now = session.snapshot()
        if answer == "y":
            assert (now.seed, now.epoch, now.timeline_length) == (1, 0, 24)
            assert now.trace != before.trace
        else:
            assert (now.seed, now.epoch, now.address) == (0, 1, before.address)
            assert now.timeline_length == before.timeline_length


# --- the status bar and the edges of a pass ------------------------------------------------------


@pilot_test
async def test_e_from_an_older_pass_shows_that_example_at_the_new_weights(session, twin):
    """After ``] ] [`` and ``:`` back to example 0's pass, ``e`` left the view on the old
    numbers while the status said "epoch 1" (the network's count, not the shown step's). A
    learner who presses e wants to see what the epoch did to what they are looking at: the
    same example and op, at the new weights, as e does from the newest pass. Going back to the
    old pass, the status says which weights its numbers come from, apart from the network's."""
    app = create_app(session)
    async with app.run_test(size=SIZE) as pilot:
        for key in ("right_square_bracket", "right_square_bracket", "left_square_bracket"):
            await pilot.press(key)
        await pilot.press("colon")
        await pilot.press(*"e0/x0/fwd/L2/Z", "enter")
        await pilot.pause()
        assert app.snapshot.address == "e0/x0/fwd/L2/Z"  # not the newest pass (that is x2)
        assert "weights after 0 epochs" in screen_text(app)
        await pilot.press("e")
        await wait_until(pilot, lambda: session.snapshot().epoch == 1)
        await app.workers.wait_for_complete()
        await pilot.pause()
        twin.step(2)
        twin.run_epoch()  # from the newest pass, where e always showed the new numbers
        want = twin.snapshot()
        assert app.snapshot.address == "e1/x0/fwd/L2/Z" == "e1/x0/" + want.op.address
        for name, a in want.op.inputs.items():
            np.testing.assert_array_equal(app.snapshot.op.inputs[name], a)
        assert_shows_op(app, app.snapshot)
        text = screen_text(app)
        assert "weights after 1 epoch " in text and "network trained" not in text
        await pilot.press("colon")
        await pilot.press(*"e0/x0/fwd/L2/Z", "enter")
        await pilot.pause()
        assert "e0/x0/fwd/L2/Z  step" in screen_text(app)
        assert "weights after 0 epochs · network trained 1 epoch" in screen_text(app)
        await pilot.press("greater_than_sign")  # the epoch step: from the weights after 0 to 1
        await pilot.pause()
        assert app.snapshot.address == "e1"
        assert "weights after 0 → 1 epoch" in screen_text(app)


@pilot_test
async def test_s_at_the_last_op_and_S_at_the_first_say_why_they_stay(session):
    posted = []
    app = create_app(session)
    async with app.run_test(size=SIZE, message_hook=posted.append) as pilot:
        await pilot.press("S")  # the very first step
        await pilot.pause()
        assert app.snapshot.address == "e0/x0/fwd/L1/Z"
        assert said(posted)[-1].message.startswith("The first step of the timeline")
        await pilot.press("G", "s")  # the last op of example 0's pass
        await pilot.pause()
        assert app.snapshot.address == "e0/x0/upd/L3/b"
        message = said(posted)[-1].message
        assert "end of example 0's pass" in message
        assert "] opens the next example" in message and "e runs an epoch" in message
        await pilot.press("right_square_bracket", "g")
        await pilot.press("right_square_bracket", "S")  # the first op of example 1's pass
        await pilot.pause()
        assert app.snapshot.address == "e0/x1/fwd/L1/Z"
        assert "first op of this example's pass: [ goes to the previous" in said(posted)[-1].message
        count = len(said(posted))
        await pilot.press("s")  # a step that moves says nothing
        await pilot.pause()
        assert len(said(posted)) == count
