"""Activations: the stable forms agree with the textbook ones and never warn."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from netviz.core.activations import (
    RELU,
    SEED_SIGMOID,
    SIGMOID,
    TANH,
    log_softmax,
    sigmoid,
    softmax,
)

EXTREMES = np.array([-1e300, -1e6, -800.0, -709.0, -40.0, -1.0, 0.0, 1e-9, 1.0, 40.0, 800.0, 1e6])


def naive_sigmoid(Z, shift=0.0):
    with np.errstate(over="ignore"):
        return 1 / (1 + np.exp(-Z + shift))


@pytest.mark.parametrize("shift", [0.0, 1e-5], ids=["plain", "seed-shift"])
def test_sigmoid_is_the_textbook_formula_bit_for_bit_within_the_clip(shift):
    Z = np.random.default_rng(0).uniform(-700, 700, 100_000)
    assert np.array_equal(sigmoid(Z, shift), naive_sigmoid(Z, shift))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_sigmoid_never_warns_and_stays_within_a_hair_of_the_naive_form(dtype):
    Z = EXTREMES.astype(dtype) if dtype == np.float64 else EXTREMES[1:].astype(dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        A = sigmoid(Z, 1e-5)
    assert A.dtype == dtype
    assert np.all((A >= 0) & (A <= 1))
    # beyond the clip the naive form returns 0 (after overflowing) or 1; ours is within e^-cut
    rtol = 1e-12 if dtype == np.float64 else 1e-5
    np.testing.assert_allclose(A, naive_sigmoid(Z.astype(np.float64), 1e-5), rtol=rtol, atol=1e-30)


def test_seed_sigmoid_is_sigma_of_z_minus_1e5():
    Z = np.linspace(-5, 5, 101)
    np.testing.assert_array_equal(SEED_SIGMOID.forward(Z), sigmoid(Z - 1e-5))
    assert SEED_SIGMOID.equation("A1", "Z1") == "A1 = σ(Z1 − 1e−5)"


def test_softmax_matches_the_walkthrough_form_and_survives_huge_logits():
    Z = np.random.default_rng(1).normal(0, 5, (10, 50))
    walkthrough = np.exp(Z + 1e-5) / np.exp(Z + 1e-5).sum(axis=0)
    np.testing.assert_allclose(softmax(Z), walkthrough, rtol=1e-13)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        big = softmax(np.array([[1000.0], [0.0], [-1000.0]]))
        logs = log_softmax(np.array([[1000.0], [0.0], [-1000.0]]))
    np.testing.assert_allclose(big.ravel(), [1, 0, 0], atol=1e-300)
    np.testing.assert_allclose(logs.ravel(), [0, -1000, -2000])
    np.testing.assert_allclose(softmax(Z).sum(axis=0), 1.0, rtol=1e-15)
    np.testing.assert_allclose(log_softmax(Z), np.log(softmax(Z)), rtol=1e-10)


@pytest.mark.parametrize("act", [SIGMOID, SEED_SIGMOID, TANH, RELU], ids=lambda a: a.name)
def test_slope_written_in_A_matches_finite_differences(act):
    Z = np.random.default_rng(2).uniform(-4, 4, 200)
    Z = Z[np.abs(Z) > 1e-3]  # relu has no derivative at 0
    h = 1e-6
    numeric = (act.forward(Z + h) - act.forward(Z - h)) / (2 * h)
    np.testing.assert_allclose(act.slope(act.forward(Z)), numeric, rtol=1e-6, atol=1e-9)


def test_the_cli_offers_exactly_the_activations_and_inits_the_core_has():
    from netviz.core.activations import ACTIVATIONS
    from netviz.core.choices import ACTIVATION_NAMES, INIT_SCHEMES
    from netviz.core.network import init_params

    assert tuple(ACTIVATIONS) == ACTIVATION_NAMES
    draws = {s: init_params((3, 2), np.random.default_rng(0), s).W[0] for s in INIT_SCHEMES}
    assert len({a.tobytes() for a in draws.values()}) == len(INIT_SCHEMES)  # all different
    with pytest.raises(ValueError, match="unknown init scheme"):
        init_params((3, 2), np.random.default_rng(0), "glorot")
