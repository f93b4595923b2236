"""The network: a hand-worked 2-2-2 example, init, update, backprop against finite differences."""

from __future__ import annotations

import math

import numpy as np
import pytest

from netviz.core.activations import RELU, SEED_SIGMOID, SIGMOID, TANH
from netviz.core.gradcheck import gradient_check, sample_entries
from netviz.core.network import (
    Params,
    as_inputs,
    backward,
    costs,
    forward,
    init_params,
    update,
)


def two_two_two() -> Params:
    W1 = np.array([[0.1, -0.2], [0.4, 0.3]])
    b1 = np.array([0.05, -0.1])
    W2 = np.array([[0.5, -0.6], [-0.3, 0.2]])
    b2 = np.array([0.0, 0.1])
    return Params((W1, W2), (b1, b2))


def test_hand_worked_two_two_two_network():
    """x = (1, 2), label 0, plain sigmoid hidden layer, softmax output; worked with scalars."""
    p = two_two_two()
    x = np.array([[1.0], [2.0]])
    cache = forward(p, x, SIGMOID)
    grads = backward(p, cache, np.array([0]), SIGMOID)

    s = lambda z: 1 / (1 + math.exp(-z))  # noqa: E731
    z1 = [0.1 * 1 - 0.2 * 2 + 0.05, 0.4 * 1 + 0.3 * 2 - 0.1]  # -0.25, 0.9
    a1 = [s(z) for z in z1]
    z2 = [0.5 * a1[0] - 0.6 * a1[1] + 0.0, -0.3 * a1[0] + 0.2 * a1[1] + 0.1]
    e = [math.exp(z) for z in z2]
    yhat = [v / sum(e) for v in e]
    cost = -math.log(yhat[0])
    dz2 = [yhat[0] - 1, yhat[1]]
    da1 = [0.5 * dz2[0] - 0.3 * dz2[1], -0.6 * dz2[0] + 0.2 * dz2[1]]
    dz1 = [a1[i] * (1 - a1[i]) * da1[i] for i in range(2)]

    # pinned by hand (a calculator, 6 figures): z1 = (-0.25, 0.9), a1 = σ(z1) = (0.437823,
    # 0.710950); z2 = W2·a1 + b2 = (-0.207658, 0.110843); ŷ = softmax(z2) = (0.421041, 0.578959);
    # cost = -ln 0.421041 = 0.865025; dz2 = ŷ - y = (-0.578959, 0.578959);
    # dz1 = a1(1-a1)·W2ᵀdz2 = (-0.114001, 0.0951810)
    np.testing.assert_allclose(z1, [-0.25, 0.9])
    np.testing.assert_allclose(a1, [0.437823, 0.710950], atol=1e-6)
    pinned = {
        "Z2": [-0.207658, 0.110843],
        "A2": [0.421041, 0.578959],
        "dZ2": [-0.578959, 0.578959],
        "dZ1": [-0.114001, 0.0951810],
    }
    for name, values in pinned.items():
        where = cache if name in cache else grads
        np.testing.assert_allclose(where[name].ravel(), values, atol=1e-6, err_msg=name)
    assert costs(cache["Z2"], np.array([0]))[0] == pytest.approx(0.865025, abs=1e-6)
    np.testing.assert_allclose(
        grads["dW1"], [[-0.114001, -0.228002], [0.0951810, 0.190362]], atol=1e-6
    )
    np.testing.assert_allclose(cache["Z1"].ravel(), z1, rtol=1e-15)
    np.testing.assert_allclose(cache["A1"].ravel(), a1, rtol=1e-15)
    np.testing.assert_allclose(cache["Z2"].ravel(), z2, rtol=1e-14)
    np.testing.assert_allclose(cache["A2"].ravel(), yhat, rtol=1e-14)
    np.testing.assert_allclose(costs(cache["Z2"], np.array([0])), [cost], rtol=1e-14)
    np.testing.assert_allclose(grads["dZ2"].ravel(), dz2, rtol=1e-14)
    np.testing.assert_allclose(grads["dW2"], np.outer(dz2, a1), rtol=1e-14)
    np.testing.assert_allclose(grads["db2"], dz2, rtol=1e-14)
    np.testing.assert_allclose(grads["dA1"].ravel(), da1, rtol=1e-14)
    np.testing.assert_allclose(grads["dZ1"].ravel(), dz1, rtol=1e-13)
    np.testing.assert_allclose(grads["dW1"], np.outer(dz1, [1.0, 2.0]), rtol=1e-13)
    np.testing.assert_allclose(grads["db1"], dz1, rtol=1e-13)


def test_update_is_w_minus_alpha_times_mean_gradient():
    p = two_two_two()
    dW = (np.ones((2, 2)), np.full((2, 2), 2.0))
    db = (np.ones(2), np.zeros(2))
    new = update(p, dW, db, alpha=0.5, m=4)
    np.testing.assert_allclose(new.W[0], p.W[0] - 0.125)
    np.testing.assert_allclose(new.W[1], p.W[1] - 0.25)
    np.testing.assert_allclose(new.b[1], p.b[1])
    assert not new.W[0].flags.writeable


def test_seed_init_is_rand_minus_half_in_the_order_w1_b1_w2():
    p = init_params((784, 16, 16, 10), np.random.default_rng(7), "seed")
    rng = np.random.default_rng(7)
    expect_W1, expect_b1 = rng.random((16, 784)) - 0.5, rng.random(16) - 0.5
    np.testing.assert_array_equal(p.W[0], expect_W1)
    np.testing.assert_array_equal(p.b[0], expect_b1)
    assert [w.shape for w in p.W] == [(16, 784), (16, 16), (10, 16)]
    assert all(np.all((w >= -0.5) & (w < 0.5)) for w in (*p.W, *p.b))
    assert p.sizes == (784, 16, 16, 10)


@pytest.mark.parametrize("scheme", ["seed", "xavier", "he"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_init_is_reproducible_and_has_the_asked_dtype(scheme, dtype):
    a = init_params((5, 4, 3), np.random.default_rng(3), scheme, dtype)
    b = init_params((5, 4, 3), np.random.default_rng(3), scheme, dtype)
    assert all(np.array_equal(x, y) for x, y in zip(a.W + a.b, b.W + b.b, strict=True))
    assert a.dtype == dtype


def test_forward_on_a_batch_equals_forward_column_by_column():
    p = init_params((6, 5, 4, 3), np.random.default_rng(4), "xavier")
    X = np.random.default_rng(5).random((6, 9))
    batch = forward(p, X, TANH)
    for i in range(9):
        one = forward(p, X[:, i : i + 1], TANH)
        np.testing.assert_allclose(batch["A3"][:, i : i + 1], one["A3"], rtol=1e-14)


@pytest.mark.parametrize("act", [SIGMOID, SEED_SIGMOID, TANH, RELU], ids=lambda a: a.name)
def test_backward_matches_finite_differences_for_every_parameter_of_a_small_network(act):
    rng = np.random.default_rng(11)
    p = init_params((5, 4, 3, 3), rng, "seed")
    X, labels = rng.normal(0, 1, (5, 7)), rng.integers(0, 3, 7)
    checks = list(gradient_check(p, X, labels, act))
    assert len(checks) == sum(a.size for a in p.named().values())
    worst = max(checks, key=lambda c: c.rel_error)
    assert worst.rel_error < 1e-6, worst


def test_backward_matches_finite_differences_on_sampled_entries_of_784_16_16_10(sample):
    """Scaled pixels, Xavier init: every sampled entry of every W and b within 1e−6."""
    rng = np.random.default_rng(12)
    p = init_params((784, 16, 16, 10), rng, "xavier")
    X = as_inputs(sample.images[:20], np.float64, scale_pixels=True)
    checks = list(gradient_check(p, X, sample.labels[:20], SIGMOID, sample_entries(p, 25, rng)))
    worst = max(checks, key=lambda c: c.rel_error)
    assert worst.rel_error < 1e-6, worst
    assert sum(abs(c.analytic) > 1e-5 for c in checks if c.name == "W1") > 10


def test_seed_network_on_raw_pixels_passes_where_differences_can_measure(sample):
    """Raw 0–255 pixels saturate the seed network: many W1 gradients are ~1e−8, below what a
    difference quotient of a cost of ~2.5 resolves. Those pass on the noise bound; every gradient
    above 1e−5 must still agree to 1e−6."""
    rng = np.random.default_rng(12)
    p = init_params((784, 16, 16, 10), rng, "seed")
    X = as_inputs(sample.images[:20])
    checks = list(
        gradient_check(p, X, sample.labels[:20], SEED_SIGMOID, sample_entries(p, 25, rng))
    )
    assert all(c.ok for c in checks), [c for c in checks if not c.ok]
    measurable = [c for c in checks if abs(c.analytic) > 1e-5]
    assert len(measurable) > 40
    assert max(c.rel_error for c in measurable) < 1e-6


def test_gradient_check_catches_a_wrong_slope():
    """The check must be able to fail: a sigmoid whose slope forgets the (1 − A) factor."""
    from dataclasses import replace

    wrong = replace(SIGMOID, slope=lambda A: A)
    rng = np.random.default_rng(13)
    p = init_params((4, 3, 3), rng, "seed")
    X, labels = rng.normal(0, 1, (4, 5)), rng.integers(0, 3, 5)
    checks = list(gradient_check(p, X, labels, wrong))
    assert max(c.rel_error for c in checks) > 1e-2
    assert not all(c.ok for c in checks)
