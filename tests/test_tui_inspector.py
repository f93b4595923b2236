"""The inspector's numbers under Pilot: rounding noise reads 0, matrices are browsed with their
row and column indices in aligned columns, scrolled by rows and columns, wider where the screen
is; every watch is shown or counted; the cost op shows ŷ of the label beside −log ŷ[label]."""

from __future__ import annotations

import re

import numpy as np
import pytest
from helpers import pilot_test, screen_text
from rich.style import Style

from netviz.core.presets import PRESETS
from netviz.session.live import Session
from netviz.training.run import RunSpec
from netviz.tui.app import NetvizApp, create_app
from netviz.tui.arrays import Block, Window, block_text
from netviz.tui.inspector import NumbersView

SIZE = (120, 40)
SPEC = RunSpec(PRESETS["seed"], train_size=300, test_size=100)
EPS = np.finfo(np.float64).eps


@pytest.fixture
def session(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with Session(SPEC, trace=tmp_path / "t.nvtrace") as s:
        yield s


async def step_to(pilot, app: NetvizApp, op_address: str) -> None:
    """Press s until the cursor is at this op of the pass (``bwd/L3/dZ``, ``cost``)."""
    for _ in range(40):
        await pilot.pause()
        if app.snapshot.address.endswith("/" + op_address):
            return
        await pilot.press("s")
    raise AssertionError(f"never reached {op_address}")


def view(app: NetvizApp) -> NumbersView:
    return app.inspector.query_one(NumbersView)


def block(app: NetvizApp, heading: str) -> list[str]:
    """One array's lines in the numbers view: from its heading to the next blank line."""
    lines = view(app).plain.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(heading + " ("))
    end = next((i for i in range(start, len(lines)) if not lines[i].strip()), len(lines))
    return lines[start:end]


def stats(lines: list[str]) -> dict[str, str]:
    """``min … mean … max …`` of a block as {word: number as written}."""
    words = lines[1].split()
    return dict(zip(words[0::2], words[1::2], strict=True))


def grid(lines: list[str]) -> tuple[list[tuple[int, int]], dict[int, list[tuple[str, int]]]]:
    """A matrix block's column header as (index, end position) and each row's values as
    (text, end position): what lines up with what on screen."""
    header = next(line for line in lines if line.strip().startswith("col"))
    columns = [(int(m.group()), m.end()) for m in re.finditer(r"\d+", header)]
    rows = {}
    for line in lines:
        m = re.match(r"row +(\d+)", line)
        if m:
            rows[int(m.group(1))] = [(v.group(), v.end()) for v in re.finditer(r"\S+", line)][2:]
    return columns, rows


def assert_grid_shows(lines: list[str], a: np.ndarray) -> list[int]:
    """Every value under its column index, right edges aligned, equal to the array's entry
    to the 4 significant digits shown; the column indices shown."""
    columns, rows = grid(lines)
    assert rows, "no rows shown"
    for r, values in rows.items():
        assert [end for _, end in values] == [end for _, end in columns], f"row {r} drifts"
        for (text, _), (c, _) in zip(values, columns, strict=True):
            assert float(text) == pytest.approx(a[r, c], rel=5e-4, abs=0), (r, c)
    return [c for c, _ in columns]


def showing(lines: list[str]) -> str:
    return next(line for line in lines if line.startswith("showing"))


# --- rounding noise reads 0 ---------------------------------------------------------------


@pilot_test
async def test_dZ3_and_dW3_means_are_0_not_rounding_noise(session):
    """Σ(ŷ − y) = Σŷ − 1 = 0 in theory; the old inspector wrote its rounding, e.g. +1.943e−17."""
    app = create_app(session)
    async with app.run_test(size=SIZE) as pilot:
        await step_to(pilot, app, "bwd/L3/dZ")
        op = app.snapshot.op
        yhat, y, dz = (np.asarray(op.inputs["ŷ"]), np.asarray(op.inputs["y"]), op.outputs["dZ3"])
        # Independently: the computed mean is within 10·ε·mean(|ŷ| + |y|) of 0.
        assert abs(dz.mean()) <= 10 * EPS * np.mean(np.abs(yhat) + np.abs(y))
        assert stats(block(app, "result dZ3"))["mean"] == "0"
        await step_to(pilot, app, "bwd/L3/dW")
        assert stats(block(app, "result dW3"))["mean"] == "0"
        assert stats(block(app, "input dZ3"))["mean"] == "0"
        # A real mean stays a number: A2's, all of whose entries are positive.
        a2 = app.snapshot.op.inputs["A2"]
        assert float(stats(block(app, "input A2"))["mean"]) == pytest.approx(a2.mean(), rel=5e-4)


@pilot_test
async def test_zeros_of_either_sign_are_shown_as_0_in_the_matrix_and_the_chain_rule_card(session):
    """dW1[i, 0] = dZ1[i]·x[0] with a blank corner pixel: the card's product is −0 where
    dZ1[i] < 0, the matrix's entries ±0 (the old screens wrote "-0" and "+0")."""
    app = create_app(session)
    async with app.run_test(size=SIZE) as pilot:
        await step_to(pilot, app, "bwd/L1/dW")
        op = app.snapshot.op
        x, dz1 = op.inputs["x"], op.inputs["dZ1"]
        assert x[0, 0] == 0 and (dz1 < 0).any()
        i = int(np.flatnonzero(dz1 < 0)[0])
        assert np.signbit(float(dz1[i, 0]) * float(x[0, 0]))  # the card's product is −0
        signed_zero = re.compile(r"[-+]0(?![.\d])")
        assert not signed_zero.search("\n".join(block(app, "result dW1")))
        _, rows = grid(block(app, "result dW1"))
        assert [row[0][0] for row in rows.values()] == ["0"] * len(rows)
        await pilot.press("k", *["down"] * i)  # select mode: the card of dW1[i, 0]
        await pilot.pause()
        entry = f"dW1[{i}, 0]"
        result = next(line for line in screen_text(app).splitlines() if f"= {entry}" in line)
        assert re.search(rf"= {re.escape(entry)} +0 +✓", result), result
        assert not signed_zero.search(screen_text(app)), "a signed zero on screen"


def test_a_vector_and_a_matrix_of_negative_zeros_show_0():
    styles = {k: Style() for k in ("name", "stats", "pos", "neg", "selected", "result")}
    vector = block_text(Block("result dZ1", np.full((3, 1), -0.0)), Window(), styles).plain
    matrix = block_text(Block("result dW1", np.full((2, 3), -0.0)), Window(), styles).plain
    for text in (vector, matrix):
        assert "-0" not in text and "+0" not in text
    assert "min 0  mean 0  max 0" in vector and "row 1          0          0          0" in matrix


@pilot_test
async def test_a_scalar_is_written_scalar_not_empty_brackets(session):
    app = create_app(session)
    async with app.run_test(size=SIZE) as pilot:
        await step_to(pilot, app, "cost")
        heading = block(app, "result cost")[0]
        assert heading.startswith("result cost (scalar) = ") and "()" not in heading


# --- the matrix browser -------------------------------------------------------------------


@pilot_test
async def test_W1_and_dW1_show_row_and_column_indices_aligned_with_their_values(session):
    app = create_app(session)
    async with app.run_test(size=SIZE) as pilot:
        await step_to(pilot, app, "fwd/L1/Z")
        W1 = app.snapshot.op.inputs["W1"]
        lines = block(app, "input W1")
        shown = assert_grid_shows(lines, W1)
        assert shown[0] == 0 and len(shown) >= 4
        rows = sorted(grid(lines)[1])
        assert rows == list(range(len(rows))) and len(rows) >= 10
        where = f"showing rows 0–{rows[-1]} of 16, columns 0–{shown[-1]} of 784"
        assert showing(lines).startswith(where)
        await step_to(pilot, app, "bwd/L1/dW")
        lines = block(app, "result dW1")  # columns 11 wide where an exponent has 3 digits
        assert assert_grid_shows(lines, app.snapshot.op.outputs["dW1"])[:3] == [0, 1, 2]


@pilot_test
async def test_scroll_matrix_moves_the_window_over_columns_and_rows(session):
    app = create_app(session)
    async with app.run_test(size=(80, 24)) as pilot:  # not all 16 rows fit
        await step_to(pilot, app, "fwd/L1/Z")
        W1 = app.snapshot.op.inputs["W1"]
        numbers = view(app)
        first = assert_grid_shows(block(app, "input W1"), W1)
        n = len(grid(block(app, "input W1"))[1])  # rows in the window
        assert n < 16
        numbers.scroll_matrix(0, 20)
        await pilot.pause()
        lines = block(app, "input W1")
        shown = assert_grid_shows(lines, W1)
        assert shown == [c + 20 for c in first]
        assert f"columns 20–{shown[-1]} of 784" in showing(lines)
        numbers.scroll_matrix(3, 10_000)  # past the end: stops at the last column
        await pilot.pause()
        lines = block(app, "input W1")
        shown = assert_grid_shows(lines, W1)
        assert shown[-1] == 783 and f"rows 3–{3 + n - 1} of 16" in showing(lines)
        assert sorted(grid(lines)[1]) == list(range(3, 3 + n))
        numbers.scroll_matrix(100, 0)
        await pilot.pause()
        assert sorted(grid(block(app, "input W1"))[1]) == list(range(16 - n, 16))
        numbers.page_matrix(-1)  # a screen of columns back
        await pilot.pause()
        assert assert_grid_shows(block(app, "input W1"), W1)[-1] == 783 - len(shown)
        await pilot.press("s")  # another op starts at row and column 0 again
        await step_to(pilot, app, "fwd/L2/Z")
        W2 = app.snapshot.op.inputs["W2"]
        assert assert_grid_shows(block(app, "input W2"), W2)[0] == 0


async def columns_shown(size: tuple[int, int], session) -> tuple[list[int], int]:
    """The W1 columns shown at the first op on a screen of ``size``, and the view's width."""
    app = create_app(session)
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        lines = block(app, "input W1")
        shown = assert_grid_shows(lines, app.snapshot.op.inputs["W1"])
        width = view(app).size.width
        assert max(len(line) for line in lines) <= width  # nothing cut at the edge
        return shown, width


@pilot_test
async def test_a_200_column_screen_shows_more_matrix_columns_than_120(session):
    at_120, width_120 = await columns_shown((120, 40), session)
    at_200, width_200 = await columns_shown((200, 50), session)
    assert width_200 > width_120
    assert len(at_200) > len(at_120)
    assert len(at_200) >= (width_200 - 6) // 11  # every column that fits: 6 for "row 15"


@pilot_test
async def test_the_selected_entry_s_column_scrolls_into_view(session):
    app = create_app(session)
    async with app.run_test(size=SIZE) as pilot:
        await step_to(pilot, app, "bwd/L1/dW")
        dW1 = app.snapshot.op.outputs["dW1"]
        await pilot.press("k", *["right"] * 12, "down")
        await pilot.pause()
        columns, rows = grid(block(app, "result dW1"))
        shown = [c for c, _ in columns]
        assert 12 in shown and shown[-1] == 12  # moved just enough
        text, _ = rows[1][shown.index(12)]
        assert float(text) == pytest.approx(dW1[1, 12], rel=5e-4, abs=0)


# --- watches ------------------------------------------------------------------------------


@pilot_test
async def test_every_watch_is_shown_or_counted_never_dropped(session):
    texts = ["mean(x)", "max(x)", "min(x)", "norm(W1)", "norm(b1)", "mean(W1)", "max(W1)",
             "min(b1)", "norm(W2)"]  # fmt: skip
    for text in texts[:2]:
        session.add_watch(text)
    app = create_app(session)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = screen_text(app)
        assert all(f"{t} = " in screen for t in texts[:2]) and "more" not in screen
        for text in texts[2:]:
            session.add_watch(text)
        await pilot.press("s")  # the next op shows every watch again
        await pilot.pause()
        screen = screen_text(app)
        shown = [t for t in texts if f"{t} = " in screen]
        more = re.search(r"… (\d+) more", screen)
        assert more, "watches dropped without a word"
        assert shown == texts[: len(shown)] and len(shown) + int(more.group(1)) == len(texts)


# --- the cost -----------------------------------------------------------------------------


@pilot_test
async def test_the_cost_op_shows_the_label_s_y_hat_beside_minus_its_log(session):
    """cost = −Σ y_k log ŷ_k = −log ŷ[label]: checkable by hand from the screen."""
    app = create_app(session)
    async with app.run_test(size=SIZE) as pilot:
        await step_to(pilot, app, "cost")
        op, label = app.snapshot.op, app.snapshot.label
        p = float(np.ravel(op.inputs["ŷ"])[label])
        cost = float(op.outputs["cost"])
        lines = block(app, "result cost")
        check = next(line for line in lines if f"ŷ[{label}] = " in line)
        m = re.search(rf"ŷ\[{label}\] = (\S+) +−log ŷ\[{label}\] = (\S+)", check)
        assert m, check
        assert float(m.group(1)) == pytest.approx(p, rel=5e-4)
        assert float(m.group(2)) == pytest.approx(-np.log(p), rel=5e-4)
        assert float(m.group(2)) == pytest.approx(cost, rel=5e-4)
        assert lines[0].endswith(m.group(2))  # the same number as the result
        y_rows = block(app, "input y")[2:]
        marked = [row for row in y_rows if "the label" in row]
        assert len(marked) == 1 and marked[0].split()[:2] == [str(label), "+1"]
        assert any(f"ŷ[{label}]" in line for line in screen_text(app).splitlines())


@pilot_test
async def test_an_epoch_step_says_its_weights_and_writes_no_nan_without_a_test_set(tmp_path):
    """A second read: the epoch card gave no weights and printed 'test accuracy nan %' for a run
    without a test set (netviz train says n/a)."""
    spec = RunSpec(PRESETS["seed"], train_size=300, test_size=0)
    with Session(spec, trace=tmp_path / "t.nvtrace") as s:
        s.run_epoch()
        app = create_app(s)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("less_than_sign")  # the epoch step
            await pilot.pause()
            assert app.snapshot.kind == "epoch"
            text = screen_text(app)
            assert "at the weights before epoch 1's update" in text
            assert "nan" not in text and "test accuracy   n/a" in text
