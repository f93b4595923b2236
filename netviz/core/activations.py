"""Hidden-layer activations and the softmax output, each forward rule beside its derivative.

Every activation's derivative is written in terms of its output ``A`` (as the lesson writes it:
σ′ = A(1−A)), so backprop needs only what the forward pass kept.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

Array = np.ndarray


def sigmoid(Z: Array, shift: float = 0.0) -> Array:
    """σ(Z − shift) = 1 / (1 + exp(−(Z − shift))), elementwise, any shape, without overflow.

    For |z| ≤ cut (700 in float64, 80 in float32) this is the textbook formula, computed bit for
    bit as written. Beyond, the exponent is clipped to ±cut: exp then never overflows (the naive
    form does below z ≈ −709.8, with a warning, and returns 0 there) and never goes subnormal or
    near it, where it costs ~15–50× the time of a normal exp. Clipping changes only results
    already within e^−cut of 0 or 1: below z = −cut they are e^−cut (9.9e−305 in float64), not
    the naive form's ~0; above z = cut both give 1.
    """
    cut = _cut(Z.dtype)
    t = np.subtract(shift, Z)  # −(Z − shift), as the walkthrough's −Z + 1e−5
    np.clip(t, -cut, cut, out=t)
    np.exp(t, out=t)
    t += 1.0
    return np.divide(1.0, t, out=t)


def _cut(dtype: np.dtype) -> float:
    """How far exp's argument may go: e^±cut is finite and normal, and numpy's vectorised exp keeps
    its fast path (in float64 it leaves it from about ±707.9)."""
    return 700.0 if np.dtype(dtype).itemsize >= 8 else 80.0


def softmax(Z: Array) -> Array:
    """Column-wise softmax: ŷ_k = exp(Z_k) / Σ_j exp(Z_j), for Z of shape (classes, m).

    Subtracting each column's max first changes nothing mathematically (it cancels, as the seed
    walkthrough's +1e−5 does) and keeps exp ≤ 1, so no overflow.
    """
    e = np.exp(Z - Z.max(axis=0, keepdims=True))
    return e / e.sum(axis=0, keepdims=True)


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
        """Where f′ < 4 % of its peak: little gradient flows back (σ: A(1−A) < 0.01; relu: dead)."""
        return self.slope(A) < SATURATION * self.peak_slope

    def equation(self, A: str, Z: str) -> str:
        """The forward rule as shown, e.g. ``A1 = σ(Z1)``."""
        return f"{A} = " + self.formula.format(A=A, Z=Z)

    def slope_equation(self, A: str, Z: str) -> str:
        """The local derivative as shown, e.g. ``A1(1−A1)``."""
        return self.slope_formula.format(A=A, Z=Z)


def _sigmoid_slope(A: Array) -> Array:
    return A * (1.0 - A)


_SIGMOID_TEXTS = ("σ′(Z) = A(1−A)", "0 to 0.25", "A(1−A) < 0.01: A near 0 or 1")
SIGMOID = Activation(
    "sigmoid", sigmoid, _sigmoid_slope, "σ({Z})", "{A}(1−{A})", 0.25, *_SIGMOID_TEXTS
)

# The seed walkthrough writes its sigmoid 1/(1+exp(−Z+1e−5)), i.e. σ(Z − 1e−5); its derivative
# is still A(1−A) because the shift does not change the slope's form.
SEED_SHIFT = 1e-5
SEED_SIGMOID = Activation(
    "seed-sigmoid",
    lambda Z: sigmoid(Z, SEED_SHIFT),
    _sigmoid_slope,
    "σ({Z} − 1e−5)",
    "{A}(1−{A})",
    0.25,
    *_SIGMOID_TEXTS,
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
