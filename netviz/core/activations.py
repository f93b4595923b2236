"""Hidden-layer activations and the softmax output, each forward rule beside its derivative.

Every activation's derivative is written in terms of its output ``A`` (as the lesson writes it:
σ′ = A(1−A)), so backprop needs only what the forward pass kept.
"""

from __future__ import annotations

import decimal
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

Array = np.ndarray


def sigmoid(Z: Array, shift: float = 0.0) -> Array:
    """σ(Z − shift) = 1 / (1 + exp(−(Z − shift))), elementwise, for float64 or float32 ``Z`` of
    any shape, without a numpy warning.

    Bit for bit the textbook's 1/(1 + exp(−Z + shift)) wherever its exp does not overflow. Below
    that (Z − shift < −709.78 in float64, < −88.72 in float32), where the textbook overflows to
    0 with a warning, it is σ correctly rounded: a subnormal number, or 0 from about −745.13
    (−103.97 in float32) on, where σ rounds to 0.

    Computed in two steps, for speed: numpy's vectorised float64 exp leaves its fast path near
    ±708, and with raw 0–255 pixels about a third of Z1 lies beyond. So in float64 exp's argument
    is clipped to ±cut (700). Above Z − shift = cut that changes nothing (σ is 1 either way);
    below −cut the result is set to 0, right from −zero_from (−746) on, and the few entries in
    between (about 1 in 70 of a raw-pixel Z1) are computed again, unclipped, by
    :func:`_left_tail` (benchmarks/bench_sigmoid.py times both steps). The far side is zeroed
    by a whole-array pass (A·(not far)): picking its entries out by index, or assigning through
    a mask, costs several times that where about half a raw-pixel Z1 lies beyond −cut; only
    the few tail entries are picked out. float32's exp is as fast for any argument, so there the
    textbook runs on the whole array, unclipped (its overflows give 1/(1 + ∞) = 0, right from
    −104 on), and only the tail between −104 and −80 is computed again
    (:func:`_float32_sigmoid`: fewer passes, 4–6 % of a float32 epoch).
    """
    try:
        cut, zero_from = _LIMITS[Z.dtype]
    except KeyError:
        raise TypeError(f"sigmoid computes float64 or float32, not {Z.dtype}") from None
    t = np.subtract(shift, Z, out=np.empty_like(Z))  # −(Z − shift), as the walkthrough's −Z + 1e−5
    if t.size == 0:
        return t
    if t.dtype == np.float32:
        return _float32_sigmoid(t, cut, zero_from)
    if t.max() <= cut:  # nothing below −cut (the usual case past layer 1): the plain 1/(1 + e^t)
        if t.min() < -cut:
            np.maximum(t, -cut, out=t)  # σ is 1 either way
        return _reciprocal_of_one_plus_exp(t)
    far = t > cut  # Z − shift < −cut (NaN is not, and stays NaN)
    in_tail = np.logical_and(t < zero_from, far)  # −zero_from < Z − shift < −cut
    t_tail = t[in_tail] if np.count_nonzero(in_tail) else None  # before the clip
    np.clip(t, -cut, cut, out=t)
    A = _reciprocal_of_one_plus_exp(t)
    np.multiply(A, ~far, out=A)  # 0 where Z − shift < −cut: A·0 = 0 there, A·1 = A elsewhere
    if t_tail is not None:
        A[in_tail] = _left_tail(t_tail)
    return A


def _float32_sigmoid(t: Array, cut: float, zero_from: float) -> Array:
    """1/(1 + e^t) in place in float32 ``t`` (t = −(Z − shift)), which it returns: the textbook
    on every entry, then the tail cut < t < zero_from computed again by :func:`_left_tail` (the
    textbook where e^t is finite, σ correctly rounded where it overflowed). The same bits as
    the clipped two steps of float64, in fewer passes."""
    beyond, t_tail = t > cut, None
    if np.count_nonzero(beyond):
        tail = beyond & (t < zero_from)
        t_tail = t[tail]  # before t becomes σ
    # e^t = ∞ past t = 88.72 (σ = 1/(1 + ∞) = 0, then the tail's), and 0 far below (σ = 1)
    with np.errstate(over="ignore", under="ignore"):
        A = _reciprocal_of_one_plus_exp(t)
    if t_tail is not None and t_tail.size:
        A[tail] = _left_tail(t_tail)
    return A


def _reciprocal_of_one_plus_exp(t: Array) -> Array:
    """1/(1 + e^t), in place in ``t``, which it returns."""
    np.exp(t, out=t)
    t += 1.0
    return np.divide(1.0, t, out=t)


# (cut, zero_from) per dtype. exp keeps its fast path on [−cut, cut] (in float64 numpy's
# vectorised exp leaves it from about ±707.9), and e^−t rounds to 0 for t ≥ zero_from: it is then
# below half the smallest subnormal (from t = 1075·ln 2 = 745.13 in float64, 150·ln 2 = 103.97 in
# float32; rounded up).
_LIMITS = {np.dtype(np.float64): (700.0, 746.0), np.dtype(np.float32): (80.0, 104.0)}


def _left_tail(t: Array) -> Array:
    """σ(−t) for 1-d t in (cut, zero_from): the textbook 1/(1 + e^t) where e^t is finite, else e^−t
    correctly rounded.

    Where e^t overflows, σ = e^−t/(1 + e^−t) and e^−t < 1e−308 (1e−38 in float32) lies so far
    below the precision of 1 + e^−t that σ rounds to what e^−t rounds to.
    """
    with np.errstate(over="ignore", under="ignore"):
        e = np.exp(t)
        overflowed = np.isinf(e)
        A = np.add(e, 1.0, out=e)
        np.divide(1.0, A, out=A)  # as the textbook: 1 + e, then 1/(1 + e)
        if np.count_nonzero(overflowed):  # (faster than .any() on a small array)
            A[overflowed] = _exp_neg_rounded(t[overflowed])
    return A


def _wider(wide: type) -> tuple[type, Array]:
    """``wide`` and the factors 1 ∓ m that bracket an exact e^−t around exp's result in it: m is
    8 units in its last place, 4 times exp's error (a unit or two)."""
    m = 8 * np.finfo(wide).eps
    bracket = np.array([[1 - m], [1 + m]], dtype=wide)
    bracket.setflags(write=False)
    return wide, bracket


# The tail's e^−t runs in a type with 11 or more bits beyond the result's: float64 for float32,
# and long double for float64 where that is wider (x86-64's 80-bit one, or a 128-bit one).
_WIDER = {
    np.dtype(np.float32): _wider(np.float64),
    np.dtype(np.float64): (
        _wider(np.longdouble) if np.finfo(np.longdouble).nmant >= 63 else (None, None)
    ),
}


def _exp_neg_rounded(t: Array) -> Array:
    """e^−t correctly rounded to ``t``'s dtype, for 1-d ``t`` where that is subnormal or 0.

    e^−t is a normal number of the wider type, so the one cast rounds it correctly unless it lies
    within the bracket of a halfway point between two neighbours: those few (under 1 in 10⁴)
    are settled exactly with decimal. Where long double is no wider than float64 (Windows, Apple
    silicon), a float64 result is exp's own, which can be one unit off in the last place.
    Underflow is expected: call under ``np.errstate(under="ignore")``.
    """
    wide, bracket = _WIDER[t.dtype]
    if wide is None:
        return np.exp(-t)
    y = np.exp(np.negative(t, dtype=wide))
    lo, hi = (bracket * y).astype(t.dtype)  # (2, n): the exact e^−t lies between
    unsure = lo != hi  # it may lie on either side of a halfway point
    if np.count_nonzero(unsure):
        lo[unsure] = [_exp_neg_exact(float(v), t.dtype) for v in t[unsure]]
    return lo


def _exp_neg_exact(t: float, dtype: np.dtype) -> float:
    """e^−t rounded to the nearest multiple of ``dtype``'s smallest subnormal (ties to even), from
    40 exact digits: right wherever e^−t is below the smallest normal number."""
    tiny = np.finfo(dtype).smallest_subnormal
    ctx = decimal.Context(prec=40)
    steps = ctx.divide(ctx.exp(decimal.Decimal(-t)), decimal.Decimal(float(tiny)))
    return int(steps.to_integral_value(decimal.ROUND_HALF_EVEN)) * tiny


def softmax(Z: Array) -> Array:
    """Column-wise softmax: ŷ_k = exp(Z_k) / Σ_j exp(Z_j), for Z of shape (classes, m).

    Subtracting each column's max first changes nothing mathematically (it cancels, as the seed
    walkthrough's +1e−5 does) and keeps exp ≤ 1, so no overflow.
    """
    e = np.exp(Z - Z.max(axis=0, keepdims=True))
    e /= e.sum(axis=0, keepdims=True)
    return e


def log_softmax(Z: Array) -> Array:
    """log ŷ for Z of shape (classes, m), stable: Z − max − log Σ exp(Z − max), never log 0."""
    shifted = Z - Z.max(axis=0, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=0, keepdims=True))


SATURATION = 0.04  # a neuron is saturated where its slope is below this fraction of the peak


@dataclass(frozen=True)
class Activation:
    """A hidden-layer activation: A = f(Z), with its derivative written in A.

    ``formula`` and ``slope_formula`` are templates for the equations the UI shows; ``{A}`` and
    ``{Z}`` are replaced with the layer's names (``A1``, ``Z1``).
    """

    name: str
    forward: Callable[[Array], Array]
    slope: Callable[[Array], Array]  # f′(Z), computed from A = f(Z)
    formula: str
    slope_formula: str
    peak_slope: float  # the largest f′ can be: 0.25 for σ, 1 for tanh and relu
    slope_label: str  # the slope as a learner reads it: ``σ′(Z) = A(1−A)``
    slope_range: str  # the values the slope takes: ``0 to 0.25``
    saturation_label: str  # when a neuron counts as saturated, in words and formula

    def saturated(self, A: Array) -> Array:
        """Where f′ < 4 % of its peak, as ``saturation_label`` says: little or no gradient flows
        back (σ: A(1−A) < 0.01; tanh: 1−A² < 0.04; relu: Z ≤ 0, where A = 0 and f′ = 0)."""
        return self.flat(self.slope(A))

    def flat(self, slope: Array) -> Array:
        """Where a slope f′ already computed is below 4 % of its peak: :meth:`saturated`."""
        return slope < SATURATION * self.peak_slope

    def equation(self, A: str, Z: str) -> str:
        """The forward rule as shown, e.g. ``A1 = σ(Z1)``."""
        return f"{A} = " + self.formula.format(A=A, Z=Z)

    def slope_equation(self, A: str, Z: str) -> str:
        """The local derivative as shown, e.g. ``A1(1−A1)``."""
        return self.slope_formula.format(A=A, Z=Z)


def _sigmoid_slope(A: Array) -> Array:
    return A * (1.0 - A)


_SIGMOID_SATURATION = "A(1−A) < 0.01: A near 0 or 1"  # 0.01 = SATURATION × 0.25
SIGMOID = Activation(
    "sigmoid",
    sigmoid,
    _sigmoid_slope,
    "σ({Z})",
    "{A}(1−{A})",
    0.25,
    "σ′(Z) = A(1−A)",
    "0 to 0.25",
    _SIGMOID_SATURATION,
)

# The seed walkthrough writes its sigmoid 1/(1+exp(−Z+1e−5)), i.e. A = σ(Z − 1e−5); its slope
# dA/dZ = σ′(Z − 1e−5) is still A(1−A), written in its own A.
SEED_SHIFT = 1e-5
SEED_SIGMOID = Activation(
    "seed-sigmoid",
    lambda Z: sigmoid(Z, SEED_SHIFT),
    _sigmoid_slope,
    "σ({Z} − 1e−5)",
    "{A}(1−{A})",
    0.25,
    "σ′(Z−1e−5) = A(1−A)",
    "0 to 0.25",
    _SIGMOID_SATURATION,
)
TANH = Activation(
    "tanh",
    np.tanh,
    lambda A: 1.0 - A * A,
    "tanh({Z})",
    "(1−{A}²)",
    1.0,
    "tanh′(Z) = 1−A²",
    "0 to 1",
    "1−A² < 0.04: A near −1 or 1",
)
RELU = Activation(
    "relu",
    lambda Z: np.maximum(Z, 0.0),
    lambda A: (A > 0).astype(A.dtype),
    "max({Z}, 0)",
    "[{A}>0]",
    1.0,
    "relu′(Z) = [Z>0]",
    "0 or 1",
    "Z ≤ 0: the neuron is off and passes no gradient",
)

ACTIVATIONS: dict[str, Activation] = {a.name: a for a in (SIGMOID, SEED_SIGMOID, TANH, RELU)}
# ACTIVATIONS holds exactly choices.ACTIVATION_NAMES (checked by a test; the CLI lists those).


def activation(name: str) -> Activation:
    """The activation called ``name``; ValueError lists the known names."""
    try:
        return ACTIVATIONS[name]
    except KeyError:
        known = ", ".join(ACTIVATIONS)
        raise ValueError(f"unknown activation {name!r} (known: {known})") from None
