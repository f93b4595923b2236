"""Replaying a check trace (``netviz check --trace``): the learner's values beside the reference's.

A check trace is built here as the check writes one: each pass is netviz's reference pass
(``example_ops``) at some weights and example, with the learner's value of each output stored
beside it as ``theirs/NAME``. "Theirs" is the reference with a few planted differences, so where
the diff view must mark, and where ``differs`` must stop, is known before the replay is opened.
"""

from __future__ import annotations

import sqlite3
from types import SimpleNamespace

import numpy as np
import pytest
from helpers import pilot_test, screen_text

from netviz.core.activations import activation
from netviz.core.network import init_params
from netviz.core.steps import example_ops
from netviz.debug.breakpoints import BreakpointError, check_op, parse_breakpoint
from netviz.numbers import differing, fmt
from netviz.session.replay import Replay
from netviz.trace import TraceError, TraceWriter
from netviz.trace.schema import op_address
from netviz.tui.app import create_app
from netviz.tui.arrays import DIFFERS, Block, Window, block_text, op_blocks
from netviz.tui.inspector import NumbersView

SIZES = [784, 16, 16, 10]
EXAMPLES = 3


def doubled(index: int):
    def change(a: np.ndarray) -> np.ndarray:
        a.flat[index] *= 2
        return a

    return change


def shifted(index: tuple[int, ...], by: float):
    def change(a: np.ndarray) -> np.ndarray:
        a[index] += by
        return a

    return change


# (example, output name) → how theirs departs from the reference there
PLANTED = {(0, "dZ2"): doubled(3), (1, "dW2"): shifted((2, 5), 0.25), (2, "Z1"): shifted((4, 0), 1)}
FIRST = "e0/x0/bwd/L2/dZ"
DIFFERING = [FIRST, "e0/x1/bwd/L2/dW", "e0/x2/fwd/L1/Z"]  # in the timeline's order


def write_check_trace(
    path, planted=PLANTED, first: str | None = FIRST, check: bool = True, extra=None
) -> dict[tuple[int, str], np.ndarray]:
    """A check trace of EXAMPLES passes at seeded weights on seeded pixels; the learner kept
    every output but the cost. Returns theirs as written, by (example, name). ``check=False``:
    the same passes as a plain trace (no ``check`` metadata, no theirs). ``extra``: more tensors
    for the first op (a hostile file's)."""
    rng = np.random.default_rng(0)
    params, hidden = init_params(SIZES, rng), activation("sigmoid")
    meta = {"sizes": SIZES, "activation": "sigmoid", "alpha": 0.5, "train_size": EXAMPLES,
            "watch": [], "preset": "check of my_network.py", "seed": 0, "dtype": "float64",
            "scale_pixels": True, "record": "check"}  # fmt: skip
    if check:
        meta["check"] = {"script": "my_network.py", "first_difference": first, "epochs": 2}
    written = {}
    with TraceWriter(path, meta, layers=len(SIZES) - 1) as writer:
        for example in range(EXAMPLES):
            pixels = rng.integers(0, 256, SIZES[0]).astype(np.uint8)
            label = int(rng.integers(10))
            writer.add_examples([(example, label, pixels)])
            ops = example_ops(params, pixels / 255.0, label, hidden)
            context: dict[str, np.ndarray] = {}
            produced: set[str] = set()
            for op in ops:  # what the pass reads but no op made: x, y, W, b (the first op's)
                context.update({n: a for n, a in op.inputs.items() if n not in produced})
                produced |= set(op.outputs)
            rows = []
            for i, op in enumerate(ops):
                tensors = {
                    **(context if i == 0 else {}),
                    **op.outputs,
                    **(extra or {} if i == 0 else {}),
                }
                for name, reference in op.outputs.items():
                    if check and name != "cost":
                        theirs = np.array(reference, dtype=np.float64)
                        if (example, name) in planted:
                            theirs = planted[example, name](theirs)
                        tensors[f"theirs/{name}"] = written[example, name] = theirs
                fields = {"phase": op.phase, "layer": op.layer, "op": op.name,
                          "equation": op.equation, "inputs": list(op.inputs),
                          "outputs": list(op.outputs)}  # fmt: skip
                rows.append((op_address(0, example, op.address), fields, tensors))
            writer.add_pass(0, example, rows)
    return written


@pytest.fixture(scope="module")
def traces(tmp_path_factory):
    folder = tmp_path_factory.mktemp("check-replay")
    theirs = write_check_trace(folder / "check.nvtrace")
    write_check_trace(folder / "plain.nvtrace", check=False)
    return SimpleNamespace(check=folder / "check.nvtrace", plain=folder / "plain.nvtrace",
                           theirs=theirs)  # fmt: skip


# --- what differs: numbers.differing --------------------------------------------------------

R = np.array([0.5, -0.25, 1e-3, 2.0])
DIFFERING_CASES = [
    ("the same", R.copy(), [False] * 4),
    ("summed in another order", R * (1 + 4e-16), [False] * 4),
    ("just inside 1e-7 of the largest", R + [1.9e-7, 0, 0, 0], [False] * 4),
    ("just past it", R + [0, 0, 2.1e-7, 0], [False, False, True, False]),
    ("one entry doubled", R * [1, 1, 1, 2], [False, False, False, True]),
    ("a NaN where the reference has a number", np.array([0.5, np.nan, 1e-3, 2]),
     [False, True, False, False]),
    ("an infinity", np.array([np.inf, -0.25, 1e-3, 2]), [True, False, False, False]),
]  # fmt: skip


@pytest.mark.parametrize(("theirs", "want"), [c[1:] for c in DIFFERING_CASES],
                         ids=[c[0] for c in DIFFERING_CASES])  # fmt: skip
def test_an_entry_differs_only_beyond_1e7_of_the_references_largest_magnitude(theirs, want):
    assert differing(theirs, R).tolist() == want


def test_non_finite_entries_match_only_the_same_and_other_shapes_differ_everywhere():
    reference = np.array([np.nan, np.inf, -np.inf, 1.0])
    assert differing(reference.copy(), reference).tolist() == [False] * 4
    assert differing(np.array([1.0, -np.inf, np.inf, 1.0]), reference).tolist() == [True] * 3 + [
        False
    ]
    assert differing(np.zeros((1, 4)), np.zeros((4, 1))).tolist() == [[True] * 4]
    assert differing(np.array([0.0, 1e-300]), np.zeros(2)).tolist() == [False, True]


def test_differs_fires_at_an_op_whose_theirs_is_not_the_reference():
    bp = parse_breakpoint("differs")
    assert parse_breakpoint(" DIFFER ").text == bp.text == "differs"
    reference = {"dZ2": np.array([[0.1], [0.2], [0.3]])}
    op = SimpleNamespace(phase="bwd", name="dZ", layer=2, outputs=reference)
    assert check_op(bp, op) is None  # a plain op: no theirs
    op.theirs = {"dZ2": reference["dZ2"] * [[1], [1], [1 + 1e-12]]}
    assert check_op(bp, op) is None  # rounding
    op.theirs = {"dZ2": reference["dZ2"] * [[1], [3], [1]]}
    assert check_op(bp, op) == "theirs dZ2 ≠ the reference in 1 of 3 entries"
    assert check_op(bp.toggled(), op) is None


# --- the session: snapshots carry theirs, c / C go from difference to difference -----------


def test_a_check_replay_opens_at_the_first_difference_with_theirs_in_the_snapshot(traces):
    with Replay(traces.check) as replay:
        assert [b.text for b in replay.breakpoints] == ["differs"]
        s = replay.snapshot()
        assert s.address == FIRST and s.checked
        assert list(s.theirs) == ["dZ2"]
        assert np.array_equal(s.theirs["dZ2"], traces.theirs[0, "dZ2"])
        reference = s.op.outputs["dZ2"]
        assert s.theirs["dZ2"][3, 0] == 2 * reference[3, 0]  # the planted entry
        assert [h.condition for h in s.hits] == ["differs"]
        assert replay.goto("e0/x0/cost").theirs == {}  # the learner kept no cost


def test_c_and_C_go_to_the_next_and_previous_op_that_differs(traces):
    with Replay(traces.check) as replay:
        seen = [replay.snapshot().address]
        while replay.next_hit() is not None:
            seen.append(replay.snapshot().address)
        assert seen == DIFFERING
        assert replay.previous_hit().address == DIFFERING[1]
        assert replay.previous_hit().address == DIFFERING[0]
        assert replay.previous_hit().address == DIFFERING[0]  # none before: it stays


@pytest.mark.parametrize(("first", "start"), [(None, "e0/x0/fwd/L1/Z"), ("e1", DIFFERING[0])])
def test_without_an_op_address_the_replay_starts_at_the_start_or_the_first_difference(
    tmp_path, first, start
):
    """None: the script matched (the trace shows it all); an epoch's update (not in a trace of
    passes): the first op where theirs differs."""
    write_check_trace(tmp_path / "t.nvtrace", first=first)
    with Replay(tmp_path / "t.nvtrace") as replay:
        assert replay.snapshot().address == start
        assert [b.text for b in replay.breakpoints] == ["differs"]


def test_a_plain_trace_has_no_theirs_and_refuses_differs(traces):
    with Replay(traces.plain) as replay:
        s = replay.snapshot()
        assert (s.address, s.checked, dict(s.theirs), replay.breakpoints) == (
            "e0/x0/fwd/L1/Z", False, {}, [])  # fmt: skip
        with pytest.raises(BreakpointError, match="only a check trace"):
            replay.add_breakpoint("differs")


@pytest.mark.parametrize(
    ("stored", "message"),
    [(np.zeros((16, 1), dtype=np.int64), "int64"), (np.zeros((16, 1, 1)), "3-D")],
    ids=["integers", "3-D"],
)
def test_a_hostile_theirs_is_refused_as_damage(tmp_path, stored, message):
    path = tmp_path / "hostile.nvtrace"
    write_check_trace(path)
    with sqlite3.connect(path) as db:  # replace theirs/Z1 of the first pass
        from netviz.trace.schema import encode

        db.execute(
            "UPDATE tensors SET dtype = ?, shape = ?, encoding = ?, crc32 = ?, data = ? "
            "WHERE name = 'theirs/Z1' AND step = 1",
            encode(stored),
        )
    with pytest.raises(TraceError, match=f"damaged trace.*theirs/Z1.*{message}"):
        Replay(path)


def test_a_theirs_of_no_output_is_left_out_and_bad_check_metadata_refused(tmp_path):
    write_check_trace(tmp_path / "t.nvtrace", extra={"theirs/W9": np.ones(3)})
    with Replay(tmp_path / "t.nvtrace") as replay:
        assert list(replay.goto("e0/x0/fwd/L1/Z").theirs) == ["Z1"]
    path = tmp_path / "bad.nvtrace"
    write_check_trace(path)
    with sqlite3.connect(path) as db:
        db.execute("UPDATE meta SET value = '[1, 2]' WHERE key = 'check'")
    with pytest.raises(TraceError, match="'check' is a list"):
        Replay(path)


# --- the numbers view: theirs, the reference, the difference -------------------------------

STYLES = {k: None for k in ("name", "stats", "pos", "neg", "selected", "muted", "result")}


def test_a_matrix_diff_shows_three_grids_marking_only_the_differing_entry():
    reference = np.arange(12, dtype=float).reshape(3, 4) / 10
    theirs = reference.copy()
    theirs[1, 2] = -5.0
    text = block_text(Block("result dW2", reference, theirs=theirs), Window(width=80), STYLES)
    lines = text.plain.splitlines()
    assert lines[0] == "theirs vs the reference: 1 of 12 entries differ"
    assert lines[1] == f"{DIFFERS} dW2[1, 2]"
    assert [line for line in lines if line.startswith(("theirs ", "the reference"))][1:] == [
        "theirs dW2 (3, 4)", "the reference dW2", "theirs − the reference"]  # fmt: skip
    marked = [line for line in lines if DIFFERS in line][1:]
    # in theirs' grid and the difference's, row 1: −5 and −5 − 0.6 = −5.6
    assert [line.split()[:2] for line in marked] == [["row", "1"], ["row", "1"]]
    assert f"{DIFFERS}{fmt(-5.0)}" in marked[0] and f"{DIFFERS}{fmt(-5.6)}" in marked[1]
    zero_rows = [line for line in lines if line.startswith("row") and DIFFERS not in line]
    assert sum(line.split()[2:] == ["0"] * 4 for line in zero_rows) == 2  # the other rows of Δ


def test_a_vector_diff_shows_three_columns_and_a_scalar_three_numbers():
    reference = np.array([[0.25], [-0.5], [1.0]])
    theirs = reference * [[1], [1], [3]]
    lines = block_text(Block("result dZ2", reference, theirs=theirs), Window(), STYLES).plain
    rows = [line.split() for line in lines.splitlines()[-3:]]
    assert rows == [
        ["0", fmt(0.25), fmt(0.25), "0"],
        ["1", fmt(-0.5), fmt(-0.5), "0"],
        ["2", DIFFERS, fmt(3.0), fmt(1.0), fmt(2.0)],
    ]
    same = block_text(Block("result cost", np.array(2.0), theirs=np.array(2.0)), Window(), STYLES)
    assert same.plain.splitlines()[0] == "theirs vs the reference: the same, to rounding"
    assert DIFFERS not in same.plain


def test_a_float32_learner_s_diff_allows_float32_s_rounding_and_says_so():
    """A float32 script's value beside the float64 reference (as a check trace keeps it): off
    by 1e−5 of the largest entry is float32's rounding, and the verdict names that rounding;
    the same offset in float64 is a difference."""
    reference = np.array([[1566.0], [4.772], [-718.0]])
    theirs = reference + [[0.0], [-0.0157], [0.0]]  # 1e−5 of 1566
    shown = block_text(
        Block("result Z1", reference, theirs=theirs.astype(np.float32)), Window(), STYLES
    ).plain
    assert shown.splitlines()[0] == "theirs vs the reference: the same, to float32's rounding"
    assert DIFFERS not in shown
    in_float64 = block_text(Block("result Z1", reference, theirs=theirs), Window(), STYLES).plain
    assert in_float64.splitlines()[0] == "theirs vs the reference: 1 of 3 entries differ"


def test_theirs_of_another_shape_is_shown_beside_the_reference(traces):
    with Replay(traces.check) as replay:
        s = replay.snapshot()
        wrong = {"dZ2": np.ones((1, 16))}
        from dataclasses import replace

        blocks = op_blocks(s.op, replace(s, theirs=wrong))
        assert [b.heading for b in blocks[:2]] == ["result dZ2", "theirs dZ2"]
        assert blocks[0].theirs is None and blocks[0].notes[-1].endswith(
            "the shapes differ: theirs is (1, 16), the reference (16, 1)"
        )


# --- in the app ------------------------------------------------------------------------------


def numbers_text(app) -> str:
    return app.query_one(NumbersView).plain


@pilot_test
async def test_the_diff_view_marks_the_difference_and_c_C_move_between_differences(traces):
    with Replay(traces.check) as replay:
        app = create_app(replay)
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            text = screen_text(app)
            assert "theirs vs the reference: 1 of 16 entries differ" in text
            assert "breakpoint differs fired at e0/x0/bwd/L2/dZ" in text
            lines = numbers_text(app).splitlines()
            row = next(line for line in lines if line.split()[1:2] == [DIFFERS])
            reference = replay.snapshot().op.outputs["dZ2"][3, 0]
            assert row.split() == ["3", DIFFERS, fmt(2 * reference), fmt(reference),
                                   fmt(reference)]  # fmt: skip
            view = app.query_one(NumbersView)
            differs = app.inspector.get_component_rich_style("inspector--differs")
            assert differs.color is not None and differs.bold  # a style beside the mark
            styled = [line for line in view.lines if DIFFERS in line.plain]
            assert all(any(s.style == differs for s in line.spans) for line in styled)
            await pilot.press("c")
            assert replay.snapshot().address == DIFFERING[1]
            text = screen_text(app)
            assert "1 of 256 entries differ" in text
            theirs = traces.theirs[1, "dW2"][2, 5]
            assert f"{DIFFERS}{fmt(theirs)}" in text  # the window opened on the entry
            await pilot.press("c")
            assert replay.snapshot().address == DIFFERING[2]
            await pilot.press("C", "C")
            assert replay.snapshot().address == DIFFERING[0]


@pilot_test
async def test_a_plain_trace_shows_no_diff(traces):
    with Replay(traces.plain) as replay:
        app = create_app(replay)
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.press("colon", *FIRST, "enter")
            await pilot.pause()
            assert replay.snapshot().address == FIRST
            assert "theirs" not in screen_text(app) and DIFFERS not in numbers_text(app)
            assert "result dZ2 (16, 1)" in screen_text(app)


@pytest.mark.parametrize(
    "size", [(80, 24), (120, 40), (200, 50)], ids=["80x24", "120x40", "200x50"]
)
@pilot_test
async def test_the_verdict_and_the_marked_entry_fit_every_size(traces, size):
    """In view on opening, and no line of the numbers wider than the view (none is cut)."""
    with Replay(traces.check) as replay:
        app = create_app(replay)
        async with app.run_test(size=size) as pilot:
            await pilot.pause()
            view = app.query_one(NumbersView)
            shown = view.lines[view.top : view.top + view.size.height]
            assert max(line.cell_len for line in view.lines) <= view.size.width
            text = " ".join(" ".join(line.plain for line in shown).split())
            assert "theirs vs the reference: 1 of 16 entries differ" in text
            assert f"3 {DIFFERS} {fmt(2 * replay.snapshot().op.outputs['dZ2'][3, 0])}" in text


def test_a_live_tour_refuses_differs_saying_why(tmp_path):
    from netviz.core.presets import PRESETS
    from netviz.debug.breakpoints import BreakpointError
    from netviz.session.live import Session
    from netviz.training.run import RunSpec

    spec = RunSpec(PRESETS["seed"], train_size=60, test_size=20)
    with Session(spec, trace=tmp_path / "t.nvtrace") as live:
        with pytest.raises(BreakpointError, match="only a check trace"):
            live.add_breakpoint("differs")
