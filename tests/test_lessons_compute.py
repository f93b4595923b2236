""" "You compute it": a learner's number set against each factor of the right one. Each case
makes a wrong number by a known slip from the pass's own arrays, and checks that the feedback
says what each factor would have to be (computed here, independently) and names the slip."""

from __future__ import annotations

import numpy as np
import pytest

from netviz.core.presets import PRESETS
from netviz.lessons.compute import against
from netviz.numbers import fmt
from netviz.session.live import Session
from netviz.training.run import RunSpec


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    spec = RunSpec(PRESETS["tuned"], train_size=200, test_size=50)
    with Session(spec, trace=tmp_path_factory.mktemp("compute") / "t.nvtrace") as s:
        s.run_epoch()  # weights past their start
        s.phase(True)
        s.step(2)
        s.phase(True)  # the end of backprop: every value of the pass reached
        yield s


def values(run) -> dict[str, np.ndarray]:
    return {k: np.asarray(v) for k, v in run.arrays().items()}


def said(lines: list[str]) -> str:
    return "\n".join(lines)


def test_a_right_number_shows_the_factors_and_names_no_slip(run):
    card = run.chain_rule("dZ2", (3,))
    lines = against(card, card.result)
    assert lines[0] == card.equation and not any("Likely" in line for line in lines)
    for factor in card.factors:
        assert any(factor.name in line and fmt(factor.value) in line for line in lines)


@pytest.mark.parametrize(
    ("name", "index"), [("dZ2", (3,)), ("dW3", (5, 2)), ("Z1", (4,))], ids=["dZ2", "dW3", "Z1"]
)
def test_a_number_computed_from_the_factors_as_shown_is_right_to_their_rounding(run, name, index):
    """The card shows 4 significant digits; a learner who computes from those lands near the
    result, not on it: no factor "needs" another value for that, and no slip is named."""
    card = run.chain_rule(name, index)
    shown = [float(fmt(f.value)) for f in card.factors]
    given = float(np.prod(shown) if card.combine == "product" else np.sum(shown))
    assert given != card.result  # the rounding shows
    text = said(against(card, given))
    assert "yours needs" not in text and "Likely" not in text
    assert text.endswith(f"yours {fmt(given)}: right, to the rounding of the numbers shown")
    off = card.result + 50 * abs(given - card.result) + 0.01 * abs(card.result)  # beyond it
    assert "yours needs" in said(against(card, off))


def test_a_function_cards_number_is_right_to_rounding_only_near_the_result(run):
    """A = σ(Z) and ŷ: computed from the card's numbers as shown, right to their rounding; σ
    of a Z in the hundreds (1 to every digit) is not 1.045, however Z was rounded; and a
    number the question judged wrong is never called right here."""
    v = values(run)
    j = int(np.argmin(np.abs(v["Z2"][:, 0])))  # the neuron nearest σ's middle
    card = run.chain_rule("A2", (j,))
    z = float(fmt(card.factors[0].value))
    given = 1 / (1 + np.exp(-z))
    text = said(against(card, given))
    assert given == card.result or text.endswith("right, to the rounding of the numbers shown")
    k = int(np.argmax(v["ŷ"][:, 0]))
    card = run.chain_rule("ŷ", (k,))
    top, total = (float(fmt(f.value)) for f in card.factors[:2])
    assert said(against(card, top / total)).endswith("right, to the rounding of the numbers shown")
    assert "right" not in said(against(card, top / total, judged_right=False))
    assert "right" not in said(against(card, card.result * 1.045))


def test_a_saturated_sigmoid_is_not_right_to_rounding_far_from_its_value(tmp_path):
    spec = RunSpec(PRESETS["seed"], train_size=200, test_size=50)  # raw pixels: |Z1| ~ 100s
    with Session(spec, trace=tmp_path / "seed.nvtrace") as s:
        s.step(1)  # A1 = σ(Z1)
        Z1 = np.asarray(s.arrays()["Z1"])[:, 0]
        j = int(np.argmax(Z1))
        assert Z1[j] > 100
        card = s.chain_rule("A1", (j,))
        text = said(against(card, 1.045))
    assert "right" not in text


def test_a_factor_left_out_of_a_product_is_named_and_each_factors_need_shown(run):
    v = values(run)
    slope, dA = v["A2"][3, 0] * (1 - v["A2"][3, 0]), v["dA2"][3, 0]
    given = float(dA)  # dZ2[3] without the sigmoid's slope
    text = said(against(run.chain_rule("dZ2", (3,)), given))
    assert f"yours needs {fmt(given / dA)}" in text  # the slope would have to be 1
    assert f"yours needs {fmt(given / slope)}" in text  # or dA2[3] what it is over the slope
    assert "Likely: A2[3](1−A2[3]) left out." in text


def test_a_wrong_factor_shows_as_the_value_it_would_need(run):
    v = values(run)
    given = float(v["dZ3"][5, 0] * v["A2"][3, 0])  # dW3[5, 2] with A2[3] for A2[2]
    text = said(against(run.chain_rule("dW3", (5, 2)), given))
    line = next(line for line in text.splitlines() if line.strip().startswith("A2[2]"))
    assert f"yours needs {fmt(float(v['A2'][3, 0]))}" in line


def test_a_flipped_sign_is_named(run):
    card = run.chain_rule("dW3", (5, 2))
    assert "Likely: the sign flipped." in said(against(card, -card.result))


def test_the_bias_left_out_of_a_long_sum_is_named(run):
    v = values(run)
    card = run.chain_rule("Z2", (4,))
    given = float(v["W2"][4] @ v["A1"][:, 0])  # without b2[4]
    text = said(against(card, given))
    assert "Likely: b2[4] left out." in text and "more terms" in text
    assert f"yours needs {fmt(given - float(v['W2'][4] @ v['A1'][:, 0]))}" in text  # b2[4]: 0


def test_the_label_left_out_of_the_output_error_is_named(run):
    v = values(run)
    label = int(np.argmax(v["y"][:, 0]))
    given = float(v["ŷ"][label, 0])  # dZ3[label] = ŷ − y without the −1
    assert f"Likely: −y[{label}] left out." in said(against(run.chain_rule("dZ3", (label,)), given))


def test_an_activation_not_applied_is_named(run):
    v = values(run)
    given = float(v["Z1"][6, 0])  # A1[6] typed as Z1[6]
    text = said(against(run.chain_rule("A1", (6,)), given))
    assert "Likely: Z1[6] itself: the activation was not applied." in text


def test_a_long_sum_blames_only_the_terms_it_lists(run):
    """Z1[7]'s hundred-odd terms: a wrong number is never put down to a term not shown."""
    card = run.chain_rule("Z1", (7,))
    listed = {line.strip().split("  ")[0] for line in against(card, 0.0)[1:] if "·x[" in line}
    rng = np.random.default_rng(1)
    for given in card.result + rng.normal(0, abs(card.result) + 1, 200):
        slip = [line for line in against(card, float(given)) if "Likely" in line]
        if slip and "b1[7]" not in slip[0] and "sign flipped" not in slip[0]:
            assert any(name in slip[0] for name in listed), slip


def test_a_da_card_lists_its_largest_terms_and_no_bias(run):
    card = run.chain_rule("dA1", (3,))  # Σ_k W2[k, 3]·dZ2[k]: 16 terms, no bias
    lines = against(card, 0.0)
    shown = [line for line in lines[1:] if line.startswith("  W2[")]
    largest = sorted(card.factors, key=lambda f: -abs(f.value))[: len(shown)]
    assert all(line.strip().startswith(f.name) for line, f in zip(shown, largest, strict=True))
    assert not any("yours needs" in line for line in shown)  # no term takes the blame alone


def test_softmax_slips_are_named(run):
    v = values(run)
    card = run.chain_rule("ŷ", (4,))
    top = card.factors[0].value  # exp(Z3[4] − m), before the division
    assert "not divided by Σ_k exp(Z3[k] − m)" in said(against(card, top))
    z = float(v["Z3"][4, 0])
    assert "softmax was not applied" in said(against(card, z))
