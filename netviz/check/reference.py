"""What each op of a learner's pass should give, computed by netviz's core rules from the
learner's own inputs to that op.

Each op is checked on its own: Z2 from *their* W2, A1 and b2; dZ2 from *their* A2 and dA2. An
input they never stored in a variable (``dz2 = A2*(1−A2)*(W3.T @ dz3)`` keeps no dA2) is
computed by the same rules from what they did store. So the first op that differs is the line
with the mistake, and rounding differences never pile up from op to op.

Arrays are in netviz's layout: one column per example, W (n_l, n_{l−1}), b (n_l,).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from ..core.activations import RELU, SEED_SIGMOID, SIGMOID, TANH, Activation, softmax
from ..core.network import one_hot
from ..numbers import RTOL, tolerance
from .names import split

Array = np.ndarray
HIDDEN = (SEED_SIGMOID, SIGMOID, TANH, RELU)  # the walkthrough's σ(Z − 1e−5) first


def closeness(got: Array, expected: Array, scale: Array | None, dtype: np.dtype) -> float | None:
    """How far ``got`` is from ``expected``, relative to the largest magnitude involved, when it
    is the same number (same shape, NaN and infinities in the same places, the rest within
    :func:`tolerance`); None when it is not."""
    if got.shape != expected.shape:
        return None
    if not got.size:
        return 0.0
    diff = got - expected
    largest = float(np.abs(diff).max())
    if largest != largest or largest == np.inf:  # a NaN or an infinity somewhere
        bad = ~np.isfinite(expected)
        if not np.array_equal(bad, ~np.isfinite(got)):
            return None
        if not np.array_equal(got[bad], expected[bad], equal_nan=True):
            return None
        rest = np.abs(diff[~bad])
        largest = float(rest.max()) if rest.size else 0.0
    limit = tolerance(expected, scale, dtype)
    if largest > limit:
        return None
    return largest / limit * RTOL.get(np.dtype(dtype), 1e-7)


def agrees(got: Array, expected: Array, scale: Array | None, dtype: np.dtype) -> bool:
    """Whether ``got`` is the same number as ``expected`` (:func:`closeness`)."""
    with np.errstate(invalid="ignore", over="ignore"):
        return closeness(got, expected, scale, dtype) is not None


def relative(got: Array, expected: Array) -> float:
    """The largest difference relative to the expected array's largest magnitude."""
    if got.shape != expected.shape or not np.isfinite(got).all():
        return float("inf")
    top = float(np.abs(expected).max()) if expected.size else 0.0
    return float(np.abs(got - expected).max() / top) if top else float(np.abs(got).max())


@dataclass(eq=False)  # arrays inside: a pass is itself
class Pass:
    """One pass of the learner's network (one example, or the whole batch): their values by
    netviz's name, and the rules' values for whatever they did not store.

    ``weights`` are theirs as the pass used them; ``x`` the input (784, k); ``labels`` (k,)."""

    weights: Mapping[str, Array]
    x: Array
    labels: Array | None
    layers: int
    hidden: Activation
    example: int = 0  # the example's index (0 for a batch)
    theirs: dict[str, Array] = field(default_factory=dict)
    trained: bool = False  # a backward value was seen: the pass counts toward the epoch's sums
    kept: bool = False  # checked later, with the epoch's other kept passes (.bulk)
    own: dict[str, Array] = field(default_factory=dict)  # their dW, db of this pass alone
    lines: dict[str, tuple[str, int]] = field(default_factory=dict)  # name: (variable, line)
    magnitudes: dict[str, tuple[Array, Array]] = field(default_factory=dict)  # |W|, shared
    _rule: dict[str, Array] = field(default_factory=dict)
    _expected: dict[str, tuple[Array, Array | None]] = field(default_factory=dict)

    def keep(self, name: str, value: Array) -> None:
        """Their value of ``name``: from now on the input of the rules that read it."""
        self.theirs[name] = value
        self._expected.clear()

    def _abs(self, name: str) -> Array:
        """|W| of a weight, computed once per array (the weights stay for a whole epoch)."""
        W = self.get(name)
        kept = self.magnitudes.get(name)
        if kept is None or kept[0] is not W:
            kept = self.magnitudes[name] = (W, np.abs(W))
        return kept[1]

    @property
    def width(self) -> int:
        """Examples in the pass: 1, or the batch's m."""
        return self.x.shape[1]

    def get(self, name: str) -> Array:
        """Their value of ``name`` if they stored it in this pass, else the rule's."""
        if name in self.theirs:
            return self.theirs[name]
        if name in self.weights:
            return self.weights[name]
        if name == "A0":
            return self.x
        if name not in self._rule:
            self._rule[name] = self.expected(name)[0]
        return self._rule[name]

    def expected(self, name: str) -> tuple[Array, Array | None]:
        """(the rule's value of ``name`` from their inputs, the same rule on magnitudes or None):
        Z, A, y, dZ, dA, and the pass's dW and db summed over its examples."""
        if name not in self._expected:
            self._expected[name] = self._compute(name)
        return self._expected[name]

    def _compute(self, name: str) -> tuple[Array, Array | None]:
        kind, l = split(name)
        L, get = self.layers, self.get
        if kind == "Z":
            W, A, b = get(f"W{l}"), get(f"A{l - 1}"), get(f"b{l}")
            return W @ A + b[:, None], self._abs(f"W{l}") @ np.abs(A) + np.abs(b)[:, None]
        if kind == "A":
            Z = get(f"Z{l}")
            with np.errstate(over="ignore", invalid="ignore"):
                return (softmax(Z) if l == L else self.hidden.forward(Z)), None
        if kind == "y":
            if self.labels is None:
                raise LookupError("no labels: the one-hot y cannot be checked")
            return one_hot(self.labels, get(f"W{L}").shape[0]), None
        if kind == "dZ":
            if l == L:
                return get(f"A{L}") - get("y"), None
            slope = self.hidden.slope(get(f"A{l}"))
            return slope * get(f"dA{l}"), np.abs(slope * get(f"dA{l}"))
        if kind == "dA":
            W, dZ = get(f"W{l + 1}"), get(f"dZ{l + 1}")
            return W.T @ dZ, self._abs(f"W{l + 1}").T @ np.abs(dZ)
        if kind == "dW":  # one example's is an outer product: no sum, nothing cancels
            dZ, A = get(f"dZ{l}"), get(f"A{l - 1}")
            return dZ @ A.T, (np.abs(dZ) @ np.abs(A).T if self.width > 1 else None)
        if kind == "db":
            dZ = get(f"dZ{l}")
            return dZ.sum(axis=1), np.abs(dZ).sum(axis=1)
        raise KeyError(name)


def rule_text(name: str, p: Pass) -> str:
    """The rule of ``name`` as netviz writes it."""
    kind, l = split(name)
    L, prev = p.layers, "x" if l == 1 else f"A{l - 1}"
    return {
        "Z": f"Z{l} = W{l}·{prev} + b{l}",
        "A": f"A{l} = softmax(Z{l})" if l == L else p.hidden.equation(f"A{l}", f"Z{l}"),
        "y": "y = one-hot(label)",
        "dZ": f"dZ{l} = A{L} − y"
        if l == L
        else f"dZ{l} = {p.hidden.slope_equation(f'A{l}', f'Z{l}')}⊙dA{l}",
        "dA": f"dA{l} = W{l + 1}ᵀ·dZ{l + 1}",
        "dW": f"dW{l} = dZ{l}·{prev}ᵀ",
        "db": f"db{l} = Σ dZ{l}",
    }[kind]


def as_array(value: object) -> Array | None:
    """A learner's value as a float array (numpy, list, pandas), or None if it is not numbers."""
    if value is None or isinstance(value, (str, bytes, bool, dict)) or callable(value):
        return None
    if hasattr(value, "to_numpy"):
        value = value.to_numpy()
    try:
        a = np.array(value)
    except (TypeError, ValueError):
        return None
    return a if a.dtype.kind in "fiu" else None


def all_examples(value: Array) -> bool:
    """A labels vector or a one-hot matrix of many examples (not one example's y)."""
    return (value.ndim == 1 and value.size > 10) or (
        value.ndim == 2 and 10 in value.shape and max(value.shape) > 10 and min(value.shape) == 10
    )


def is_one_hot(y: Array) -> bool:
    return bool(np.all((y == 0) | (y == 1)) and np.all(y.sum(axis=0) == 1))
