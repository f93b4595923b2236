"""The full-batch epoch: the same forward and backward rules, summed over every example.

Gradients of the m examples are summed chunk by chunk (a few hundred columns of X at a time) so the
intermediate Z, A and dZ arrays stay in the CPU cache instead of streaming (16, m) temporaries
through memory; the sum is the same as over one (784, m) batch, up to floating-point rounding.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .activations import Activation
from .network import Params, backward, costs, forward, frozen

Array = np.ndarray
CHUNK = 1024  # columns per chunk: chosen by measurement (benchmarks/RESULTS.md)


@dataclass(frozen=True)
class BatchGradients:
    """One full-batch pass at fixed parameters: the summed gradients and what the pass measured.

    ``dW[l-1]`` = ΣdWl (n_l, n_{l−1}) and ``db[l-1]`` = Σdbl (n_l,), summed over the ``m``
    examples; ``cost_sum`` is the summed cross-entropy and ``correct`` the count of right
    predictions, both for the parameters the gradients were taken at.
    """

    m: int
    cost_sum: float
    correct: int
    dW: tuple[Array, ...]
    db: tuple[Array, ...]

    @property
    def cost(self) -> float:
        """Mean cross-entropy over the batch."""
        return self.cost_sum / self.m if self.m else float("nan")

    @property
    def accuracy(self) -> float:
        """Fraction of the batch predicted right."""
        return self.correct / self.m if self.m else float("nan")


def batch_gradients(
    params: Params, X: Array, labels: Array, hidden: Activation, chunk: int = CHUNK
) -> BatchGradients:
    """Σ over the columns of ``X`` (784, m) of each example's dW and db, with cost and accuracy."""
    m, L = X.shape[1], len(params.W)
    dW = [np.zeros_like(W) for W in params.W]
    db = [np.zeros_like(b) for b in params.b]
    cost, correct = 0.0, 0
    for start in range(0, m, chunk):
        Xc, yc = X[:, start : start + chunk], labels[start : start + chunk]
        cache = forward(params, Xc, hidden)
        grads = backward(params, cache, yc, hidden)
        for l in range(1, L + 1):
            dW[l - 1] += grads[f"dW{l}"]
            db[l - 1] += grads[f"db{l}"]
        cost += float(costs(cache[f"Z{L}"], yc).sum())
        correct += int(np.count_nonzero(cache[f"A{L}"].argmax(axis=0) == yc))
    return BatchGradients(m, cost, correct, tuple(map(frozen, dW)), tuple(map(frozen, db)))


def sum_gradients(parts: Sequence[BatchGradients]) -> BatchGradients:
    """One pass's result from passes over consecutive slices of the batch, added in order."""
    if len(parts) == 1:
        return parts[0]
    dW = [np.sum([p.dW[i] for p in parts], axis=0) for i in range(len(parts[0].dW))]
    db = [np.sum([p.db[i] for p in parts], axis=0) for i in range(len(parts[0].db))]
    return BatchGradients(
        sum(p.m for p in parts),
        sum(p.cost_sum for p in parts),
        sum(p.correct for p in parts),
        tuple(map(frozen, dW)),
        tuple(map(frozen, db)),
    )


def count_correct(
    params: Params, X: Array, labels: Array, hidden: Activation, chunk: int = CHUNK
) -> int:
    """How many columns of ``X`` the network classifies as their label (forward pass only)."""
    L, correct = len(params.W), 0
    for start in range(0, X.shape[1], chunk):
        A = forward(params, X[:, start : start + chunk], hidden)[f"A{L}"]
        correct += int(np.count_nonzero(A.argmax(axis=0) == labels[start : start + chunk]))
    return correct
