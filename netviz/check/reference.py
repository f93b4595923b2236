"""What each op of a learner's pass should give, computed by netviz's core rules from the
learner's own inputs to that op.

Each op is checked on its own: Z2 from *their* W2, A1 and b2; dZ2 from *their* A2 and dA2. An
input they never stored in a variable (``dz2 = A2*(1−A2)*(W3.T @ dz3)`` keeps no dA2) is
computed by the same rules from what they did store. So the first op that differs is the line
with the mistake, and rounding differences never pile up from op to op.

Arrays are in netviz's layout: one column per example, W (n_l, n_{l−1}), b (n_l,).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np

from ..core.activations import RELU, SEED_SIGMOID, SIGMOID, TANH, Activation, softmax
from ..core.network import one_hot
from .names import split

Array = np.ndarray
HIDDEN = (SEED_SIGMOID, SIGMOID, TANH, RELU)  # the walkthrough's σ(Z − 1e−5) first
RTOL = {np.dtype(np.float64): 1e-7, np.dtype(np.float32): 1e-3}


def tolerance(expected: Array, scale: Array | None, dtype: np.dtype) -> float:
    """How far a value may be from the rule's and still be the same number: a relative 1e−7 of
    the largest magnitude involved (1e−3 for a float32 script). ``scale`` is the rule computed on
    magnitudes (|W|·|A| + |b| for Z), so a sum whose terms cancel is judged by its terms.
    Summing in another order moves a float64 result by about n·1e−16 of that: far below."""
    finite = [np.abs(a[np.isfinite(a)]) for a in (expected, scale) if a is not None]
    top = max((float(a.max()) for a in finite if a.size), default=0.0)
    return RTOL.get(np.dtype(dtype), 1e-7) * max(top, 1e-300)


def agrees(got: Array, expected: Array, scale: Array | None, dtype: np.dtype) -> bool:
    """Same shape, NaN and infinities in the same places, the rest within :func:`tolerance`."""
    if got.shape != expected.shape:
        return False
    bad = ~np.isfinite(expected)
    if not np.array_equal(bad, ~np.isfinite(got)):
        return False
    if bad.any() and not np.array_equal(got[bad], expected[bad], equal_nan=True):
        return False
    diff = np.abs(got[~bad] - expected[~bad])
    return not diff.size or float(diff.max()) <= tolerance(expected, scale, dtype)


def relative(got: Array, expected: Array) -> float:
    """The largest difference relative to the expected array's largest magnitude."""
    if got.shape != expected.shape or not np.isfinite(got).all():
        return float("inf")
    top = float(np.abs(expected).max()) if expected.size else 0.0
    return float(np.abs(got - expected).max() / top) if top else float(np.abs(got).max())


@dataclass
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
    _rule: dict[str, Array] = field(default_factory=dict)

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
        kind, l = split(name)
        L, get = self.layers, self.get
        if kind == "Z":
            W, A, b = get(f"W{l}"), get(f"A{l - 1}"), get(f"b{l}")
            return W @ A + b[:, None], np.abs(W) @ np.abs(A) + np.abs(b)[:, None]
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
            return W.T @ dZ, np.abs(W).T @ np.abs(dZ)
        if kind == "dW":
            dZ, A = get(f"dZ{l}"), get(f"A{l - 1}")
            return dZ @ A.T, np.abs(dZ) @ np.abs(A).T
        if kind == "db":
            dZ = get(f"dZ{l}")
            return dZ.sum(axis=1), np.abs(dZ).sum(axis=1)
        raise KeyError(name)


def hidden_candidates(Z: Array, A: Array, dtype: np.dtype) -> list[Activation]:
    """The hidden activations whose rule gives their A from their Z (all that agree)."""
    found = []
    for act in HIDDEN:
        with np.errstate(over="ignore", invalid="ignore"):
            if agrees(A, act.forward(Z), None, dtype):
                found.append(act)
    return found


Rule = Callable[[Pass], Array]
