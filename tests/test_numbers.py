"""The one rule for showing numbers: entries as computed (±0 as 0), and a derived mean, sum or
chain-rule result that is 0 in theory shown as 0 within its stated rounding bound, whatever the
order of the additions; a real value above the bound is shown as a number, however small."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest

from netviz.numbers import (
    cell_width,
    derived,
    epsilon,
    fmt,
    magnitude,
    mean_bound,
    mean_text,
    product_bound,
    shape_text,
    stats_line,
    sum_bound,
    sum_text,
)


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (0.0, "0"),
        (-0.0, "0"),
        (np.float32(-0.0), "0"),
        (0.123456, "+0.1235"),
        (-1283.4, "-1283"),
        (-1.943e-17, "-1.943e-17"),
        (1e-300, "+1e-300"),  # an entry as computed: tiny is not noise
        (-1.2341e-305, "-1.234e-305"),
        (float("inf"), "+inf"),
        (float("nan"), "+nan"),
    ],
    ids=["zero", "negative-zero", "float32-negative-zero", "fraction", "large", "tiny",
         "underflow-scale", "three-digit-exponent", "inf", "nan"],
)  # fmt: skip
def test_fmt_writes_sign_and_four_digits_and_zero_of_either_sign_as_0(value, shown):
    assert fmt(value) == shown


# --- summation orders: each is a legitimate way a CPU or BLAS kernel may add the entries -------


def sequential(v: np.ndarray) -> float:
    total = v.dtype.type(0)
    for x in v:
        total = total + x  # in the array's own dtype, left to right
    return float(total)


def pairwise(v: np.ndarray) -> float:
    if v.size <= 2:
        return float(v.sum(dtype=v.dtype))
    half = v.size // 2
    return float(v.dtype.type(pairwise(v[:half])) + v.dtype.type(pairwise(v[half:])))


ORDERS = {
    "numpy": lambda v: float(np.sum(v)),
    "sequential": sequential,
    "reversed": lambda v: sequential(v[::-1]),
    "shuffled": lambda v: float(np.sum(np.random.default_rng(7).permutation(v))),
    "by-magnitude": lambda v: sequential(v[np.argsort(np.abs(v))]),
    "pairwise": pairwise,
    "fsum": lambda v: math.fsum(v.astype(np.float64)),  # exact sum of the entries, rounded once
}


def softmax_minus_one_hot(z: np.ndarray, label: int) -> tuple[np.ndarray, np.ndarray]:
    """dZ3 = ŷ − y for logits ``z`` (its sum is 0 in theory: Σŷ = 1 = Σy), and ŷ + y, the
    magnitude of what its entries were computed from."""
    e = np.exp(z - z.max())
    yhat = e / e.sum()
    y = np.zeros_like(yhat)
    y[label] = 1
    return yhat - y, yhat + y


def noise_cases() -> list:
    """Derived arrays whose mean is 0 in theory: dZ3 = ŷ − y and dW3 = dZ3·A2ᵀ, for logits of
    several spreads (a confident network's dZ3 is tiny while ŷ is near 1), in both dtypes."""
    rng = np.random.default_rng(3)
    cases = []
    for dtype in (np.float64, np.float32):
        for spread in (0.5, 3.0, 12.0, 40.0):
            for k in range(4):
                z = (rng.normal(size=10) * spread).astype(dtype)
                label = int(np.argmax(z)) if k % 2 else int(rng.integers(10))
                dz, scale = softmax_minus_one_hot(z, label)
                a2 = rng.uniform(0, 1, size=16).astype(dtype)
                cases.append(pytest.param(dz, scale, id=f"dZ3-{dtype.__name__}-{spread}-{k}"))
                dw = np.outer(dz, a2)
                cases.append(
                    pytest.param(dw, np.outer(scale, a2), id=f"dW3-{dtype.__name__}-{spread}-{k}")
                )
    return cases


@pytest.mark.parametrize(("a", "scale"), noise_cases())
def test_a_mean_that_is_0_in_theory_is_shown_as_0_in_every_summation_order(a, scale):
    v = a.ravel()
    for order, total in ORDERS.items():
        mean = total(v) / v.size
        assert derived(mean, mean_bound(a, scale)) == "0", (order, mean, mean_bound(a, scale))
        assert derived(total(v), sum_bound(a, scale)) == "0", order
    assert mean_text(a, scale) == "0" and sum_text(a, scale) == "0"


def test_the_issue_s_dZ3_mean_is_0_by_the_default_bound():
    """The case the issue found: an untrained network's dZ3 (mean +1.943e−17 on one CPU), with
    the bound taken from the entries themselves, n·ε·mean|a|."""
    dz, _ = softmax_minus_one_hot(np.random.default_rng(0).normal(size=10), 5)
    for total in ORDERS.values():
        assert derived(total(dz) / dz.size, mean_bound(dz)) == "0"


def test_a_confident_dZ3_needs_the_magnitude_of_y_hat_and_y():
    """ŷ[label] = 1 − 1e−17 rounds to 1: dZ3 is tiny, its sum is the rounding of ŷ (relative to
    1), so a bound from |dZ3| alone would show noise; the bound from |ŷ| + |y| does not."""
    z = np.zeros(10)
    z[4] = 40.0
    dz, scale = softmax_minus_one_hot(z, 4)
    assert dz[4] == 0 and np.mean(dz) != 0  # the noise is there
    assert abs(np.mean(dz)) > mean_bound(dz)  # |dZ3| alone: shown as a number
    assert mean_text(dz, scale) == "0"


@pytest.mark.parametrize(("k", "shown"), [(24, False), (26, True)], ids=["0.96x", "1.04x"])
def test_a_real_mean_just_above_the_bound_is_a_number_and_just_below_is_0(k, shown):
    """±1 entries that cancel, plus δ = k·2⁻⁵⁰ on the first: every partial sum is exact in any
    order, so the mean is exactly δ/10, and the bound 10·ε·mean|a| ≈ 25·2⁻⁵⁰/10."""
    a = np.array([1.0, -1.0] * 5)
    a[0] += k * 2.0**-50
    bound = mean_bound(a)
    assert bound == pytest.approx(10 * 2.0**-52 * 1.0, rel=1e-12)
    assert bool(abs(a.mean()) > bound) is shown
    expected = f"{k * 2.0**-50 / 10:+.4g}" if shown else "0"
    for total in ORDERS.values():
        assert derived(total(a) / a.size, bound) == expected
    assert mean_text(a) == expected


def test_tiny_real_values_are_shown_not_hidden():
    """The bound is relative: a mean of entries near 1e−300 is far above ε times their size."""
    a = np.array([1e-300, 3e-300])
    assert stats_line(a) == "min +1e-300  mean +2e-300  max +3e-300"
    assert sum_text(a) == "+4e-300"


def test_negative_zero_entries_are_shown_as_0_in_statistics():
    assert stats_line(np.array([-0.0, -0.0, 2.0])) == "min 0  mean +0.6667  max +2"
    assert stats_line(np.array([-0.0, 0.0])) == "min 0  mean 0  max 0"


def test_float32_noise_is_measured_with_float32_epsilon():
    """The same dZ3 in float32: its noise (~1e−8) is far above float64's ε, within float32's."""
    z = np.random.default_rng(1).normal(size=10).astype(np.float32)
    dz, scale = softmax_minus_one_hot(z, 2)
    assert epsilon(dz.dtype) == np.finfo(np.float32).eps
    sixty_four = 10 * np.finfo(np.float64).eps * float(np.mean(scale))
    noisy = [total(dz) / 10 for total in ORDERS.values()]
    assert any(abs(m) > sixty_four for m in noisy)  # float64's bound would show noise here
    assert all(derived(m, mean_bound(dz, scale)) == "0" for m in noisy)


@pytest.mark.parametrize(
    ("factors", "shown"),
    [
        ([0.0, -3.5], "0"),  # dW1[i, j] = dZ1[i]·x[j] with a blank pixel: −0 in the old card
        ([-0.25, 0.0], "0"),
        ([1e-200, 1e-100], "+1e-300"),  # a tiny real product stays
        ([0.5, -0.25], "-0.125"),
    ],
    ids=["blank-pixel", "zero-slope", "tiny", "plain"],
)
def test_a_product_is_0_only_when_it_is_0(factors, shown):
    product = float(np.prod(factors))
    assert derived(product, product_bound(factors)) == shown
    assert product_bound(factors) == pytest.approx(
        len(factors) * np.finfo(np.float64).eps * abs(math.prod(factors)), rel=1e-12, abs=0
    )


def test_a_chain_rule_sum_that_cancels_is_0():
    """dA = Σ_k W[k, i]·dZ[k] with terms that cancel exactly in theory (x and −x in float64,
    summed in a shuffled order): 0, not ±1e−17."""
    rng = random.Random(5)
    terms = [0.1 * 3, -0.3, 0.7 - 0.2, -0.5, 1 / 3, -(1 - 2 / 3)]
    for _ in range(5):
        rng.shuffle(terms)
        total = sequential(np.array(terms))
        assert derived(total, sum_bound(np.array(terms))) == "0"


@pytest.mark.parametrize(
    ("shape", "shown"), [((), "scalar"), ((16,), "(16,)"), ((16, 784), "(16, 784)")]
)
def test_shapes_are_written_with_scalar_for_0_d(shape, shown):
    assert shape_text(shape) == shown


@pytest.mark.parametrize(
    "values",
    [
        [0.0, -0.0, 1.0, -0.5],
        [1e-5, -0.0001234, 0.1234, 12345.0],
        [1.2345e-305, -9.87e-305, 1.0],
        [1e300, -2.5e150, 3.0],
        [9.9999e99, 1e-99],
        [float("nan"), float("-inf"), 0.5],
    ],
    ids=["plain", "e-notation", "tiny", "huge", "edges", "nan-inf"],
)
def test_cell_width_fits_every_entry_as_fmt_writes_it(values):
    longest = max(len(fmt(x)) for x in values)
    assert longest <= cell_width(np.array(values)) <= 11


def test_magnitude_follows_the_lesson_s_equations_on_absolute_values():
    rng = np.random.default_rng(2)
    yhat = rng.dirichlet(np.ones(10)).reshape(-1, 1)
    y = np.zeros((10, 1))
    y[3] = 1
    values = {
        "ŷ": yhat, "y": y, "dZ3": yhat - y, "A2": rng.uniform(size=(16, 1)),
        "W3": rng.normal(size=(10, 16)), "x": rng.uniform(size=(784, 1)),
        "W1": rng.normal(size=(16, 784)), "b1": rng.normal(size=16),
    }  # fmt: skip
    abs_dz = np.abs(yhat) + np.abs(y)
    np.testing.assert_array_equal(magnitude("dZ3", values, 3), abs_dz)
    np.testing.assert_array_equal(magnitude("db3", values, 3), abs_dz)
    np.testing.assert_allclose(magnitude("dW3", values, 3), abs_dz * values["A2"].T)
    np.testing.assert_allclose(magnitude("dA2", values, 3), np.abs(values["W3"]).T @ abs_dz)
    z1 = np.abs(values["W1"]) @ values["x"] + np.abs(values["b1"]).reshape(-1, 1)
    np.testing.assert_allclose(magnitude("Z1", values, 3), z1)
    assert magnitude("A2", values, 3) is None  # an entry as computed: its own size
    assert magnitude("dZ2", values, 3) is None  # a hidden layer's dZ: |dZ2| itself


def test_a_float32_value_beside_the_float64_reference_is_judged_by_float32_s_rounding():
    """The rule netviz check judges a float32 script by (1e−3 of the largest |x|), not
    float64's 1e−7: a replay of its trace must not mark what the check passed."""
    from netviz.numbers import RTOL, differing

    rng = np.random.default_rng(3)
    reference = rng.standard_normal((16, 1))
    peak = np.abs(reference).max()
    near, far = reference.copy(), reference.copy()
    near[2, 0] += 0.5 * RTOL[np.dtype(np.float32)] * peak
    far[2, 0] += 2 * RTOL[np.dtype(np.float32)] * peak
    assert not differing(near.astype(np.float32), reference).any()
    assert differing(far.astype(np.float32), reference).sum() == 1
    # the same difference in float64, or between two float32 runs (a fork): a real one
    assert differing(near, reference).sum() == 1
    assert differing(near.astype(np.float32), reference.astype(np.float32)).sum() == 1


def test_a_saturated_slope_s_rounding_is_judged_by_the_slope_s_terms():
    """σ′ = A(1−A) of a float32 A that rounded to 1 is 0 where float64's is 1e−9: every entry
    of dZ that small. Judged by min(1 + A², 2)·|dA|, that is rounding; a dZ off by a part in
    100 of |dA| is still a difference."""
    from netviz.numbers import compared_scale, differing

    A = np.array([[1 - 1.5e-9], [1 - 3e-9], [1.0 - 2e-9]])
    dA = np.array([[0.05], [-0.02], [0.03]])
    reference = A * (1 - A) * dA
    A32 = A.astype(np.float32)  # rounds to 1
    theirs = (A32 * (1 - A32) * dA.astype(np.float32)).astype(np.float32)
    inputs = {"A1": A, "dA1": dA}
    assert differing(theirs, reference).any()  # by dZ's own tiny values: "differs"
    assert not differing(theirs, reference, compared_scale("dZ1", inputs)).any()
    wrong = theirs.copy()
    wrong[1, 0] = 0.01 * 0.02
    assert differing(wrong, reference, compared_scale("dZ1", inputs)).sum() == 1
    assert compared_scale("dW1", inputs) is None and compared_scale("dZ3", {}) is None
    # in float64 the slope's terms lose nothing: a doubled dZ of a saturated neuron is a mistake
    doubled = 2 * reference
    assert differing(doubled, reference, compared_scale("dZ1", inputs)).all()
    # a diverged run's A (1e200) has no finite square: bounded without overflowing
    with np.errstate(all="raise"):
        far = compared_scale("dZ1", {"A1": np.array([[1e200], [0.5]]), "dA1": dA[:2]})
    np.testing.assert_array_equal(far, [[2 * 0.05], [1.25 * 0.02]])
