"""Activations: the stable forms agree with the textbook ones and never warn."""

from __future__ import annotations

import decimal
import math
import warnings

import numpy as np
import pytest

from netviz.core.activations import (
    RELU,
    SATURATION,
    SEED_SIGMOID,
    SIGMOID,
    TANH,
    log_softmax,
    sigmoid,
    softmax,
)
from netviz.core.network import as_inputs, backward, forward, init_params

EXTREMES = np.array(
    [-np.inf, -1e300, -1e6, -800.0, -709.0, -40.0, -1.0, 0.0, 1e-9, 1.0, 40.0, 800.0, 1e6, np.inf]
)
DTYPES = [np.float64, np.float32]

# σ(Z − shift) computed by decimal to 60 digits, then rounded to the dtype: independent of numpy's
# exp and of netviz's code. Points where the textbook form overflows, near the edges of the
# subnormal range (e^−745.13 rounds to 0 in float64, e^−103.97 in float32), the old clip (700,
# 80), and some where e^−t lies so near a halfway point between two subnormals that exp in
# float64 (or, without care, in long double) rounds it the wrong way on x86-64.
POINTS = {
    np.float64: [-700.5, -705.0, -708.9, -709.78, -709.8, -710.0, -720.0, -745.1, -745.13,
                 -745.14, -745.2, -746.0, -1283.0, -1576.0, -1e6, -40.0, 0.5, 40.0, 1e6,
                 -709.8455546101229, -709.9333236171357, -710.096222234028, -710.6116368915923,
                 -711.6126092161007],
    np.float32: [-80.5, -85.0, -88.7, -88.73, -90.0, -100.0, -103.9, -103.98, -104.5, -150.0,
                 -1283.0, -1e6, -20.0, 0.5, 20.0, 1e6, -88.80570220947266, -89.0408935546875,
                 -88.84530639648438],
}  # fmt: skip
TAIL = {np.float64: (-746.5, -699.5), np.float32: (-105.0, -79.5)}
CTX = decimal.Context(prec=60)
# Without a long double wider than float64 (Windows, Apple silicon) netviz's float64 tail is
# exp's own, which may be one unit off in the last place.
EXACT_FLOAT64 = np.finfo(np.longdouble).nmant >= 63


def naive_sigmoid(Z, shift=0.0):
    with np.errstate(over="ignore", under="ignore"):
        return 1 / (1 + np.exp(-Z + shift))


def exact_sigmoid(t: float) -> decimal.Decimal:
    """σ(−t) = 1/(1 + e^t), to 60 digits."""
    return CTX.divide(1, CTX.add(1, CTX.exp(decimal.Decimal(t))))


def nearest(d: decimal.Decimal, dtype) -> float:
    """The ``dtype`` number nearest to ``d``, chosen by exact comparison with its neighbours."""
    guess = np.asarray(float(d), dtype=dtype)  # within a unit of the answer
    candidates = [np.nextafter(guess, dtype(-1)), guess, np.nextafter(guess, dtype(2))]
    distance = [abs(decimal.Decimal(float(c)) - d) for c in candidates]
    best = min(distance)
    assert distance.count(best) == 1  # e^t is never halfway between two numbers
    return float(candidates[distance.index(best)])


def sample_points(dtype, n: int = 1500) -> np.ndarray:
    """POINTS and ``n`` random points over the tail, in ``dtype``."""
    lo, hi = TAIL[dtype]
    random = np.random.default_rng(7).uniform(lo, hi, n)
    return np.concatenate([POINTS[dtype], random]).astype(dtype)


@pytest.mark.parametrize("shift", [0.0, 1e-5], ids=["plain", "seed-shift"])
@pytest.mark.parametrize("dtype", DTYPES, ids=["float64", "float32"])
def test_sigmoid_is_the_textbook_formula_bit_for_bit_wherever_its_exp_does_not_overflow(
    dtype, shift
):
    limit = 709.78 if dtype == np.float64 else 88.72  # exp overflows a little above these
    rng = np.random.default_rng(0)
    Z = np.concatenate(
        [rng.uniform(-limit, limit, 50_000), rng.uniform(-limit, -limit + 12, 20_000)]
    ).astype(dtype)
    with np.errstate(over="ignore"):
        finite = np.isfinite(np.exp(-Z + shift))
    assert finite.mean() > 0.99
    np.testing.assert_array_equal(sigmoid(Z, shift)[finite], naive_sigmoid(Z, shift)[finite])


@pytest.mark.parametrize("shift", [0.0, 1e-5], ids=["plain", "seed-shift"])
@pytest.mark.parametrize("dtype", DTYPES, ids=["float64", "float32"])
def test_sigmoid_is_correctly_rounded_where_the_textbook_overflows(dtype, shift):
    Z = sample_points(dtype)
    t = -Z + dtype(shift)  # the argument the textbook forms, rounded as it rounds it
    A = sigmoid(Z, shift)
    assert A.dtype == dtype
    want = np.array([nearest(exact_sigmoid(float(v)), dtype) for v in t], dtype=dtype)
    with np.errstate(over="ignore"):
        overflows = np.isinf(np.exp(t))
    assert overflows.sum() > 500  # most random points lie where the textbook gives 0
    got, ref = A[overflows], want[overflows]
    if dtype == np.float32 or EXACT_FLOAT64:
        wrong = got != ref
        assert list(zip(Z[overflows][wrong], got[wrong], ref[wrong], strict=True)) == []
    else:
        np.testing.assert_array_max_ulp(got, ref, maxulp=1)
    # elsewhere it is the textbook's value (tested above), which is near the exact one
    info = np.finfo(dtype)
    tol = {"rtol": 8 * info.eps, "atol": 8 * info.smallest_subnormal}
    np.testing.assert_allclose(A[~overflows], want[~overflows], **tol)


@pytest.mark.parametrize("dtype", DTYPES, ids=["float64", "float32"])
def test_the_old_clipping_floor_is_gone(dtype):
    # The old sigmoid clipped exp's argument at 700 (80 in float32): everything below Z = −700
    # came out as e^−700 = 9.86e−305. Now each point has its own value, and 0 where σ is.
    deep = sigmoid(np.array([-1283.0, -1576.0, -1e6], dtype=dtype))
    assert deep.tolist() == [0.0, 0.0, 0.0]
    if dtype == np.float64:
        tail = sigmoid(np.array([-700.5, -705.0, -709.8, -720.0, -745.0]))
        floor = 1 / (1 + math.exp(700.0))
    else:
        tail = sigmoid(np.array([-80.5, -85.0, -88.8, -95.0, -103.0], dtype=np.float32))
        floor = 1 / (1 + math.exp(80.0))
    assert np.all(tail > 0) and np.all(np.diff(tail) < 0)  # strictly decreasing, none 0
    assert np.all(tail < floor)


def test_raw_pixels_leave_no_clipping_artefact_in_A1_or_dZ1(sample):
    p = init_params((784, 16, 16, 10), np.random.default_rng(0), "seed")
    X, labels = as_inputs(sample.images[:300]), sample.labels[:300].astype(np.intp)
    cache = forward(p, X, SEED_SIGMOID)
    grads = backward(p, cache, labels, SEED_SIGMOID)
    Z1, A1 = cache["Z1"], cache["A1"]
    below = Z1 - 1e-5 < -745.2  # σ rounds to 0 there
    assert below.sum() > 100  # raw 0–255 pixels put many there
    assert np.count_nonzero(A1[below]) == 0
    assert np.count_nonzero(grads["dZ1"][below]) == 0
    t = -Z1 + 1e-5
    with np.errstate(over="ignore"):
        overflows = np.isinf(np.exp(t)) & ~below  # the textbook says 0, σ is a subnormal
    assert overflows.sum() > 10
    want = [nearest(exact_sigmoid(float(v)), np.float64) for v in t[overflows]]
    np.testing.assert_array_max_ulp(A1[overflows], np.array(want), maxulp=0 if EXACT_FLOAT64 else 1)
    assert np.all(A1[overflows] > 0)


@pytest.mark.parametrize("dtype", DTYPES, ids=["float64", "float32"])
def test_sigmoid_never_warns_and_keeps_its_input(dtype):
    with np.errstate(over="ignore"):  # −1e300 is −inf in float32
        Z = np.concatenate([EXTREMES, sample_points(dtype, 200), [np.nan]]).astype(dtype)
    before = Z.copy()
    with warnings.catch_warnings(), np.errstate(all="raise"):
        warnings.simplefilter("error")
        A = sigmoid(Z, 1e-5)
        A0 = sigmoid(np.array(-750.0, dtype=dtype))  # 0-d
    np.testing.assert_array_equal(Z, before)
    assert A.dtype == dtype and A0.shape == () and A0 == 0.0
    assert np.all((A[:-1] >= 0) & (A[:-1] <= 1)) and np.isnan(A[-1])
    assert A[0] == 0.0 and A[len(EXTREMES) - 1] == 1.0  # −inf and +inf


@pytest.mark.parametrize("dtype", DTYPES, ids=["float64", "float32"])
def test_sigmoid_of_any_shape_and_memory_layout_is_the_elementwise_sigmoid(dtype):
    rng = np.random.default_rng(3)
    lo = TAIL[dtype][0] - 100
    flat = rng.uniform(lo, 50, 24 * 35).astype(dtype)  # a third of it beyond the clip
    one_by_one = np.array([sigmoid(flat[i : i + 1])[0] for i in range(flat.size)])
    cube = flat.reshape(4, 6, 35)
    views = {
        "C": cube,
        "F": np.asfortranarray(cube),
        "transposed": cube.transpose(2, 0, 1),
        "strided": cube[:, ::2, 1::3],
    }
    for name, Z in views.items():
        want = one_by_one.reshape(cube.shape)
        if name == "transposed":
            want = want.transpose(2, 0, 1)
        elif name == "strided":
            want = want[:, ::2, 1::3]
        np.testing.assert_array_equal(sigmoid(Z), want, err_msg=name)
    assert sigmoid(np.empty((0, 3), dtype=dtype)).shape == (0, 3)


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


def _sigma(z: float) -> float:
    return 1 / (1 + math.exp(-z))


# What a learner reads for each activation, and when the label says a neuron is saturated (or
# off), computed from Z with the standard library.
LABELS = {
    "sigmoid": (
        "σ′(Z) = A(1−A)",
        "0 to 0.25",
        "A(1−A) < 0.01",
        lambda z: _sigma(z) * (1 - _sigma(z)),
    ),
    "seed-sigmoid": (
        "σ′(Z−1e−5) = A(1−A)",
        "0 to 0.25",
        "A(1−A) < 0.01",
        lambda z: _sigma(z - 1e-5) * (1 - _sigma(z - 1e-5)),
    ),
    "tanh": ("tanh′(Z) = 1−A²", "0 to 1", "1−A² < 0.04", lambda z: 1 - math.tanh(z) ** 2),
    "relu": ("relu′(Z) = [Z>0]", "0 or 1", "Z ≤ 0", lambda z: float(z > 0)),
}


@pytest.mark.parametrize("act", [SIGMOID, SEED_SIGMOID, TANH, RELU], ids=lambda a: a.name)
def test_labels_say_what_the_activation_computes(act):
    slope_label, slope_range, saturated_when, slope_of = LABELS[act.name]
    assert (act.slope_label, act.slope_range) == (slope_label, slope_range)
    assert act.saturation_label.startswith(saturated_when)
    Z = np.linspace(-8, 8, 1601)
    slope = np.array([slope_of(z) for z in Z])
    np.testing.assert_allclose(act.slope(act.forward(Z)), slope, rtol=1e-9, atol=1e-12)
    assert slope.max() == pytest.approx(act.peak_slope, rel=1e-6)
    if slope_range == "0 or 1":
        assert set(slope) == {0.0, 1.0}
    else:
        assert slope_range == f"0 to {act.peak_slope:g}" and slope.min() > 0


@pytest.mark.parametrize("act", [SIGMOID, SEED_SIGMOID, TANH, RELU], ids=lambda a: a.name)
def test_saturated_is_where_the_label_says(act):
    _, _, saturated_when, slope_of = LABELS[act.name]
    Z = np.linspace(-8, 8, 16001)
    slope = np.array([slope_of(z) for z in Z])
    if act.name == "relu":
        want = Z <= 0  # off: A = 0, no gradient
    else:
        threshold = float(saturated_when.split("<")[1])
        assert threshold == pytest.approx(SATURATION * act.peak_slope)
        clear = np.abs(slope - threshold) > 1e-9  # not on the edge, where rounding decides
        Z, slope = Z[clear], slope[clear]
        want = slope < threshold
    np.testing.assert_array_equal(act.saturated(act.forward(Z)), want)
    assert 0 < want.mean() < 1


@pytest.mark.parametrize("act", [SIGMOID, SEED_SIGMOID, TANH, RELU], ids=lambda a: a.name)
def test_a_slope_is_a_new_array_that_the_epoch_may_scale_in_place(act):
    """netviz.core.epoch multiplies the slope by dA in place: it must not be A itself."""
    A = act.forward(np.linspace(-3, 3, 12).reshape(3, 4))
    before = A.copy()
    slope = act.slope(A)
    assert not np.shares_memory(slope, A)
    slope *= 2.0
    np.testing.assert_array_equal(A, before)
