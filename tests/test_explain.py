"""The op explanations speak the chosen activation's words, and only its words, and say exactly
what each number is."""

from __future__ import annotations

import re

import numpy as np
import pytest

from netviz.core.activations import ACTIVATIONS, SEED_SIGMOID
from netviz.core.network import init_params
from netviz.core.steps import example_ops
from netviz.debug.explain import explain

L = 3
# Every op of a single-example pass with its update, as the tour steps through them.
OPS = example_ops(
    init_params((784, 16, 16, 10), np.random.default_rng(0)), np.zeros(784), 3, SEED_SIGMOID, 0.5
)
ADDRESSES = {op.address: op for op in OPS}

# Words that belong to one activation: a text under another activation must not contain them.
MARKERS = {
    "sigmoid": {"σ", "0 or 1", "A(1−A)", "0.25", "saturated"},
    "seed-sigmoid": {"σ", "0 or 1", "A(1−A)", "0.25", "saturated", "1e−5"},
    "tanh": {"tanh", "−1 and 1", "−1 or 1", "1−A²", "saturated"},
    "relu": {"relu", "[Z>0]", "Z ≤ 0", "off"},
}
# Words each activation-dependent text must use, per op kind: (phase, name) → words.
OWN = {
    "sigmoid": {
        ("fwd", "A"): ["σ(Z)", "between 0 and 1", "near 0 or 1", "saturated"],
        ("bwd", "dZ"): ["σ′(Z) = A(1−A)", "0 to 0.25", "saturated near 0 or 1"],
        ("bwd", "dW"): ["σ output"],
    },
    "seed-sigmoid": {
        ("fwd", "A"): ["σ(Z − 1e−5)", "between 0 and 1", "near 0 or 1", "saturated"],
        ("bwd", "dZ"): ["σ′(Z−1e−5) = A(1−A)", "0 to 0.25", "saturated near 0 or 1"],
        ("bwd", "dW"): ["σ output"],
    },
    "tanh": {
        ("fwd", "A"): ["tanh(Z)", "between −1 and 1", "near −1 or 1", "saturated"],
        ("bwd", "dZ"): ["tanh′(Z) = 1−A²", "0 to 1", "saturated near −1 or 1"],
        ("bwd", "dW"): ["tanh output", "negative"],
    },
    "relu": {
        ("fwd", "A"): ["relu", "Z ≤ 0", "off"],
        ("bwd", "dZ"): ["relu′(Z) = [Z>0]", "Z ≤ 0", "off"],
        ("bwd", "dW"): ["relu is off", "Z ≤ 0"],
    },
}


def depends_on_activation(op) -> bool:
    """A hidden layer's A and dZ, and dW of a layer whose input is a hidden layer's output."""
    if (op.phase, op.name) in (("fwd", "A"), ("bwd", "dZ")):
        return op.layer < L
    return (op.phase, op.name) == ("bwd", "dW") and op.layer > 1


def text(act_name: str, address: str) -> str:
    op = ADDRESSES[address]
    return explain(op.phase, op.name, op.layer, L, ACTIVATIONS[act_name])


CASES = [(a, address) for a in ACTIVATIONS for address in ADDRESSES]


def test_the_tables_cover_every_activation():
    assert set(MARKERS) == set(OWN) == set(ACTIVATIONS)


@pytest.mark.parametrize(("act", "address"), CASES, ids=[f"{a}-{op}" for a, op in CASES])
def test_every_text_uses_its_activations_words_and_no_other(act, address):
    said = text(act, address)
    assert said, "every op has an explanation"
    foreign = set().union(*(m for name, m in MARKERS.items() if name != act)) - MARKERS[act]
    assert [w for w in sorted(foreign) if w in said] == []
    op = ADDRESSES[address]
    if depends_on_activation(op):
        missing = [w for w in OWN[act][op.phase, op.name] if w not in said]
        assert missing == [], said


@pytest.mark.parametrize(("act", "address"), CASES, ids=[f"{a}-{op}" for a, op in CASES])
def test_texts_fit_a_small_screen(act, address):
    said = text(act, address)
    assert len(re.findall(r"[.!?](?:\s|$)", said)) <= 2, said
    assert len(said) <= 240, said


@pytest.mark.parametrize("l", [2, 3])
def test_dA_is_the_costs_sensitivity_to_the_outputs_below(l):
    said = text("sigmoid", f"bwd/L{l}/dA")
    assert f"dA{l - 1} is the cost's sensitivity to each output of layer {l - 1}" in said
    assert "contributed" not in said


@pytest.mark.parametrize(
    ("address", "p", "g"),
    [(f"upd/L{l}/{p}", f"{p}{l}", f"d{p}{l}") for l in (1, 2, 3) for p in ("W", "b")],
    ids=lambda v: str(v),
)
def test_an_update_text_says_it_is_one_examples_step_which_full_batch_never_applies(address, p, g):
    said = text("sigmoid", address)
    assert "one gradient-descent step on this example alone" in said
    assert f"{p}′ = {p} − α·{g}" in said and "α times the gradient" in said
    assert "(e) never applies it" in said
    assert f"α·Σ{g}/m" in said and "mean over all m examples" in said
    assert "a step α" not in said
