"""Debugger tools: go-to, next misclassified, the gradient check in the session, the chain-rule
card, and the local-derivative overlay's numbers."""

from __future__ import annotations

import numpy as np
import pytest

from netviz.core.gradcheck import gradient_check
from netviz.core.network import Params, forward
from netviz.core.presets import PRESETS
from netviz.session.live import Session
from netviz.training.run import RunSpec


@pytest.fixture
def session(tmp_path):
    s = Session(
        RunSpec(PRESETS["tuned"], train_size=300, test_size=100), trace=tmp_path / "t.nvtrace"
    )
    s.run_epoch()  # weights that are no longer the initial ones
    s.phase(True)
    s.step(2)
    s.phase(True)  # the end of backprop: every gradient of the pass reached
    yield s
    s.close()


ENTRIES = [("dW3", (4, 7)), ("dW2", (3, 5)), ("dW1", (2, 300)), ("db2", (6,)), ("dZ2", (9,)),
           ("dZ3", (1,)), ("dA1", (11,))]  # fmt: skip


@pytest.mark.parametrize(("name", "index"), ENTRIES, ids=[f"{n}{list(i)}" for n, i in ENTRIES])
def test_the_chain_rule_cards_factors_give_the_recorded_gradient_entry(session, name, index):
    snap = session.snapshot()
    card = session.chain_rule(name, index)
    ops = {k: v for op in session._passes[-1].ops for k, v in op.outputs.items()}
    assert card.value == ops[name][index].item()  # dZ2[9] of a (16, 1) vector
    assert card.result == pytest.approx(card.value, rel=1e-12, abs=1e-300)
    level = card.expansion
    while level is not None:  # each step down the chain is right too
        assert level.result == pytest.approx(level.value, rel=1e-12, abs=1e-300)
        level = level.expansion
    assert snap.address.endswith("bwd/L1/db")


FORWARD = [("Z1", (7,)), ("A1", (7,)), ("Z2", (3,)), ("A2", (3,)), ("Z3", (4,)), ("ŷ", (4,))]


@pytest.mark.parametrize(("name", "index"), FORWARD, ids=[f"{n}{list(i)}" for n, i in FORWARD])
def test_a_forward_cards_hand_calculation_gives_the_recorded_entry(session, name, index):
    """Z by its terms (those left out are exactly the ones whose input is 0), A = f(Z) and
    ŷ by the softmax's own ratio: each the recorded entry, within the sum's rounding bound."""
    values = {k: v for op in session._passes[-1].ops for k, v in op.outputs.items()}
    values.update({k: v for op in session._passes[-1].ops for k, v in op.inputs.items()})
    card = session.chain_rule(name, index)
    assert card.forward and card.value == values[name][index[0], 0]
    z = card if name.startswith("Z") else card.expansion
    layer = int(z.entry[1])
    inputs = np.asarray(values["x" if layer == 1 else f"A{layer - 1}"]).reshape(-1)
    W = np.asarray(values[f"W{layer}"])
    j = int(z.entry.split("[")[1].rstrip("]"))
    assert z.zeros == int(np.sum(inputs == 0)) and len(z.factors) == inputs.size - z.zeros + 1
    terms = [f.value for f in z.factors]
    loop = sum(W[j, i] * inputs[i] for i in range(inputs.size)) + float(values[f"b{layer}"][j])
    bound = 4 * np.finfo(float).eps * (np.sum(np.abs(W[j] * inputs)) + abs(terms[-1]))
    assert abs(z.result - loop) <= bound and abs(z.value - loop) <= bound
    if card is not z:  # A = σ(Z) or ŷ = exp(Z − m) / Σ exp(Z − m), from the Z above
        Z = np.asarray(values[f"Z{layer}"]).reshape(-1)
        want = np.exp(Z[j] - Z.max()) / np.exp(Z - Z.max()).sum() if name == "ŷ" else None
        if want is None:
            want = 1 / (1 + np.exp(-Z[j]))
            assert card.factors[0].value == Z[j]
        assert card.result == pytest.approx(want, rel=1e-4)  # σ(Z − 1e−5) or tuned σ(Z)
        assert card.result == pytest.approx(card.value, rel=1e-12, abs=1e-300)


def test_the_chain_rule_card_reads_like_the_lesson(session):
    card = session.chain_rule("dW2", (3, 5))
    assert card.equation == "∂cost/∂W2[3, 5] = dZ2[3]·A1[5]"
    assert [f.name for f in card.factors] == ["dZ2[3]", "A1[5]"]
    assert card.expansion.equation == "dZ2[3] = A2[3](1−A2[3])·dA2[3]"
    assert [f.source for f in card.factors] == [(2, 3), (1, 5)]
    with pytest.raises(ValueError, match="neither a gradient nor a forward value"):
        session.chain_rule("W2", (1,))


@pytest.mark.parametrize("layer", [1, 2, 3])
def test_the_sessions_gradient_check_agrees_with_the_core_check(session, layer):
    arrays = session.check_gradients(layer)
    assert [a.name for a in arrays] == [f"W{layer}", f"b{layer}"]
    assert all(a.passed for a in arrays), [a.explain() for a in arrays]
    checks = [c for a in arrays for c in a.entries]
    p = session._passes[-1]
    run = session._run
    weights = session._weights_at(p.epoch)
    core = {(c.name, c.index): c for c in gradient_check(
        weights, run.X[:, [p.example]], np.array([p.label]), run.hidden,
        [(c.name, c.index) for c in checks])}  # fmt: skip
    for c in checks:  # the pass's example at the weights it used
        assert c.analytic == core[c.name, c.index].analytic
        assert c.status == core[c.name, c.index].status
    if layer > 1:
        assert len(checks) == weights.W[layer - 1].size + weights.b[layer - 1].size  # every entry
    else:  # W1 has 12,544: 20 where backprop's gradient is largest, 20 at random, a direction
        assert [c.chosen for c in arrays[0].checks].count("random") == 20
        assert arrays[0].direction is not None


def test_v_on_a_saturated_layer_says_not_confirmed_instead_of_agree(tmp_path):
    """The seed preset on raw pixels: one example saturates every layer-1 neuron, so dW1 and db1
    are below what differences can measure. Before, 0 = 0 counted as agreement and `v` passed."""
    with Session(RunSpec(PRESETS["seed"], train_size=300, test_size=100), record=None) as s:
        s.phase(True)
        s.step(2)
        s.phase(True)
        x = s._passes[-1].ops[0].inputs["x"]
        W1, b1 = s._weights_at(0).W[0], s._weights_at(0).b[0]
        assert np.abs(W1 @ x + b1[:, None]).min() > 20  # |Z1| > 20: σ′ < 2e−9 everywhere
        for a in s.check_gradients(1):
            assert a.verdict == "unverified" and not a.passed
            assert "saturated" in a.explain() and not any(c.status == "agrees" for c in a.entries)
        assert all(a.passed for a in s.check_gradients(3))


def test_go_to_an_address_an_example_or_an_epoch(session):
    assert session.goto("e1/x0/bwd/L2/dW").address == "e1/x0/bwd/L2/dW"
    assert session.goto("17").address == "e1/x17/fwd/L1/Z"
    assert session.goto("x17").address == "e1/x17/fwd/L1/Z"
    assert session.goto("e1").kind == "epoch"
    assert session.goto("e0/x0/cost").address == "e0/x0/cost"
    for bad, message in [("e0/x5/cost", "not opened at epoch 0"), ("e9", "has not been run"),
                         ("banana", "go to an address"), ("5000", "example must be")]:  # fmt: skip
        with pytest.raises(ValueError, match=message):
            session.goto(bad)


def test_next_misclassified_finds_the_next_example_the_network_gets_wrong(session):
    run = session._run
    snap = session.next_misclassified()
    out = forward(session._params, run.X, run.hidden)["A3"].argmax(axis=0)
    wrong = np.flatnonzero(out != run.y)
    assert snap.example == wrong[wrong > 0][0]
    assert session.next_misclassified().example == wrong[wrong > snap.example][0]
    assert snap.prediction is None  # opened at its first op: ŷ not reached yet


def test_the_overlay_shows_each_hidden_neurons_local_derivative(session):
    snap = session.snapshot()
    for l in (1, 2):
        A = snap.layers[l].activation
        np.testing.assert_array_equal(snap.layers[l].slope, A * (1 - A))
        assert snap.layers[l].slope.max() <= 0.25
    assert snap.layers[3].slope is None  # the softmax output has no σ′ to show


def test_weights_of_a_pass_are_the_ones_it_used(session):
    first = session._weights_at(0)
    assert isinstance(first, Params) and not np.array_equal(first.W[0], session._params.W[0])


def test_watches_show_their_value_at_every_stop_and_mark_changes(tmp_path):
    from netviz.debug.watch import WatchError

    with Session(RunSpec(PRESETS["seed"], train_size=300, test_size=100), record=None) as s:
        s.add_watch("argmax(yhat)")
        s.add_watch("norm(A1)")
        with pytest.raises(WatchError):
            s.add_watch("__import__('os')")
        first = s.snapshot().watches
        assert [w.text for w in first] == ["argmax(yhat)", "norm(A1)"]
        # nothing of them computed yet at fwd/L1/Z: pending, not an error
        assert all(w.pending and not w.error and w.shown == "not computed yet" for w in first)
        snap = s.step(1)  # A1 now exists
        A1 = snap.op.outputs["A1"]
        assert (
            snap.watches[1].shown == f"{float(np.linalg.norm(A1)):.6g}"
            and not snap.watches[1].changed  # a first value is not a change
        )
        snap = s.phase(True)  # ŷ reached
        assert snap.watches[0].shown == str(int(np.argmax(snap.op.outputs["ŷ"])))
        assert not snap.watches[1].changed  # A1 did not move between these stops
