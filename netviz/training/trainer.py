"""Full-batch training on every core: the epoch loop that the CLI and the session drive.

The math is :mod:`netviz.core`; this module only schedules it. The training set is cut once into
chunks (:func:`~netviz.core.epoch.cut`, by the machine's :class:`~netviz.core.epoch.Plan`:
:mod:`.calibrate`), and each worker thread takes a run of them, with a run of the test set's for
the epoch's test accuracy, which so overlaps the gradient pass; numpy's matrix products release
the GIL, so the threads run at once. BLAS is held to one thread meanwhile: the network's 16-row
products use two BLAS threads poorly, and two workers with one BLAS thread each are faster; and
with one BLAS thread and the same chunks, any number of workers gives the same bits.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cache

import numpy as np

from ..core.activations import Activation
from ..core.epoch import (
    BatchGradients,
    Chunk,
    Figures,
    Plan,
    chunk_correct,
    chunk_figures,
    chunk_gradients,
    cut,
    sum_gradients,
)
from ..core.network import Params, update
from .calibrate import AS_GIVEN, choose

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
        plan: Plan | None = None,
        stats: bool = True,
        sizes: Sequence[int] | None = None,
        notice: Callable[[str], None] | None = None,
        plan_from: str = AS_GIVEN,
    ) -> None:
        """``stats``: measure each hidden neuron's mean activation and saturation per epoch.
        ``plan`` and ``workers``: None for this machine's (:func:`.calibrate.choose`, which
        measures them with a network of layer widths ``sizes``, default 784-16-16-10, and tells
        ``notice`` first); ``plan_from`` says in words where a given plan comes from.
        """
        self.hidden, self.alpha, self.stats = hidden, alpha, stats
        # One BLAS thread with one worker too: a multi-threaded BLAS cuts a product's sums
        # differently (a 300-column chunk's ΣdW differs in its last bits with two OpenBLAS
        # threads), and a run must give the same bits with any --workers, or a fork would not
        # repeat its parent. For the trainer's whole life, not per epoch: a BLAS call between
        # epochs (a recorder's, say) would otherwise wake OpenBLAS's threads, which then spin
        # against the workers. Held before measuring the plan, which must be timed as it runs.
        self._blas_held = _ONE_BLAS_THREAD.hold()
        self._pool = None
        sizes = tuple(sizes or (X.shape[0], 16, 16, 10))
        try:
            self.choice = choose(
                X, labels, hidden, sizes, plan, workers, Trainer, notice, plan_from
            )
            self.plan, self.workers = self.choice.plan, self.choice.workers
            # The chunks are copies of X's lit pixels, cut once: every epoch reads them.
            self._train = cut(X, labels, self.plan)
            self.has_test = X_test is not None and labels_test is not None
            self._test = cut(X_test, labels_test, self.plan) if self.has_test else ()
        except BaseException:
            self.close()
            raise
        self.m, self.m_test = labels.shape[0], 0 if labels_test is None else labels_test.shape[0]
        self._pool = ThreadPoolExecutor(self.workers) if self.workers > 1 else None

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
        return self._pass(params, test=False)[0]

    def measure(self, params: Params, epoch: int) -> Figures:
        """Cost and accuracies at ``params``, the weights after ``epoch`` epochs: the figures
        an epoch starting from them would report (the same chunks, forward pass and order of
        additions), without its backward pass. A run's final figures, after its last update."""
        hidden = self.hidden
        tasks = [(chunk_figures, c) for c in self._train] + [(chunk_correct, c) for c in self._test]
        done = self._each(tasks, lambda task: task[0](params, task[1], hidden))
        cost_sum, correct = 0.0, 0
        for chunk_cost, right in done[: len(self._train)]:
            cost_sum += chunk_cost  # one chunk after another, as sum_gradients adds them
            correct += right
        test = self._test_accuracy(sum(done[len(self._train) :]))
        if self.m == 0:
            return Figures(epoch, float("nan"), float("nan"), test)
        return Figures(epoch, cost_sum / self.m, correct / self.m, test)

    def epoch(self, params: Params, number: int) -> EpochResult:
        """One full-batch gradient-descent step from ``params``: W ← W − α·ΣdW/m. The test
        accuracy at ``params`` is measured in the same pass, on the same workers."""
        grads, test = self._pass(params, test=True)
        new = update(params, grads.dW, grads.db, self.alpha, grads.m)
        return EpochResult(number, grads.cost, grads.accuracy, test, grads, new)

    def run(self, params: Params, epochs: int, first: int = 1) -> Iterator[EpochResult]:
        """Epochs ``first`` … ``first + epochs − 1``, each from the weights the last one left."""
        for number in range(first, first + epochs):
            result = self.epoch(params, number)
            params = result.params
            yield result

    def _pass(self, params: Params, test: bool) -> tuple[BatchGradients, float]:
        """The summed gradients at ``params`` and (when ``test``) the test accuracy at them:
        the training chunks' gradients, then the test chunks' right guesses, in one run of the
        workers, so the test pass fills the time a worker would otherwise wait for the other."""
        hidden, plan, stats = self.hidden, self.plan, self.stats

        def gradients(chunk: Chunk) -> BatchGradients:
            return chunk_gradients(params, chunk, hidden, plan, stats)

        def right(chunk: Chunk) -> int:
            return chunk_correct(params, chunk, hidden)

        tasks = [(gradients, c) for c in self._train]
        tasks += [(right, c) for c in self._test] if test else []
        done = self._each(tasks, lambda task: task[0](task[1]))
        n = len(self._train)
        accuracy = self._test_accuracy(sum(done[n:])) if test else float("nan")
        return sum_gradients(done[:n]), accuracy

    def _test_accuracy(self, right: int) -> float:
        """The test set's accuracy from its count of right predictions (nan without one)."""
        return right / self.m_test if self.has_test and self.m_test else float("nan")

    def _each(self, tasks: Sequence, fn) -> list:
        """``[fn(task) for task in tasks]``, computed on the workers: each takes the next task
        when it has finished one, so a worker that is held up (waiting for the GIL, or for a CPU
        another process has) takes fewer. The results come back in the tasks' order, whoever
        computed them, so they are added in the same order with any number of workers.

        Overflow is not warned about: it shows as inf or nan in the results (a diverging run's
        cost), which the caller reports in words.
        """
        results: list = [None] * len(tasks)
        taken = itertools.count()  # next() on it is atomic: two workers never take one task

        def worker() -> None:
            with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
                for i in iter(taken.__next__, -1):
                    if i >= len(tasks):
                        return
                    results[i] = fn(tasks[i])

        if self._pool is None:
            worker()
        else:
            for running in [self._pool.submit(worker) for _ in range(self.workers)]:
                running.result()  # a worker's exception is raised here
        return results


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
