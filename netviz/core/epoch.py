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
CHUNK = 512  # columns per chunk, chosen by measurement (benchmarks/RESULTS.md)


@dataclass(frozen=True)
class Figures:
    """Cost and accuracies measured at one set of weights: those after ``epoch`` epochs (0: the
    initial weights). An epoch's own figures are at the weights it started from, after
    ``epoch − 1`` epochs; the run's final figures are at the weights after its last update."""

    epoch: int  # the weights after this many epochs' updates
    cost: float  # mean cross-entropy over the training set
    train_accuracy: float
    test_accuracy: float  # nan when there is no test set


@dataclass(frozen=True)
class BatchGradients:
    """One full-batch pass at fixed parameters: the summed gradients and what the pass measured.

    ``dW[l-1]`` = ΣdWl (n_l, n_{l−1}) and ``db[l-1]`` = Σdbl (n_l,), summed over the ``m``
    examples; ``cost_sum`` is the summed cross-entropy and ``correct`` the count of right
    predictions, both for the parameters the gradients were taken at. For each hidden layer l,
    ``A_sum[l-1]`` (n_l,) is ΣAl over the examples and ``saturated[l-1]`` (n_l,) counts the
    examples where that neuron is saturated (``hidden.saturated``: σ's A(1−A) < 0.01, tanh's
    1−A² < 0.04, relu's Z ≤ 0).
    """

    m: int
    cost_sum: float
    correct: int
    dW: tuple[Array, ...]
    db: tuple[Array, ...]
    A_sum: tuple[Array, ...] = ()
    saturated: tuple[Array, ...] = ()

    @property
    def A_mean(self) -> tuple[Array, ...]:
        """Each hidden neuron's mean activation over the batch, per hidden layer."""
        return tuple(s / self.m for s in self.A_sum)

    @property
    def saturated_fraction(self) -> tuple[Array, ...]:
        """Each hidden neuron's fraction of saturated examples, per hidden layer."""
        return tuple(s / self.m for s in self.saturated)

    @property
    def grad_norms(self) -> tuple[float, ...]:
        """‖ΣdWl‖/m per weight layer: the norm of the mean gradient ∂C/∂Wl (not a mean of
        per-example norms). Without BLAS: a BLAS call from a recorder's thread would wake
        OpenBLAS's own threads, which then spin against the training's workers."""
        return tuple(float(np.sqrt(np.sum(d * d))) / self.m for d in self.dW)

    @property
    def saturated_share(self) -> tuple[float, ...]:
        """The share of each hidden layer's outputs (neurons × examples) that are saturated."""
        return tuple(float(np.mean(f)) for f in self.saturated_fraction)

    @property
    def cost(self) -> float:
        """Mean cross-entropy over the batch."""
        return self.cost_sum / self.m if self.m else float("nan")

    @property
    def accuracy(self) -> float:
        """Fraction of the batch predicted right."""
        return self.correct / self.m if self.m else float("nan")


def chunk_gradients(
    params: Params,
    X: Array,
    labels: Array,
    hidden: Activation,
    chunk: int = CHUNK,
    stats: bool = True,
) -> list[BatchGradients]:
    """One :class:`BatchGradients` per run of ``chunk`` columns of ``X`` (784, m), in order.

    ``stats=False`` skips the activation statistics (~7 % of an epoch) when nobody records them.
    """
    L, parts = len(params.W), []
    hidden_layers = range(1, L) if stats else range(0)
    for start in range(0, X.shape[1], chunk):
        Xc, yc = X[:, start : start + chunk], labels[start : start + chunk]
        cache = forward(params, Xc, hidden)
        grads = backward(params, cache, yc, hidden)
        parts.append(
            BatchGradients(
                Xc.shape[1],
                float(costs(cache[f"Z{L}"], yc).sum()),
                int(np.count_nonzero(cache[f"A{L}"].argmax(axis=0) == yc)),
                tuple(grads[f"dW{l}"] for l in range(1, L + 1)),
                tuple(grads[f"db{l}"] for l in range(1, L + 1)),
                tuple(cache[f"A{l}"].sum(axis=1) for l in hidden_layers),
                tuple(
                    np.count_nonzero(hidden.saturated(cache[f"A{l}"]), axis=1)
                    for l in hidden_layers
                ),
            )
        )
    return parts


def sum_gradients(parts: Sequence[BatchGradients]) -> BatchGradients:
    """The batch's sums from its chunks' sums, added one chunk after another, in order.

    Always the same order of additions, so the result is the same bit for bit however the chunks
    were shared among threads.
    """
    dW = [np.zeros_like(g) for g in parts[0].dW]
    db = [np.zeros_like(g) for g in parts[0].db]
    A_sum = [np.zeros_like(s) for s in parts[0].A_sum]
    saturated = [np.zeros_like(s) for s in parts[0].saturated]
    cost = 0.0
    for p in parts:
        for acc, g in zip(
            dW + db + A_sum + saturated, p.dW + p.db + p.A_sum + p.saturated, strict=True
        ):
            acc += g
        cost += p.cost_sum
    m, correct = sum(p.m for p in parts), sum(p.correct for p in parts)
    return BatchGradients(
        m, cost, correct, *(tuple(map(frozen, a)) for a in (dW, db, A_sum, saturated))
    )


def batch_gradients(
    params: Params, X: Array, labels: Array, hidden: Activation, chunk: int = CHUNK
) -> BatchGradients:
    """Σ over the columns of ``X`` (784, m) of each example's dW and db, with cost and accuracy."""
    return sum_gradients(chunk_gradients(params, X, labels, hidden, chunk))


def count_correct(
    params: Params, X: Array, labels: Array, hidden: Activation, chunk: int = CHUNK
) -> int:
    """How many columns of ``X`` the network classifies as their label (forward pass only)."""
    L, correct = len(params.W), 0
    for start in range(0, X.shape[1], chunk):
        A = forward(params, X[:, start : start + chunk], hidden)[f"A{L}"]
        correct += int(np.count_nonzero(A.argmax(axis=0) == labels[start : start + chunk]))
    return correct
