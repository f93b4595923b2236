"""The debugger keys under Pilot: breakpoints (b, B, c, C), watches (w, W), go to (:, m), the
gradient check (v), the chain-rule card (k and the arrows) and the slope overlay (o). Each test
checks what the session did first, then what the screen and the notifications say."""

from __future__ import annotations

import time

import numpy as np
import pytest
from helpers import pilot_test, screen_text
from textual.widgets import DataTable, OptionList, Static

from netviz.core.activations import activation
from netviz.core.network import forward
from netviz.core.presets import PRESETS
from netviz.session.live import Session
from netviz.training.run import RunSpec
from netviz.tui.app import NetvizApp, create_app
from netviz.tui.inspector import fmt
from netviz.tui.network import LayerColumn
from netviz.tui.palette import Ask, commands
from netviz.tui.screens import BreakpointsScreen, GradCheckScreen, WatchesScreen

SIZE = (120, 40)
SPEC = RunSpec(PRESETS["seed"], train_size=300, test_size=100)


@pytest.fixture
def session(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with Session(SPEC, trace=tmp_path / "t.nvtrace") as s:
        yield s


def notes(posted: list) -> list:
    return [m.notification for m in posted if type(m).__name__ == "Notify"]


async def answer(pilot, text: str) -> None:
    """Type into the open question and submit it."""
    assert isinstance(pilot.app.screen, Ask)
    await pilot.press(*text, "enter")
    await pilot.pause()


async def wait_until(pilot, condition, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        await pilot.pause(0.02)


def static(app: NetvizApp, selector: str) -> str:
    return str(app.inspector.query_one(selector, Static).render())


# --- breakpoints -----------------------------------------------------------------------------


@pilot_test
async def test_b_adds_a_typed_condition_and_shows_the_forms(session):
    posted = []
    app = create_app(session)
    async with app.run_test(size=SIZE, message_hook=posted.append) as pilot:
        await pilot.press("b")
        await pilot.pause()
        assert "sat L1 > 30%" in screen_text(app) and "flip x17" in screen_text(app)
        await answer(pilot, "sat L1 > 30%")
        assert [b.text for b in session.breakpoints] == ["sat L1 > 30%"]
        assert "sat L1 > 30%" in notes(posted)[-1].message


@pilot_test
async def test_a_bad_breakpoint_gets_a_message_and_adds_nothing(session):
    posted = []
    app = create_app(session)
    async with app.run_test(size=SIZE, message_hook=posted.append) as pilot:
        await pilot.press("b")
        await answer(pilot, "sat L9 > 30%")
        await pilot.press("b")
        await answer(pilot, "when it feels right")
        assert session.breakpoints == []
        said = notes(posted)
        assert [n.severity for n in said] == ["error", "error"]
        assert "L1–L2" in said[0].message and "cost up" in said[1].message
        assert len(app.screen_stack) == 1  # back at the tour, not crashed


@pilot_test
async def test_B_lists_breakpoints_toggles_and_deletes_them(session):
    session.add_breakpoint("cost up")
    session.add_breakpoint("acc >= 90%")
    app = create_app(session)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("B")
        await pilot.pause()
        assert isinstance(app.screen, BreakpointsScreen)
        text = screen_text(app)
        assert "● on  cost up" in text and "acc >= 90%" in text and "no hits yet" in text
        await pilot.press("space")
        assert [b.enabled for b in session.breakpoints] == [False, True]
        assert "○ off cost up" in screen_text(app)
        await pilot.press("enter")  # enter toggles too
        assert [b.enabled for b in session.breakpoints] == [True, True]
        await pilot.press("down", "d")
        await pilot.pause()
        assert [b.text for b in session.breakpoints] == ["cost up"]
        assert app.screen.query_one(OptionList).option_count == 1
        await pilot.press("escape")
        await pilot.pause()
        assert len(app.screen_stack) == 1


@pilot_test
async def test_c_without_breakpoints_says_so(session):
    posted = []
    app = create_app(session)
    async with app.run_test(size=SIZE, message_hook=posted.append) as pilot:
        await pilot.press("c")
        await pilot.pause()
        assert not app.training and session.snapshot().epoch == 0
        assert "No breakpoints" in notes(posted)[-1].message


def hits_posted(posted: list) -> int:
    return sum(type(m).__name__ == "BreakpointHit" for m in posted)


@pilot_test
async def test_c_stops_first_in_this_pass_then_at_the_epoch_that_fires(session):
    """The tour's bug: ``sat L1 > 30%`` added with b on the first op did not fire at this
    pass's fwd/L1/A, though every neuron there is saturated: op conditions were checked only
    on passes computed after they were added, so c ran an epoch. Now c first looks at the ops
    of this pass after the cursor, then runs epochs: e1 is the first epoch that fires."""
    posted = []
    app = create_app(session)
    async with app.run_test(size=SIZE, message_hook=posted.append) as pilot:
        await pilot.press("b")
        await answer(pilot, "sat L1 > 30%")
        await pilot.press("c")
        await wait_until(pilot, lambda: hits_posted(posted) == 1)
        await app.workers.wait_for_complete()
        await pilot.pause()
        snapshot = app.snapshot
        assert session.snapshot().epoch == 0 and snapshot.address == "e0/x0/fwd/L1/A"
        A1 = snapshot.op.outputs["A1"]
        assert np.mean(A1 * (1 - A1) < 0.01) > 0.3  # saturated by the rule, worked by hand
        assert [h.condition for h in snapshot.hits] == ["sat L1 > 30%"]
        assert "● hit: sat L1 > 30%" in screen_text(app)
        assert "e0/x0/fwd/L1/A" in notes(posted)[-1].message

        await pilot.press("c")
        await wait_until(pilot, lambda: hits_posted(posted) == 2)
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert session.snapshot().epoch == 1
        snapshot = app.snapshot
        assert snapshot.address == "e1" and snapshot.kind == "epoch"
        assert [h.condition for h in snapshot.hits] == ["sat L1 > 30%"]
        note = notes(posted)[-1]
        assert "e1" in note.message and "sat L1 > 30%" in note.message
        assert snapshot.hits[0].reason in note.message
        text = screen_text(app)
        assert "● hit: sat L1 > 30%" in text  # the status bar
        assert "breakpoint sat L1 > 30% fired at e1" in text  # the inspector
        columns = {c.index: c for c in app.network.query(LayerColumn)}
        assert columns[1].has_class("-marked-layer")
        assert not columns[2].has_class("-marked-layer")


@pilot_test
async def test_stepping_onto_an_op_where_a_condition_holds_shows_the_hit(session):
    session.add_breakpoint("sat L1 > 30%")  # after the first pass was computed
    app = create_app(session)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert "● hit" not in screen_text(app)  # Z1: no activation yet
        await pilot.press("s")
        await pilot.pause()
        assert app.snapshot.address == "e0/x0/fwd/L1/A"
        assert "● hit: sat L1 > 30%" in screen_text(app)


@pilot_test
async def test_B_lists_each_hit_once(session):
    """The tour's bug: after two epochs B listed ``e1, e1, e2, e2``: each epoch's hit, and
    one for the pass each epoch reopened, although nobody stopped there (and the next epoch
    dropped that pass). Hits are now kept where a condition fired or a run stopped, once."""
    app = create_app(session)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("b")
        await answer(pilot, "sat L1 > 30%")
        for epoch in (1, 2):
            await pilot.press("e")
            await wait_until(pilot, lambda e=epoch: session.snapshot().epoch == e)
            await app.workers.wait_for_complete()
        assert [h.address for h in session.hits] == ["e1", "e2"]
        await pilot.press("B")
        await pilot.pause()
        assert isinstance(app.screen, BreakpointsScreen)
        text = screen_text(app)
        assert "hits: e1, e2" in text and "e1, e1" not in text


@pilot_test
async def test_c_runs_until_escape_when_nothing_fires(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    tuned = RunSpec(PRESETS["tuned"].with_(alpha=0.1), train_size=300, test_size=100)
    with Session(tuned, trace=tmp_path / "t.nvtrace") as session:
        session.add_breakpoint("cost up")
        app = create_app(session)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("c")
            await wait_until(pilot, lambda: session.snapshot().epoch >= 3)
            assert app.training
            await wait_until(pilot, lambda: "epoch" in app.timeline.progress)
            await pilot.press("escape")
            await app.workers.wait_for_complete()
            await pilot.pause()
            stopped = session.snapshot().epoch
            assert not app.training and session.hits == []
            await pilot.pause(0.2)
            assert session.snapshot().epoch == stopped


@pilot_test
async def test_C_goes_back_to_the_previous_hit_or_says_there_is_none(session):
    posted = []
    app = create_app(session)
    async with app.run_test(size=SIZE, message_hook=posted.append) as pilot:
        await pilot.press("C")
        await pilot.pause()
        assert "No hits" in notes(posted)[-1].message
        session.add_breakpoint("sat L1 > 30%")
        for _ in range(3):
            session.run_epoch()
        app.snapshot = session.snapshot()
        await pilot.press("C")
        await pilot.pause()
        assert app.snapshot.address == "e3" and app.snapshot.hits
        await pilot.press("C")
        await pilot.pause()
        assert app.snapshot.address == "e2"
        assert "e2" in notes(posted)[-1].message


# --- watches ---------------------------------------------------------------------------------


@pilot_test
async def test_w_shows_a_watch_equal_to_its_value_on_the_ops_arrays(session):
    app = create_app(session)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("s")  # A1 = σ(Z1)
        await pilot.press("w")
        await answer(pilot, "mean(A1)")
        A1 = app.snapshot.op.outputs["A1"]
        shown = app.snapshot.watches[0]
        assert shown.text == "mean(A1)" and not shown.error
        assert float(shown.shown) == pytest.approx(float(np.mean(A1)), rel=1e-5)
        assert f"mean(A1) = {shown.shown}" in screen_text(app)
        await pilot.press("w")
        await answer(pilot, "norm(W1)")
        await pilot.press("e")  # an epoch changes the weights, so the norm
        await app.workers.wait_for_complete()
        await pilot.pause()
        norm = app.snapshot.watches[1]
        assert norm.changed and not app.snapshot.watches[0].changed
        assert f"● norm(W1) = {norm.shown}" in screen_text(app)
        await pilot.press("S")  # Z1 = W1·x + b1, whose inputs hold the new W1
        W1 = app.snapshot.op.inputs["W1"]
        assert app.snapshot.watches[1].shown == norm.shown
        assert float(norm.shown) == pytest.approx(float(np.linalg.norm(W1)), rel=1e-5)


@pilot_test
async def test_a_hostile_watch_gets_a_message_and_is_not_added(session):
    posted = []
    app = create_app(session)
    async with app.run_test(size=SIZE, message_hook=posted.append) as pilot:
        for hostile in ("__import__('os')", "A1.T"):
            await pilot.press("w")
            await answer(pilot, hostile)
        assert session.watches == []
        said = notes(posted)
        assert [n.severity for n in said] == ["error", "error"]
        assert "attribute" in said[1].message


@pilot_test
async def test_W_lists_watches_and_deletes_one(session):
    session.add_watch("mean(x)")
    session.add_watch("argmax(x)")
    app = create_app(session)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("W")
        await pilot.pause()
        assert isinstance(app.screen, WatchesScreen)
        await pilot.press("d", "escape")
        await pilot.pause()
        assert [w.text for w in session.watches] == ["argmax(x)"]
        assert [w.text for w in app.snapshot.watches] == ["argmax(x)"]


@pilot_test
async def test_a_watch_on_a_name_no_step_has_is_refused_with_the_names(session):
    """``W9`` was accepted, then printed an error at every step; now it is refused when typed,
    in one line that lists the names a step can have."""
    posted = []
    app = create_app(session)
    async with app.run_test(size=SIZE, message_hook=posted.append) as pilot:
        await pilot.press("w")
        await answer(pilot, "norm(W9) + mean(dZ7)")
        assert session.watches == [] and app.snapshot.watches == ()
        note = notes(posted)[-1]
        assert note.severity == "error" and "\n" not in note.message
        assert note.message.startswith("no step has W9, dZ7; the names are: ")
        names = note.message.split(": ", 1)[1].split(", ")
        assert {"x", "y", "W1", "b3", "Z2", "A1", "ŷ", "yhat", "cost", "dW1", "dA2", "α"} <= set(
            names
        )
        assert "W9" not in names and not any("′" in n for n in names)  # W1′: not a name to type


@pilot_test
async def test_a_watch_waits_for_its_names_without_an_error_or_a_change(session):
    """The README's own ``norm(dW1)/norm(W1)`` printed an error at every step before backprop
    reached dW1. It now reads "not computed yet" (not an error, not a change) until then, and
    its first value is not marked as a change either: nothing was shown before it."""
    app = create_app(session)
    async with app.run_test(size=SIZE) as pilot:
        W1 = app.snapshot.op.inputs["W1"]  # Z1 = W1·x + b1: the weights this pass uses
        await pilot.press("w")
        await answer(pilot, "norm(dW1)/norm(W1)")
        assert [w.text for w in session.watches] == ["norm(dW1)/norm(W1)"]
        while not app.snapshot.address.endswith("bwd/L1/dW"):
            watch, where = app.snapshot.watches[0], app.snapshot.address
            assert watch.shown == "not computed yet" and watch.pending, where
            assert not watch.error and not watch.changed, where
            assert "norm(dW1)/norm(W1): not computed yet" in screen_text(app), where
            await pilot.press("s")
            await pilot.pause()
        watch = app.snapshot.watches[0]
        assert not watch.pending and not watch.error and not watch.changed
        want = np.linalg.norm(app.snapshot.op.outputs["dW1"]) / np.linalg.norm(W1)
        assert float(watch.shown) == pytest.approx(want, rel=1e-5)
        await pilot.press("s")  # db1: the same value, still no change
        await pilot.pause()
        assert app.snapshot.watches[0].shown == watch.shown and not app.snapshot.watches[0].changed


@pilot_test
async def test_m_says_which_digit_the_network_took_the_example_for(session):
    """m landed on an example without saying why: it now says the label, the digit the network
    predicted, and at which weights (checked with a forward pass of its own)."""
    posted = []
    app = create_app(session)
    async with app.run_test(size=SIZE, message_hook=posted.append) as pilot:
        run = session._run  # the data, to predict independently
        for epoch, words in ((0, "0 epochs"), (1, "1 epoch")):
            if epoch:
                session.run_epoch()
                app.snapshot = session.snapshot()
            weights = session._params  # the network's weights now
            await pilot.press("m")
            await pilot.pause()
            s = app.snapshot
            assert s.address.startswith(f"e{epoch}/x{s.example}/")
            out = forward(weights, run.X[:, [s.example]], run.hidden)["A3"]
            predicted = int(np.argmax(out))
            assert predicted != s.label == int(run.y[s.example])
            note = notes(posted)[-1]
            assert note.message == (
                f"Example {s.example}: label {s.label}, predicted {predicted} "
                f"(at the weights after {words})."
            )


# --- go to -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "address"),
    [("e0/x4/bwd/L2/dZ", "e0/x4/bwd/L2/dZ"), ("17", "e0/x17/fwd/L1/Z"), ("x9", "e0/x9/fwd/L1/Z")],
    ids=["address", "example", "x-example"],
)
@pilot_test
async def test_colon_goes_to_an_address_or_an_example(session, typed, address):
    app = create_app(session)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("colon")
        await answer(pilot, typed)
        assert app.snapshot.address == address == session.snapshot().address
        assert address in screen_text(app)


@pilot_test
async def test_colon_goes_to_an_epoch_and_refuses_nonsense(session):
    session.run_epoch()
    session.run_epoch()
    posted = []
    app = create_app(session)
    async with app.run_test(size=SIZE, message_hook=posted.append) as pilot:
        await pilot.press("colon")
        await answer(pilot, "e1")
        assert app.snapshot.address == "e1" and app.snapshot.kind == "epoch"
        for bad in ("e9", "somewhere"):
            await pilot.press("colon")
            await answer(pilot, bad)
        assert app.snapshot.address == "e1"
        said = notes(posted)
        assert [n.severity for n in said] == ["error", "error"]
        assert "epoch 9 has not been run" in said[0].message


@pilot_test
async def test_m_opens_the_next_misclassified_example(session):
    app = create_app(session)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("m")
        await pilot.pause()
        first = app.snapshot.example
        assert first > 0
        await pilot.press("r")  # to the guess
        await pilot.pause()
        assert app.snapshot.prediction != app.snapshot.label
        await pilot.press("m")
        await pilot.pause()
        assert app.snapshot.example > first


# --- gradient check ----------------------------------------------------------------------------


@pilot_test
async def test_v_checks_the_layers_gradients_and_gives_a_verdict(session):
    app = create_app(session)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("colon")
        await answer(pilot, "e0/x0/bwd/L3/dW")
        started = time.perf_counter()
        await pilot.press("v")
        await pilot.pause()
        assert time.perf_counter() - started < 2.0
        assert isinstance(app.screen, GradCheckScreen)
        checks = app.screen.checks
        assert len(checks) == 170 and all(c.ok for c in checks)  # W3 (10×16) and b3
        assert {c.name for c in checks} == {"W3", "b3"}
        text = screen_text(app)
        assert "all 170 entries agree" in text and "layer 3 · e0/x0/bwd/L3/dW" in text
        assert app.screen.query_one(DataTable).row_count == 170
        await pilot.press("escape")
        await pilot.pause()
        assert len(app.screen_stack) == 1


# --- chain-rule card -----------------------------------------------------------------------------


@pilot_test
async def test_k_where_no_entry_has_a_card_says_where_cards_are(session):
    posted = []
    app = create_app(session)
    async with app.run_test(size=SIZE, message_hook=posted.append) as pilot:
        await pilot.press("colon")
        await answer(pilot, "e0/x0/cost")
        await pilot.press("k")
        await pilot.pause()
        assert app.snapshot.address == "e0/x0/cost"  # a scalar: nothing to compute by hand
        assert not app.selecting and "Z, A or ŷ" in notes(posted)[-1].message


@pilot_test
async def test_k_on_a_forward_op_computes_the_entry_by_hand(session):
    """Z1[2] as on paper: the largest terms W1[2, i]·x[i], the black pixels' terms counted and
    left out, the bias, and a sum that is the recorded Z1[2]; then A1[2] = σ(Z1[2])."""
    app = create_app(session)
    async with app.run_test(size=SIZE) as pilot:
        assert app.snapshot.address == "e0/x0/fwd/L1/Z"
        await pilot.press("k", "down", "down")
        await pilot.pause()
        shown = static(app, "#card")
        op = app.snapshot.op
        W1, x, b1 = (np.asarray(op.inputs[n]) for n in ("W1", "x", "b1"))
        x = x.reshape(-1)
        terms = W1[2] * x
        by_hand = sum(float(t) for t in terms) + float(b1.reshape(-1)[2])  # a plain loop
        assert by_hand == pytest.approx(float(op.outputs["Z1"][2, 0]), rel=1e-9)
        assert "by hand: Z1[2]" in shown and "Z1[2] = Σ_i W1[2, i]·x[i] + b1[2]" in shown
        largest = int(np.argmax(np.abs(terms)))
        assert f"i = {largest}" in shown and fmt(float(terms[largest])) in shown
        assert f"{W1[2, largest]:.3g}·{x[largest]:.3g}" in shown  # the two numbers it multiplies
        assert f"{int(np.sum(x == 0))} terms are 0 (black pixels)" in shown
        assert "b1[2]" in shown and fmt(by_hand) in shown and "✓ the recorded entry" in shown
        await pilot.press("s")  # A1 = σ(Z1): the same neuron, then its Z one step down
        await pilot.pause()
        shown = static(app, "#card")
        assert "by hand: A1[2]" in shown and "A1[2] = σ(Z1[2]" in shown
        assert fmt(float(app.snapshot.op.outputs["A1"][2, 0])) in shown
        assert "one step down: Z1[2] = Σ_i" in shown


@pilot_test
async def test_the_chain_rule_card_shows_the_factors_numbers_and_the_entry(session):
    app = create_app(session)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("colon")
        await answer(pilot, "e0/x0/bwd/L2/dW")
        await pilot.press("k", "down", "down", "right", "right", "right")
        await pilot.pause()
        assert app.selecting and app.selection == (2, 3)
        assert app.snapshot.address == "e0/x0/bwd/L2/dW"  # the arrows did not move the cursor
        card = session.chain_rule("dW2", (2, 3))
        dW2 = app.snapshot.op.outputs["dW2"]
        shown = static(app, "#card")
        assert card.equation in shown and card.entry == "dW2[2, 3]"
        for factor in (*card.factors, *card.expansion.factors):
            assert f"{factor.name}" in shown and fmt(factor.value) in shown
        assert fmt(card.result) == fmt(float(dW2[2, 3])) and fmt(float(dW2[2, 3])) in shown
        assert card.expansion.equation in shown
        # the factors' neurons: dZ2[2] in layer 2, A1[3] in layer 1; layer 3 summed over
        marks = app.network.marks
        assert marks[1] == {3} and 2 in marks[2] and marks[3] is None
        columns = {c.index: c for c in app.network.query(LayerColumn)}
        assert columns[3].has_class("-marked-layer") and columns[1].marked == {3}
        await pilot.press("escape")
        await pilot.pause()
        assert not app.selecting and not app.inspector.query_one("#card").display
        await pilot.press("right")  # the arrows are the timeline's again
        await pilot.pause()
        assert app.snapshot.address == "e0/x0/bwd/L2/db"


@pilot_test
async def test_the_card_follows_steps_through_backprop_and_ends_outside_it(session):
    app = create_app(session)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("colon")
        await answer(pilot, "e0/x0/bwd/L3/dZ")
        await pilot.press("k", "down")
        await pilot.pause()
        shown = static(app, "#card")
        card = session.chain_rule("dZ3", (1,))
        assert "dZ3[1] = ŷ[1] − y[1]" in shown and fmt(card.value) in shown
        await pilot.press("s", "s", "s")  # dW3, db3, dA2: vectors and a matrix
        await pilot.pause()
        assert "dA2[1]" in static(app, "#card")
        await pilot.press("G")  # an update op has no gradient: no card
        await pilot.pause()
        assert not app.inspector.query_one("#card").display


# --- slope overlay ------------------------------------------------------------------------------


@pilot_test
async def test_o_colours_hidden_neurons_by_their_slope(session):
    posted = []
    app = create_app(session)
    async with app.run_test(size=SIZE, message_hook=posted.append) as pilot:
        await pilot.press("r")  # the forward pass done: slopes known
        await pilot.press("o")
        await pilot.pause()
        assert app.overlay
        columns = {c.index: c for c in app.network.query(LayerColumn)}
        assert columns[1].mode == "slope" and columns[3].mode == "activation"
        text = screen_text(app)
        act = activation(app.snapshot.hidden)  # the seed network's σ(Z − 1e−5)
        assert f"slopes {act.slope_label}" in text and "0.25" in text
        assert act.slope_label in notes(posted)[-1].message
        await pilot.press("o")
        await pilot.pause()
        assert columns[1].mode == "activation"


# --- palette and help ----------------------------------------------------------------------------


def test_every_debugger_key_is_in_the_palette_and_the_help(session):
    app = create_app(session)
    names = {n for n, _, _ in commands(app)}
    assert names >= {
        "Add a breakpoint…",
        "List breakpoints",
        "Continue to a breakpoint",
        "Go back to the previous hit",
        "Add a watch…",
        "List or remove watches",
        "Go to an address, example or epoch…",
        "Go to the next misclassified example",
        "Verify gradients numerically",
        "Select an entry: its hand calculation or chain rule",
        "Toggle the local-slope overlay",
    }
    keys = " ".join(k for k, _ in app.key_help())
    for key in ("b / B", "c / C", "w / W", ":", "m", "v", "k", "o"):
        assert key in keys


@pilot_test
async def test_the_palette_continues_to_a_breakpoint_like_c(session):
    session.add_breakpoint("sat L1 > 30%")
    app = create_app(session)
    async with app.run_test(size=SIZE) as pilot:
        for address in ("e0/x0/fwd/L1/A", "e1"):
            dict((n, c) for n, c, _ in commands(app))["Continue to a breakpoint"]()
            await wait_until(pilot, lambda a=address: app.snapshot.address == a)
            await app.workers.wait_for_complete()
        assert app.snapshot.hits and session.snapshot().epoch == 1
