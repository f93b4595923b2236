"""The full-batch epoch: the same forward and backward rules, summed over every example.

The m examples are cut into chunks of a few hundred columns of X, so the intermediate Z, A and dZ
arrays stay in the CPU cache instead of streaming (16, m) temporaries through memory; each chunk's
gradient sums are added one chunk after another, in order. The sum is the same as over one
(784, m) batch, up to floating-point rounding.

Each chunk keeps only its *lit* pixels: the rows of X that are not 0 in every one of its columns
(about 380 of 784 in 512 MNIST digits grouped by where their ink lies: the borders are black).
A pixel left out adds W1[j, i]·0 = 0 to every Z1[j] and dZ1[j]·0 = 0 to ΣdW1[j, i], so the
sums keep their value, with half the terms in the epoch's two large products. How the chunks are
cut and laid out is a :class:`Plan`; the fastest one differs between CPUs
(``netviz.training.calibrate`` measures it).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .activations import Activation, softmax
from .network import Params, frozen

Array = np.ndarray


@dataclass(frozen=True)
class Plan:
    """How an epoch cuts and lays out its work. Any plan computes the same sums; a plan fixes
    the order BLAS adds their terms in, so one plan gives the same bits every time (and with any
    number of worker threads), and two plans may differ in the last bits.

    ``chunk``: examples per chunk, the unit of work of a worker thread: its sigmoids, softmax
    and small layers run on all of them at once. ``part``: examples per layer-1 product within a
    chunk, so that a part's pixels stay in the CPU cache between ``W1·X`` and ``dZ1·Xᵀ``.
    ``by_pixel``: a part's block of X is stored pixel by pixel (C order: one pixel's values over
    the examples side by side) instead of example by example, as X itself is.
    ``dW1_as_product_of_transposes``: dW1 = dZ1·Xᵀ is computed as (X·dZ1ᵀ)ᵀ, the same sum of
    products in the other layout. Which of these runs fastest depends on the CPU, its caches and
    its BLAS kernels: twice as fast, or half (benchmarks/RESULTS.md).
    """

    chunk: int = 512
    part: int = 512
    by_pixel: bool = False
    dW1_as_product_of_transposes: bool = False

    def __post_init__(self) -> None:
        for name in ("chunk", "part"):
            size = getattr(self, name)
            if type(size) is not int or not 1 <= size <= 1 << 20:
                raise ValueError(
                    f"an epoch plan's {name} must be 1 to {1 << 20} examples: {size!r}"
                )
        flags = (self.by_pixel, self.dW1_as_product_of_transposes)
        if not all(isinstance(f, bool) for f in flags):
            raise ValueError(f"an epoch plan's layout flags must be true or false: {flags!r}")

    @classmethod
    def from_dict(cls, d: object) -> Plan:
        """The plan as a trace records it (``dataclasses.asdict``); ValueError for another."""
        fields = ("chunk", "part", "by_pixel", "dW1_as_product_of_transposes")
        if not (isinstance(d, dict) and set(d) == set(fields)):
            raise ValueError(f"not an epoch plan: {d!r}"[:200])
        return cls(*(d[f] for f in fields))

    def describe(self) -> str:
        """The plan in words, as ``netviz train -v`` says it."""
        order = "pixel by pixel" if self.by_pixel else "example by example"
        dW1 = "(X·dZ1ᵀ)ᵀ" if self.dW1_as_product_of_transposes else "dZ1·Xᵀ"
        part = min(self.part, self.chunk)
        return (
            f"chunks of {self.chunk} examples, layer 1's products {part} at a time with X "
            f"stored {order}; dW1 computed as {dW1}"
        )


DEFAULT_PLAN = Plan()


@dataclass(frozen=True, eq=False)
class Part:
    """Columns ``start:stop`` of a chunk, as one block for layer 1's products: X[lit] of them.

    ``lit`` (k,): the pixels not 0 in every one of those examples, in order; ``X`` (k, c), in
    the plan's memory order.
    """

    start: int
    stop: int
    lit: Array
    X: Array


@dataclass(frozen=True, eq=False)
class Chunk:
    """Some columns of X, ready for the epoch: ``examples`` (c,), which columns of X, in order;
    ``labels`` (c,) their digits; ``parts``: the columns cut in runs of ``plan.part``."""

    examples: Array
    labels: Array
    parts: tuple[Part, ...]

    @property
    def m(self) -> int:
        return self.labels.shape[0]


def cut(X: Array, labels: Array, plan: Plan = DEFAULT_PLAN) -> tuple[Chunk, ...]:
    """The columns of ``X`` (784, m) cut into :class:`Chunk` s of ``plan.chunk`` examples,
    each in :class:`Part` s of ``plan.part``.

    The examples are taken in the order of where their ink lies in the 28 × 28 image: its
    leftmost column, then its rightmost, then its top row; so the digits of a part share their
    dark borders: 384 pixels lit in a part of 512 MNIST digits instead of 578 in the data's
    order. The full-batch sums do not depend on the order of the examples (up to rounding);
    this order depends on the data only, so a plan cuts a data set alike on any machine. The
    blocks are copies: together the lit part of X, about half of it for MNIST.
    """
    order = _by_where_the_ink_lies(X)
    chunks = []
    for start in range(0, X.shape[1], plan.chunk):
        examples = order[start : start + plan.chunk]
        parts = []
        for first in range(0, examples.shape[0], plan.part):
            Xp = X[:, examples[first : first + plan.part]]
            lit = np.flatnonzero(Xp.any(axis=1))
            block = np.ascontiguousarray(Xp[lit]) if plan.by_pixel else np.asfortranarray(Xp[lit])
            parts.append(Part(first, first + Xp.shape[1], frozen(lit), frozen(block)))
        chunks.append(Chunk(frozen(examples), labels[examples], tuple(parts)))
    return tuple(chunks)


def _by_where_the_ink_lies(X: Array) -> Array:
    """The columns of ``X`` (n, m) ordered by their ink's leftmost column, rightmost column and
    top row, each image seen as √n × √n (as one row of n pixels when n is not a square)."""
    n, m = X.shape
    side = math.isqrt(n)
    rows, cols = (side, side) if side * side == n else (1, n)
    ink = (X != 0).reshape(rows, cols, m)
    in_column, in_row = ink.any(axis=0), ink.any(axis=1)  # (cols, m), (rows, m)
    left, right = in_column.argmax(axis=0), cols - 1 - in_column[::-1].argmax(axis=0)
    return np.lexsort((in_row.argmax(axis=0), right, left))


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


def chunk_forward(
    params: Params, chunk: Chunk, hidden: Activation, costs: bool = True
) -> dict[str, Array]:
    """Every layer's Z and A for the chunk's columns: :func:`~netviz.core.network.forward`'s
    rules, layer 1 part by part, on each part's lit pixels only.

    Z1 = W1[:, lit]·X[lit] + b1   # (16, c) = (16, k)·(k, c) + (16, 1): the dark pixels add 0
    A1 = f(Z1), ..., AL = softmax(ZL) = ŷ  (10, c)
    The bias is added in place: the same sum as W·A + b, without a second (n, c) array. With
    them, unless ``costs`` is False, ``"costs"`` (c,): each column's cross-entropy
    (:func:`_softmax_and_costs`; ŷ is the same bits either way).
    """
    W1, L = params.W[0], len(params.W)
    Z1 = np.empty((W1.shape[0], chunk.m), dtype=W1.dtype)
    for part in chunk.parts:
        np.matmul(W1[:, part.lit], part.X, out=Z1[:, part.start : part.stop])
    A, cache = None, {}
    for l, (W, b) in enumerate(zip(params.W, params.b, strict=True), start=1):
        Z = Z1 if l == 1 else W @ A
        Z += b[:, None]
        if l == L and costs:
            A, cache["costs"] = _softmax_and_costs(Z, chunk.labels)
        elif l == L:
            A = softmax(Z)
        else:
            A = hidden.forward(Z)
        cache[f"Z{l}"], cache[f"A{l}"] = Z, A
    return cache


def _softmax_and_costs(ZL: Array, labels: Array) -> tuple[Array, Array]:
    """:func:`~netviz.core.activations.softmax` (ZL) and :func:`~netviz.core.network.costs`
    (ZL, labels), the same bits, from one exp instead of two:

    ŷ = e / Σe with e = exp(ZL − max), and −log ŷ_label = −((ZL_label − max) − log Σe), as
    log-softmax computes it (a column whose cost is 0 gives −0.0 here too)."""
    e = ZL - ZL.max(axis=0, keepdims=True)
    costs = e[labels, np.arange(labels.shape[0])]  # ZL_label − max, before e becomes exp(e)
    np.exp(e, out=e)
    total = e.sum(axis=0, keepdims=True)
    np.subtract(costs, np.log(total[0]), out=costs)
    np.negative(costs, out=costs)
    e /= total
    return e, costs


def chunk_figures(params: Params, chunk: Chunk, hidden: Activation) -> tuple[float, int]:
    """(Σ cross-entropy, right predictions) over the chunk's columns: what
    :func:`chunk_gradients` measures, by the same forward pass, without the backward one."""
    return _figures(chunk_forward(params, chunk, hidden), chunk.labels, len(params.W))


def chunk_correct(params: Params, chunk: Chunk, hidden: Activation) -> int:
    """How many of the chunk's columns the network classifies as their label: the count
    :func:`chunk_figures` gives, without the cost (a test set's accuracy needs no more)."""
    AL = chunk_forward(params, chunk, hidden, costs=False)[f"A{len(params.W)}"]
    return int(np.count_nonzero(AL.argmax(axis=0) == chunk.labels))


def _figures(cache: dict[str, Array], labels: Array, L: int) -> tuple[float, int]:
    """Σ −log ŷ_label (from the logits, as :func:`~netviz.core.network.costs`) and the count of
    columns whose largest ŷ is their label."""
    cost = cache["costs"].sum()
    return float(cost), int(np.count_nonzero(cache[f"A{L}"].argmax(axis=0) == labels))


def chunk_gradients(
    params: Params, chunk: Chunk, hidden: Activation, plan: Plan = DEFAULT_PLAN, stats: bool = True
) -> BatchGradients:
    """The chunk's summed gradients: :func:`~netviz.core.network.backward`'s rules, with
    dW1 part by part, over each part's lit pixels only (the rest of ΣdW1 is dZ1·0 = 0).

    dZL = ŷ − y            (10, c): ŷ with 1 taken from each column's label entry
    dWl = dZl·A(l−1)ᵀ      dbl = Σ_i dZl      dA(l−1) = Wlᵀ·dZl
    dZl = f′(Zl)⊙dAl       (the slope written in Al, from ``hidden``)
    ``stats=False`` skips the activation statistics (a few % of an epoch) when nobody records
    them.
    """
    L, m = len(params.W), chunk.m
    cache = chunk_forward(params, chunk, hidden)
    cost_sum, correct = _figures(cache, chunk.labels, L)
    dZ = cache[f"A{L}"]  # in place: ŷ is not needed again
    dZ[chunk.labels, np.arange(m)] -= 1.0  # ŷ − y, y one-hot: the same bits as ŷ − Y
    dW, db, A_sum, saturated = [], [], [], []
    for l in range(L, 0, -1):
        if l > 1:
            dW.append(dZ @ cache[f"A{l - 1}"].T)  # (n_l, n_{l−1})
        else:
            dW.append(_dW1(dZ, chunk, params.W[0].shape, plan))
        db.append(dZ.sum(axis=1))
        if l > 1:
            A = cache[f"A{l - 1}"]
            slope = hidden.slope(A)
            if stats:  # the hidden layer's statistics, from the slope backprop needs anyway
                A_sum.append(A.sum(axis=1))
                saturated.append(np.count_nonzero(hidden.flat(slope), axis=1))
            # dZ(l−1) = f′⊙dA(l−1), dA(l−1) = Wlᵀ·dZl; in place: every slope is a new array
            slope *= params.W[l - 1].T @ dZ
            dZ = slope
    return BatchGradients(
        m,
        cost_sum,
        correct,
        tuple(reversed(dW)),
        tuple(reversed(db)),
        tuple(reversed(A_sum)),
        tuple(reversed(saturated)),
    )


def _dW1(dZ1: Array, chunk: Chunk, shape: tuple[int, int], plan: Plan) -> Array:
    """ΣdW1 (16, 784) = dZ1·Xᵀ, part by part: each part's lit pixels' columns, added in the
    parts' order; 0 for a pixel dark in the whole chunk."""
    dW1 = np.zeros(shape, dtype=dZ1.dtype)
    for part in chunk.parts:
        dZ = dZ1[:, part.start : part.stop]
        lit_part = (part.X @ dZ.T).T if plan.dW1_as_product_of_transposes else dZ @ part.X.T
        dW1[:, part.lit] += lit_part
    return dW1


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
    params: Params, X: Array, labels: Array, hidden: Activation, plan: Plan = DEFAULT_PLAN
) -> BatchGradients:
    """Σ over the columns of ``X`` (784, m) of each example's dW and db, with cost and accuracy."""
    return sum_gradients([chunk_gradients(params, c, hidden, plan) for c in cut(X, labels, plan)])


def count_correct(
    params: Params, X: Array, labels: Array, hidden: Activation, plan: Plan = DEFAULT_PLAN
) -> int:
    """How many columns of ``X`` the network classifies as their label (forward pass only)."""
    return sum(chunk_correct(params, c, hidden) for c in cut(X, labels, plan))
