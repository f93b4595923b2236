"""Replay under Pilot, as a learner uses it: stepping back and forth over a saved trace shows
the recorded numbers; keys that would compute are dimmed and say why; c seeks a breakpoint; the
scrubber jumps to an epoch; a trace still being written shows its new epochs."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest
from helpers import pilot_test, run_cli, screen_text

from netviz.core.presets import PRESETS
from netviz.session.live import Session
from netviz.session.replay import Replay
from netviz.trace import TraceReader
from netviz.training.run import RunSpec
from netviz.tui.app import FOLLOW_EVERY, create_app
from netviz.tui.inspector import fmt
from netviz.tui.timeline import Scrubber

SIZE = (120, 40)
SPEC = RunSpec(PRESETS["seed"], train_size=300, test_size=100)


@pytest.fixture(scope="module")
def trace(tmp_path_factory):
    """Example 0 stepped through at epoch 0, then 4 epochs."""
    path = tmp_path_factory.mktemp("tui-replay") / "saved.nvtrace"
    with Session(SPEC, trace=path) as live:
        live.phase(True)
        for _ in range(4):
            live.run_epoch()
    return path


def notes(app) -> list[str]:
    return [n.message for n in app._notifications]


@pilot_test
async def test_stepping_back_and_forth_shows_the_recorded_numbers(trace):
    with Replay(trace) as replay, TraceReader(trace) as reader:
        app = create_app(replay)
        async with app.run_test(size=SIZE) as pilot:
            for key, address in [("s", "e0/x0/fwd/L1/A"), ("s", "e0/x0/fwd/L2/Z"),
                                 ("S", "e0/x0/fwd/L1/A"), ("n", "e0/x0/fwd/L2/Z"),
                                 ("r", "e0/x0/fwd/L3/A")]:  # fmt: skip
                await pilot.press(key)
                assert replay.snapshot().address == address
                text = screen_text(app)
                assert address in text
                name, value = next(iter(reader.op_arrays(address)[1].items()))
                assert name in text and fmt(float(value.ravel()[0])) in text
            assert "replay (read-only)" in text


@pilot_test
async def test_computing_keys_are_dimmed_and_say_why(trace):
    with Replay(trace) as replay:
        app = create_app(replay)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("G")
            length = replay.snapshot().timeline_length
            for key in ("e", "space", "m"):
                await pilot.press(key)
                await pilot.pause()
                assert notes(app)[-1].startswith("Replay is read-only: this key"), key
            assert replay.snapshot().timeline_length == length and not app.training
            assert app.check_action("epoch", ()) is None  # shown dimmed in the footer
            await pilot.press("g", "r", "right_square_bracket")  # the last (only) pass
            assert notes(app)[-1] == "The last recorded pass: a replay opens no new examples."


@pilot_test
async def test_c_seeks_the_next_step_where_a_breakpoint_holds(trace):
    with Replay(trace) as replay, TraceReader(trace) as reader:
        replay.add_breakpoint("acc >= 0%")  # holds at every epoch
        app = create_app(replay)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("c")
            assert replay.snapshot().address == "e1"
            await pilot.press("c")
            assert replay.snapshot().address == "e2"
            await pilot.press("C")
            assert replay.snapshot().address == "e1"
            assert "Breakpoint hit at e1" in notes(app)[-1]
            assert reader.epochs() == [1, 2, 3, 4]


@pilot_test
async def test_the_scrubber_jumps_to_the_epoch_clicked(trace):
    with Replay(trace) as replay:
        app = create_app(replay)
        async with app.run_test(size=SIZE) as pilot:
            scrubber = app.query_one(Scrubber)
            assert scrubber.display
            label = len("epoch 0 of 4  ")
            width = scrubber.content_region.width - label
            await pilot.click(Scrubber, offset=(label + width - 1, 0))
            assert replay.snapshot().address == "e4"
            await pilot.click(Scrubber, offset=(label + width // 2, 0))
            assert replay.snapshot().address == "e2"
            assert "epoch 2 of 4" in screen_text(app)
            await pilot.press("greater_than_sign")
            assert replay.snapshot().address == "e3"


@pilot_test
async def test_a_growing_trace_shows_new_epochs(tmp_path):
    path = tmp_path / "growing.nvtrace"
    with Session(SPEC, trace=path) as live:
        live.run_epoch()
        with Replay(path) as replay:
            app = create_app(replay)
            async with app.run_test(size=SIZE) as pilot:
                await pilot.press("G")
                assert "epoch 1 of 1" in screen_text(app)
                live.run_epoch()
                live.run_epoch()
                await asyncio.sleep(FOLLOW_EVERY * 2.5)
                await pilot.pause()
                assert replay.snapshot().address == "e3"
                assert "epoch 3 of 3" in screen_text(app)
                cost = live.snapshot().metrics[-1].cost
                assert np.isclose(replay.snapshot().metrics[-1].cost, cost, rtol=0, atol=0)


@pilot_test
async def test_x_exports_what_is_shown_and_says_where(trace, tmp_path):
    """x in a replay and in a live tour; a live run without a trace says why it cannot."""
    from PIL import Image

    with Replay(trace) as replay:
        app = create_app(replay)
        app.export_folder = tmp_path
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("G", "x")  # e4: layer 1's gradient heatmap
            await app.workers.wait_for_complete()
            await pilot.pause()
            written = tmp_path / "saved_e4_L1_grad.png"
            assert notes(app)[-1] == f"Wrote {written}"
            assert Image.open(written).format == "PNG"
    with Session(SPEC, trace=tmp_path / "live.nvtrace") as live:
        app = create_app(live)
        app.export_folder = tmp_path
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("s", "x")  # a pass's op: its card, the pass recorded first
            await app.workers.wait_for_complete()
            await pilot.pause()
            written = tmp_path / "live_e0-x0-fwd-L1-A_card.png"
            assert notes(app)[-1] == f"Wrote {written}" and written.is_file()
    with Session(SPEC, record=None) as untraced:
        app = create_app(untraced)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("x")
            await app.workers.wait_for_complete()
            await pilot.pause()
            assert "records no trace" in notes(app)[-1]


@pilot_test
async def test_a_damaged_pass_is_reported_and_the_cursor_stays(tmp_path, capsys):
    """A pass whose arrays fail their checksum: the move says why, nothing crashes, and the
    rest of the trace can still be stepped through."""
    import sqlite3

    path = tmp_path / "damaged.nvtrace"
    with Session(SPEC, trace=path) as live:
        live.run_epoch()
        live.step(1)  # e1/x0 is recorded
    with sqlite3.connect(path) as db:
        db.execute("UPDATE tensors SET crc32 = crc32 + 1 WHERE step IN "
                   "(SELECT step FROM steps WHERE address LIKE 'e1/x0/%')")  # fmt: skip
    with Replay(path) as replay:
        replay.add_breakpoint("sat L1 > 50%")  # fires at e1/x0/fwd/L1/A, in the damaged pass
        app = create_app(replay)
        async with app.run_test(size=SIZE) as pilot:
            for keys in (["G"], ["c", "c", "c"], ["colon", *"e1/x0/cost", "enter"]):
                await pilot.press(*keys)
                await pilot.pause()
                assert "its bytes do not match their checksum" in notes(app)[-1], keys
                assert replay.snapshot().address in ("e0/x0/fwd/L1/Z", "e0/x0/fwd/L1/A", "e1")
            await pilot.press("greater_than_sign")
            assert replay.snapshot().address == "e1"
            await pilot.press("v", "C")  # v: the latest pass before e1 is the intact e0/x0
            assert app.is_running
    pass_cut = tmp_path / "first-pass-damaged.nvtrace"
    with Session(SPEC, trace=pass_cut):
        pass
    with sqlite3.connect(pass_cut) as db:
        db.execute("UPDATE tensors SET crc32 = crc32 + 1")
    status, out, err = run_cli(capsys, "replay", str(pass_cut))
    assert (status, out) == (2, "") and err.startswith(f"netviz: error: {pass_cut}: damaged tensor")
    assert err.count("\n") == 1


@pilot_test
async def test_s_at_the_end_of_a_pass_or_of_the_recording_says_why_it_stays(trace):
    with Replay(trace) as replay:
        app = create_app(replay)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("colon", *"e0/x0/upd/L3/b", "enter")
            await pilot.press("s")
            await pilot.pause()
            assert replay.snapshot().address == "e0/x0/upd/L3/b"
            assert notes(app)[-1] == (
                "The end of example 0's pass: ] goes to the next recorded pass, → on along "
                "the timeline."
            )
            await pilot.press("G", "s")  # e4, the last step recorded
            await pilot.pause()
            assert replay.snapshot().address == "e4"
            assert notes(app)[-1].startswith("The end of the recording")
