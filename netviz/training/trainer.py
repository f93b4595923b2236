"""Full-batch training on every core: the epoch loop that the CLI and the session drive.

The math is :mod:`netviz.core`; this module only schedules it. Each epoch's examples are cut into
one slice per worker thread and each thread sums its slice's gradients; numpy's matrix products
release the GIL, so the threads run at once. BLAS is held to one thread meanwhile: the network's
16-row products use two BLAS threads poorly, and two workers with one BLAS thread each are
faster (measured in benchmarks/RESULTS.md); and with one BLAS thread and the same chunks, any
number of workers gives the same bits.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cache

import numpy as np

from ..core.activations import Activation
from ..core.epoch import (
    CHUNK,
    BatchGradients,
    Figures,
    chunk_gradients,
    count_correct,
    sum_gradients,
)
from ..core.network import Params, costs, forward, update

Array = np.ndarray


@dataclass(frozen=True)
class EpochResult:
    """One epoch: cost and accuracies at the weights it started from (a by-product of its
    gradient pass, measured before its update), and the weights after its update."""

    epoch: int  # 1-based
    cost: float
    train_accuracy: float
    test_accuracy: float  # nan when there is no test set
    grads: BatchGradients
    params: Params  # after this epoch's update

    @property
    def start(self) -> Figures:
        """This epoch's figures, as :class:`Figures` of the weights after ``epoch − 1``."""
        return Figures(self.epoch - 1, self.cost, self.train_accuracy, self.test_accuracy)


class Trainer:
    """Runs full-batch epochs of one network on one training and test set."""

    def __init__(
        self,
        X: Array,
        labels: Array,
        hidden: Activation,
        alpha: float,
        X_test: Array | None = None,
        labels_test: Array | None = None,
        workers: int | None = None,
        chunk: int = CHUNK,
        stats: bool = True,
    ) -> None:
        """``stats``: measure each hidden neuron's mean activation and saturation per epoch."""
        self.X, self.labels, self.hidden, self.alpha = X, labels, hidden, alpha
        self.X_test, self.labels_test, self.chunk, self.stats = X_test, labels_test, chunk, stats
        self.workers = max(1, min(workers or os.cpu_count() or 1, 8))
        self._pool = ThreadPoolExecutor(self.workers) if self.workers > 1 else None
        # One BLAS thread with one worker too: a multi-threaded BLAS cuts a product's sums
        # differently (a 300-column chunk's ΣdW differs in its last bits with two OpenBLAS
        # threads), and a run must give the same bits with any --workers, or a fork would not
        # repeat its parent. For the trainer's whole life, not per epoch: a BLAS call between
        # epochs (a recorder's, say) would otherwise wake OpenBLAS's threads, which then spin
        # against the workers.
        self._blas_held = _ONE_BLAS_THREAD.hold()

    def close(self) -> None:
        """Stop the worker threads and give BLAS its threads back."""
        if self._pool is not None:
            self._pool.shutdown()
            self._pool = None
        if self._blas_held:
            _ONE_BLAS_THREAD.release()
            self._blas_held = False

    def __enter__(self) -> Trainer:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def gradients(self, params: Params) -> BatchGradients:
        """ΣdW, Σdb, cost and accuracy over the whole training set at ``params``.

        The same bits whatever the number of workers: each chunk's sums are computed alike, and
        added in chunk order.
        """
        parts = self._map(
            lambda X, y: chunk_gradients(params, X, y, self.hidden, self.chunk, self.stats),
            self.X,
            self.labels,
        )
        return sum_gradients([chunk for part in parts for chunk in part])

    def accuracy(self, params: Params, X: Array, labels: Array) -> float:
        """Fraction of the columns of ``X`` classified right."""
        if labels.shape[0] == 0:
            return float("nan")
        parts = self._map(
            lambda Xs, ys: count_correct(params, Xs, ys, self.hidden, self.chunk), X, labels
        )
        return sum(parts) / labels.shape[0]

    def measure(self, params: Params, epoch: int) -> Figures:
        """Cost and accuracies at ``params``, the weights after ``epoch`` epochs: the figures
        an epoch starting from them would report (the same chunks, forward pass and order of
        additions), without its backward pass. A run's final figures, after its last update."""
        parts = self._map(
            lambda X, y: chunk_figures(params, X, y, self.hidden, self.chunk), self.X, self.labels
        )
        cost_sum, correct = 0.0, 0
        for chunk_cost, chunk_correct in (chunk for part in parts for chunk in part):
            cost_sum += chunk_cost  # one chunk after another, as sum_gradients adds them
            correct += chunk_correct
        m = self.labels.shape[0]
        test = float("nan")
        if self.X_test is not None and self.labels_test is not None:
            test = self.accuracy(params, self.X_test, self.labels_test)
        if m == 0:
            return Figures(epoch, float("nan"), float("nan"), test)
        return Figures(epoch, cost_sum / m, correct / m, test)

    def epoch(self, params: Params, number: int) -> EpochResult:
        """One full-batch gradient-descent step from ``params``: W ← W − α·ΣdW/m."""
        grads = self.gradients(params)
        test = float("nan")
        if self.X_test is not None and self.labels_test is not None:
            test = self.accuracy(params, self.X_test, self.labels_test)
        new = update(params, grads.dW, grads.db, self.alpha, grads.m)
        return EpochResult(number, grads.cost, grads.accuracy, test, grads, new)

    def run(self, params: Params, epochs: int, first: int = 1) -> Iterator[EpochResult]:
        """Epochs ``first`` … ``first + epochs − 1``, each from the weights the last one left."""
        for number in range(first, first + epochs):
            result = self.epoch(params, number)
            params = result.params
            yield result

    def _map(self, fn, X: Array, labels: Array) -> list:
        """``fn`` over consecutive column slices of (X, labels), one per worker, in order.

        Overflow is not warned about: it shows as inf or nan in the results (a diverging run's
        cost), which the caller reports in words.
        """
        m = labels.shape[0]
        fn = _quiet(fn)
        if self._pool is None or m < 2 * self.workers:
            return [fn(X, labels)]
        # Cut at chunk boundaries, so every worker sums the very chunks one worker would.
        chunks = -(-m // self.chunk)
        bounds = np.minimum(m, self.chunk * np.linspace(0, chunks, self.workers + 1).astype(int))
        slices = [(X[:, a:b], labels[a:b]) for a, b in zip(bounds[:-1], bounds[1:], strict=True)]
        return list(self._pool.map(lambda s: fn(*s), slices))


def chunk_figures(
    params: Params, X: Array, labels: Array, hidden: Activation, chunk: int = CHUNK
) -> list[tuple[float, int]]:
    """(Σ cross-entropy, right predictions) of each run of ``chunk`` columns of ``X`` (784, m),
    in order: what :func:`~netviz.core.epoch.chunk_gradients` measures, by the same forward
    pass, without the backward one."""
    L, parts = len(params.W), []
    for start in range(0, X.shape[1], chunk):
        Xc, yc = X[:, start : start + chunk], labels[start : start + chunk]
        cache = forward(params, Xc, hidden)
        correct = int(np.count_nonzero(cache[f"A{L}"].argmax(axis=0) == yc))
        parts.append((float(costs(cache[f"Z{L}"], yc).sum()), correct))
    return parts


def _quiet(fn):
    """``fn`` run with numpy's overflow warnings off, in whichever thread runs it."""

    def run(*args):
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            return fn(*args)

    return run


class _BlasHold:
    """BLAS held to one thread while any trainer lives (a forked tour runs two at once): the
    first to hold it sets the limit, the last to release it gives BLAS its threads back. Each
    trainer restoring what it found would let the first to close give the threads back under
    the other, whose sums would then change in their last bits."""

    def __init__(self) -> None:
        self._lock, self._holders, self._limit = threading.Lock(), 0, None

    def hold(self) -> bool:
        with self._lock:
            if self._holders == 0:
                self._limit = _controller().limit(limits=1, user_api="blas")
            self._holders += 1
        return True

    def release(self) -> None:
        with self._lock:
            self._holders -= 1
            if self._holders == 0 and self._limit is not None:
                self._limit.restore_original_limits()
                self._limit = None


_ONE_BLAS_THREAD = _BlasHold()


@cache
def _controller():
    # Finding the loaded BLAS libraries takes ~0.25 ms; do it once, not every epoch.
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()
