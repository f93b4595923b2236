"""Numerical gradient check: backprop's gradients against central differences of the cost.

For a parameter entry θ, with J the mean cross-entropy over the examples given and the central
difference D(h) = (J(θ + h) − J(θ − h)) / 2h, numeric = (4·D(ε/2) − D(ε)) / 3 (Richardson's
extrapolation: its truncation error is O(ε⁴), not O(ε²); raw 0–255 pixels make the cost curve
sharply enough in W1 that plain D(ε) misses by 1e−5 where backprop is right). analytic = ΣdW/m
from :func:`backward`, the gradient the update uses.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import numpy as np

from .activations import Activation
from .network import Params, backward, costs, forward

Array = np.ndarray
FLOOR = 1e-8  # gradients smaller than this count as zero when forming the relative error
TOLERANCE = 1e-6  # a relative error below this passes


@dataclass(frozen=True)
class Check:
    """One checked entry: ``name`` (``W2``), ``index`` into it, both gradients, relative error.

    ``noise`` bounds the rounding error of the difference quotient itself, about
    ε_machine·|J|/ε: a gradient far below it (a saturated sigmoid's, say) cannot be measured to
    1e−6 by differences, however right backprop is.
    """

    name: str
    index: tuple[int, ...]
    analytic: float
    numeric: float
    noise: float = 0.0

    @property
    def rel_error(self) -> float:
        """|a − n| / max(|a|, |n|, FLOOR): scale-free, and 0-safe for entries with no gradient."""
        a, n = self.analytic, self.numeric
        return abs(a - n) / max(abs(a), abs(n), FLOOR)

    @property
    def ok(self) -> bool:
        """Relative error below TOLERANCE, or a difference lost in the quotient's own noise."""
        return self.rel_error < TOLERANCE or abs(self.analytic - self.numeric) <= self.noise


def mean_cost(params: Params, X: Array, labels: Array, hidden: Activation) -> float:
    """J = mean cross-entropy of the columns of ``X``."""
    return float(costs(forward(params, X, hidden)[f"Z{len(params.W)}"], labels).mean())


def gradient_check(
    params: Params,
    X: Array,
    labels: Array,
    hidden: Activation,
    entries: Iterable[tuple[str, tuple[int, ...]]] | None = None,
    eps: float = 1e-5,
) -> Iterator[Check]:
    """Yield a :class:`Check` for each (name, index) in ``entries`` (default: every entry).

    ``X`` is (784, m) and ``labels`` (m,). Work in float64: with float32 the differences of costs
    drown in rounding.
    """
    m = X.shape[1]
    grads = backward(params, forward(params, X, hidden), labels, hidden)
    # Rounding in J(θ ± h) is ~ε_machine·|J|; divided by 2h and combined as above it stays below
    # this bound, with a factor of a few to spare.
    noise = 16 * np.finfo(np.float64).eps * max(1.0, mean_cost(params, X, labels, hidden)) / eps
    named = params.named()
    if entries is None:
        entries = (
            (n, tuple(int(i) for i in ix)) for n, a in named.items() for ix in np.ndindex(a.shape)
        )
    for name, index in entries:
        analytic = float(grads["d" + name][index]) / m

        def J(delta: float, name=name, index=index) -> float:
            arrays = {k: np.array(a) for k, a in named.items()}
            arrays[name][index] += delta
            return mean_cost(Params.from_named(arrays), X, labels, hidden)

        def D(h: float, J=J) -> float:
            return (J(h) - J(-h)) / (2 * h)

        yield Check(name, index, analytic, (4 * D(eps / 2) - D(eps)) / 3, noise)


def sample_entries(
    params: Params, per_array: int, rng: np.random.Generator
) -> list[tuple[str, tuple[int, ...]]]:
    """Up to ``per_array`` random entries of each W and b, for checking a large network quickly."""
    out = []
    for name, a in params.named().items():
        flat = rng.choice(a.size, size=min(per_array, a.size), replace=False)
        out += [(name, tuple(int(i) for i in np.unravel_index(f, a.shape))) for f in flat]
    return out
