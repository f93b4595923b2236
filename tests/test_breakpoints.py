"""Breakpoints: typed conditions, each firing where it must (and only there)."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from netviz.core.presets import PRESETS
from netviz.debug.breakpoints import (
    FORMS,
    KINDS,
    OP_KINDS,
    Breakpoint,
    BreakpointError,
    EpochFacts,
    check,
    check_op,
    parse_breakpoint,
)
from netviz.session.live import Session
from netviz.trace import TraceReader
from netviz.training.run import RunSpec

PARSED = [
    ("cost up", Breakpoint("cost-up")),
    ("NaN", Breakpoint("nonfinite")),
    ("vanish L1 < 1e-6", Breakpoint("vanish", layer=1, threshold=1e-6)),
    ("explode L3 > 10", Breakpoint("explode", layer=3, threshold=10.0)),
    ("sat L1 > 30%", Breakpoint("sat", layer=1, threshold=0.3)),
    ("acc >= 90%", Breakpoint("acc", threshold=0.9)),
    ("test acc >= 85.5 %", Breakpoint("test-acc", threshold=0.855)),
    ("flip x17", Breakpoint("flip", example=17)),
]


@pytest.mark.parametrize(("text", "want"), PARSED, ids=[t for t, _ in PARSED])
def test_conditions_are_read_as_typed_and_written_back_the_same(text, want):
    bp = parse_breakpoint(text, layers=3)
    assert bp == want
    assert parse_breakpoint(bp.text, layers=3) == bp


# The forms a learner was shown before the kinds became a registry, written out by hand.
OLD_FORMS = (
    "cost up · nan · vanish L1 < 1e-6 · explode L3 > 10 · sat L1 > 30% · acc >= 90% · flip x17"
)


def test_the_forms_are_the_registrys_examples_and_each_reads_back_as_itself():
    forms = FORMS.split(" · ")
    assert forms == [kind.example for kind in KINDS if kind.listed]
    assert FORMS == OLD_FORMS + " · differs"  # the old forms unchanged; issue 13 added one
    for kind, form in zip([k for k in KINDS if k.listed], forms, strict=True):
        bp = parse_breakpoint(form, layers=3)
        assert bp.kind == kind.name and parse_breakpoint(bp.text, layers=3) == bp
        # written back as typed, but for the exponent: ``:g`` writes 1e-6 as 1e-06
        assert bp.text.replace("e-06", "e-6") == form


# Every kind typed loosely (any case, spaces as the learner likes) and as it is written back.
LOOSE = {
    "cost-up": ("  COST   Up ", "cost up"),
    "nonfinite": ("Inf", "nan"),
    "vanish": ("Vanish l2<.5", "vanish L2 < 0.5"),
    "explode": ("EXPLODE L3>1E1", "explode L3 > 10"),
    "sat": ("sat l1 >  25.0 %", "sat L1 > 25%"),
    "acc": ("acc > 90%", "acc >= 90%"),
    "test-acc": ("Test  ACC>=85.5%", "test acc >= 85.5%"),
    "flip": ("FLIP X017", "flip x17"),
    "differs": ("  Differ ", "differs"),
}


def test_every_kind_is_covered_and_round_trips_text_to_breakpoint_to_text():
    assert [kind.name for kind in KINDS] == list(LOOSE)  # a new kind needs a case here
    for kind in KINDS:
        typed, written = LOOSE[kind.name]
        bp = parse_breakpoint(typed, layers=3)
        assert (bp.kind, bp.text) == (kind.name, written)
        assert parse_breakpoint(bp.text, layers=3) == bp
        assert parse_breakpoint(kind.example, layers=3).kind == kind.name


# Conditions as traces saved them before the registry (``:g`` writes 1e-6 as 1e-06).
SAVED = ["cost up", "nan", "vanish L1 < 1e-06", "explode L3 > 0.3", "sat L2 > 99%",
         "acc >= 50%", "test acc >= 85.5%", "flip x3"]  # fmt: skip


@pytest.mark.parametrize("saved", SAVED)
def test_conditions_saved_in_old_traces_still_read_and_are_saved_again_the_same(saved):
    assert parse_breakpoint(saved, layers=3).text == saved


def test_each_kind_says_where_it_is_checked_and_only_op_kinds_fire_at_an_op():
    scopes = {kind.name: kind.scope for kind in KINDS}
    assert scopes == dict.fromkeys(LOOSE, "epoch") | {
        "nonfinite": "both",
        "sat": "both",
        "differs": "op",
    }
    assert OP_KINDS == ("nonfinite", "sat", "differs")
    op = SimpleNamespace(phase="fwd", name="A", layer=1, outputs={"A1": np.array([0.5, np.nan])})
    fired = {k.name for k in KINDS if check_op(parse_breakpoint(k.example, layers=3), op, 1.0)}
    assert fired == {"nonfinite", "sat"}


BAD = [
    ("cost down", "not a condition; write one of: cost up"),
    ("sat L3 > 30%", "hidden layers are L1–L2"),
    ("vanish L4 < 1e-6", "layers are L1–L3"),
    ("acc >= 120%", "an accuracy is 0–100 %"),
    ("sat L1 > 30", "not a condition"),
    ("", "not a condition"),
]


@pytest.mark.parametrize(("text", "message"), BAD, ids=[t or "empty" for t, _ in BAD])
def test_bad_conditions_are_refused_with_the_forms_that_would_work(text, message):
    with pytest.raises(BreakpointError, match=message):
        parse_breakpoint(text, layers=3)


def facts(epoch=2, cost=1.0, acc=0.5, norms=(0.1, 0.1, 0.1), sat=(0.1, 0.1), **kw):
    return EpochFacts(epoch, cost, acc, kw.pop("test", acc), norms, sat, **kw)


TABLE = [
    ("cost up", facts(cost=1.1), facts(cost=0.9)),
    ("nan", facts(cost=float("nan")), facts()),
    ("nan", facts(finite=False), facts()),
    ("vanish L2 < 1e-3", facts(norms=(0.1, 1e-4, 0.1)), facts()),
    ("explode L1 > 5", facts(norms=(7.0, 0.1, 0.1)), facts()),
    ("sat L2 > 30%", facts(sat=(0.1, 0.4)), facts(sat=(0.9, 0.3))),
    ("acc >= 90%", facts(acc=0.9), facts(acc=0.89)),
    ("test acc >= 80%", facts(test=0.81), facts(acc=0.95, test=0.5)),
    ("flip x3", facts(predictions={3: 7}), facts(predictions={3: 4})),
]


@pytest.mark.parametrize(("text", "fires", "quiet"), TABLE, ids=[t for t, _, _ in TABLE])
def test_each_condition_fires_where_it_must_and_not_elsewhere(text, fires, quiet):
    bp = parse_breakpoint(text, layers=3)
    before = facts(epoch=1, cost=1.0, predictions={3: 4})
    assert check(bp, fires, before)
    assert check(bp, quiet, before) is None
    assert check(bp.toggled(), fires, before) is None  # a disabled breakpoint never fires


def session(tmp_path, preset="seed", **changes):
    spec = RunSpec(PRESETS[preset].with_(**changes), train_size=600, test_size=200)
    return Session(spec, trace=tmp_path / "t.nvtrace")


def test_a_huge_learning_rate_stops_at_the_epoch_the_cost_went_up(tmp_path):
    with session(tmp_path, alpha=40.0) as s:
        s.add_breakpoint("cost up")
        hit = s.run_until_break(30)
        costs = [m.cost for m in s.snapshot().metrics]
        assert hit is not None and hit.condition == "cost up"
        assert costs[hit.epoch - 1] > costs[hit.epoch - 2]
        assert all(b <= a for a, b in zip(costs[:-2], costs[1:-1], strict=True))  # not before
        snap = s.previous_hit()
        assert snap.address == f"e{hit.epoch}" and snap.hits[0].reason.startswith(
            "the cost went up"
        )


def test_a_small_learning_rate_never_makes_the_cost_go_up(tmp_path):
    with session(tmp_path, "tuned", alpha=0.1) as s:
        s.add_breakpoint("cost up")
        assert s.run_until_break(8) is None
        assert s.snapshot().epoch == 8


def test_overflowing_weights_stop_at_nan(tmp_path):
    with session(tmp_path, activation="relu", init="he", alpha=1e200) as s:
        s.add_breakpoint("nan")
        hit = s.run_until_break(10)
        assert hit is not None and hit.condition == "nan" and hit.epoch <= 3


def test_raw_pixels_saturate_the_seed_networks_first_layer_and_not_the_tuned_one(tmp_path):
    with session(tmp_path) as s:
        s.add_breakpoint("sat L1 > 30%")
        hit = s.run_until_break(3)  # first the open pass: its layer-1 activation op
        assert hit.address == "e0/x0/fwd/L1/A" and "layer 1's neurons saturated" in hit.reason
        hit = s.run_until_break(3)  # then epochs: the first one saturates on average
        assert hit is not None and hit.epoch == 1 and "layer 1's outputs saturated" in hit.reason
        assert hit.layer == 1 and s.snapshot().address == "e1"  # the cursor on the epoch
    with session(tmp_path / "tuned", "tuned") as s:
        s.add_breakpoint("sat L1 > 30%")
        assert s.run_until_break(3) is None


def test_gradient_norms_stop_where_they_cross_their_bounds(tmp_path):
    with session(tmp_path) as s:
        s.add_breakpoint("vanish L2 < 0.1")
        hit = s.run_until_break(10)
        norms = [m.grad_norms[1] for m in s.snapshot().metrics]
        assert hit is not None and norms[-1] < 0.1 and all(n >= 0.1 for n in norms[:-1])


def test_accuracy_and_a_flipped_prediction(tmp_path):
    with session(tmp_path, "tuned") as s:
        s.add_breakpoint("acc >= 50%")
        hit = s.run_until_break(40)
        assert hit is not None and s.snapshot().metrics[-1].train_accuracy >= 0.5
        assert s.snapshot().metrics[-2].train_accuracy < 0.5
    with session(tmp_path / "flip", "tuned") as s:
        s.add_breakpoint("flip x3")
        hit = s.run_until_break(40)
        assert hit is not None and "example 3's prediction flipped" in hit.reason


def test_breakpoints_persist_with_the_trace(tmp_path):
    with session(tmp_path) as s:
        s.add_breakpoint("cost up")
        s.add_breakpoint("sat L1 > 30%")
        s.toggle_breakpoint(0)
    with TraceReader(tmp_path / "t.nvtrace") as t:
        assert t.meta["breakpoints"] == [
            {"condition": "cost up", "enabled": False},
            {"condition": "sat L1 > 30%", "enabled": True},
        ]


def test_an_exploding_bound_stops_at_the_first_epoch_above_it_and_a_high_one_never(tmp_path):
    with session(tmp_path) as s:
        s.add_breakpoint("explode L3 > 10")
        s.add_breakpoint("explode L3 > 0.3")
        hit = s.run_until_break(5)
        norms = [m.grad_norms[2] for m in s.snapshot().metrics]
        assert hit is not None and hit.condition == "explode L3 > 0.3"
        assert norms[hit.epoch - 1] > 0.3
        assert [h.condition for h in s.hits] == ["explode L3 > 0.3"]  # 10 never fired


def test_nan_and_sat_are_also_checked_at_every_op_of_a_pass(tmp_path):
    with session(tmp_path) as s:
        s.add_breakpoint("sat L1 > 30%")
        s.add_breakpoint("sat L2 > 99%")  # layer 2 of the seed network is not saturated
        s.example(1)  # a new pass, on its first op
        hit = s.run_until_break(1)
        assert hit.address == "e0/x1/fwd/L1/A" == s.snapshot().address
        assert "of layer 1's neurons saturated" in hit.reason
        s.edge(True)  # the end of the timeline, then back to the hit
        snap = s.previous_hit()
        assert snap.address == "e0/x1/fwd/L1/A" and snap.hits[0].condition == "sat L1 > 30%"
        assert [h.address for h in s.hits] == ["e0/x1/fwd/L1/A"]  # kept once


def test_a_condition_added_after_its_pass_was_computed_fires_on_it(tmp_path):
    """The tour's bug: ``sat L1 > 30%`` added on the first op of a pass was checked only on
    passes computed after it, so ``c`` ran an epoch instead of stopping at this pass's A1,
    where every neuron is saturated. Now the computed ops after the cursor are checked first,
    and the status of a step where a condition holds says so however the cursor got there."""
    with session(tmp_path) as s:
        s.add_breakpoint("sat L1 > 30%")
        A1 = s.step(1).op.outputs["A1"]  # the cursor moves onto A1: the condition holds here
        share = float(((A1 * (1 - A1)) < 0.01).mean())  # the saturation rule, by hand
        assert share > 0.3 and [h.condition for h in s.snapshot().hits] == ["sat L1 > 30%"]
        s.step(-1)
        hit = s.run_until_break(5)
        assert hit.address == "e0/x0/fwd/L1/A" == s.snapshot().address
        assert s.snapshot().epoch == 0  # no epoch was run to find it
        assert f"{100 * share:.1f} %" in hit.reason


def test_hits_are_listed_once_each_where_they_are_on_the_timeline(tmp_path):
    """``B`` listed ``e1, e1, e2, e2``: each epoch's hit, and a hit of the pass the epoch
    reopened, kept although nobody looked at that pass and the next epoch dropped it. A hit
    is now kept where a run stopped (or an epoch's check fired), once, at a step on the
    timeline."""
    with session(tmp_path) as s:
        s.add_breakpoint("sat L1 > 30%")
        s.run_until_break(5)  # e0/x0/fwd/L1/A
        s.run_until_break(5)  # e1
        s.run_epoch()  # e2 fires too; the pass reopened after e1 is dropped
        s.run_until_break(5)  # the rest of e2's reopened pass holds nothing: e3
        assert [h.address for h in s.hits] == ["e0/x0/fwd/L1/A", "e1", "e2", "e3"]
        addresses = {s.snapshot().address}
        s.edge(False)
        for _ in range(s.snapshot().timeline_length):
            addresses.add(s.move(1).address)
        assert {h.address for h in s.hits} <= addresses


def test_a_run_that_overflows_stops_at_the_first_op_or_epoch_with_an_infinity(tmp_path):
    with session(tmp_path, activation="relu", init="he", alpha=1e200) as s:
        s.add_breakpoint("nan")
        hit = s.run_until_break(10)
        assert hit is not None and s.snapshot().address == hit.address
        assert any("/fwd/" in h.address and "a NaN or an infinity in" in h.reason for h in s.hits)


@pytest.mark.parametrize(
    "text",
    [
        "vanish L1 < " + "1" * 30_000 + "x",
        "flip x" + "1" * 5_000,
        "vanish L1 < " + "1" * 150 + "x",
        "flip x" + "9" * 150,
        "sat L" + "1" * 100 + " > 30%",
    ],
    ids=["30k-digit-threshold", "5k-digit-example", "150-digits-then-x", "150-digit-example",
         "100-digit-layer"],
)  # fmt: skip
def test_absurd_conditions_are_refused_in_one_line_not_crashed_on(text):
    """Issue 11: these backtracked for 30 s or hit Python's int-digits limit (a traceback)."""
    with pytest.raises(BreakpointError) as refused:
        parse_breakpoint(text, layers=3)
    message = str(refused.value)
    assert "\n" not in message and len(message) < 400
