"""What a run records into its trace, and when: the choices between the network and the store.

Levels: ``minimal`` keeps the metrics and a weight checkpoint every k epochs; ``default`` adds
each epoch's ΣdW and Σdb (so every epoch's weights rebuild bit for bit), each hidden neuron's
mean activation and saturated fraction, and Z, A, dZ of a few watched examples; ``full`` adds
Z and A of every training example for the epochs asked for.

Every level records each epoch's cost and accuracies as that epoch measured them, at the weights
it started from; :meth:`Recorder.final` adds, when the run ends, those of the weights it ended
with (after its last update), the figures ``netviz train`` prints last.
"""

from __future__ import annotations

import datetime
import math
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np

from .. import __version__
from ..core.epoch import Figures
from ..core.network import Params, backward, forward
from ..core.steps import Op
from ..errors import NetvizError
from ..trace import SUFFIX, TraceWriteError, TraceWriter
from ..trace.schema import OWN_DIGITS, op_address
from .run import Run
from .trainer import EpochResult

Level = Literal["minimal", "default", "full"]
LEVELS: tuple[Level, ...] = ("minimal", "default", "full")


@dataclass(frozen=True)
class RecordOptions:
    """How much a run records: level, checkpoint interval, watched examples, full epochs."""

    level: Level = "default"
    checkpoint_every: int = 50  # 500 epochs: 11 checkpoints, 1 MB; a rebuild replays ≤ 49
    watch: tuple[int, ...] | None = None  # training-set indices; None: the first 8
    full_epochs: tuple[int, ...] | None = None  # level full: these epochs; None: every epoch


DEFAULT_RECORDING = RecordOptions()


def metrics_row(result: EpochResult, alpha: float) -> dict[str, float | None]:
    """An epoch's row of the trace's ``metrics`` table (its epoch aside): its figures at the
    weights it started from, its α, and per layer ‖ΣdWl‖/m and the share of saturated outputs.
    The live session builds its charts and breakpoint facts from this same row
    (:mod:`netviz.session.epochs`)."""
    g = result.grads
    return {
        "m": g.m,
        "alpha": alpha,
        "cost": result.cost,
        "train_accuracy": result.train_accuracy,
        "test_accuracy": None if math.isnan(result.test_accuracy) else result.test_accuracy,
        **{f"grad_norm_L{l}": norm for l, norm in enumerate(g.grad_norms, 1)},
        **{f"saturated_L{l}": share for l, share in enumerate(g.saturated_share, 1)},
    }


def default_watch(run: Run) -> tuple[int, ...]:
    """The examples a run watches unless told: the first 8 of the training set."""
    return tuple(range(min(8, len(run.train))))


def watched_arrays(params: Params, run: Run, watch: Sequence[int]) -> dict[str, np.ndarray]:
    """``Zl``, ``Al`` and ``dZl`` of examples ``watch`` at ``params``: (n_l, k), one column
    per example, as an epoch starting from ``params`` computes them."""
    cols = list(watch)
    cache = forward(params, run.X[:, cols], run.hidden)
    grads = backward(params, cache, run.y[cols], run.hidden)
    out = {}
    for l in range(1, len(params.W) + 1):
        out[f"Z{l}"], out[f"A{l}"], out[f"dZ{l}"] = cache[f"Z{l}"], cache[f"A{l}"], grads[f"dZ{l}"]
    return out


def default_trace_path(run: Run, folder: str | Path = "traces", name: str | None = None) -> Path:
    """``traces/<preset>-<YYYYmmdd-HHMMSS>-s<seed>.nvtrace`` (or ``traces/<name>.nvtrace``), with
    ``-2``, ``-3``, … added when a run in the same second took that name."""
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    stem = Path(folder) / (name or f"{run.spec.preset.name}-{stamp}-s{run.spec.seed}")
    path, n = stem.with_name(stem.name + SUFFIX), 1
    while path.exists():
        n += 1
        path = stem.with_name(f"{stem.name}-{n}{SUFFIX}")
    return path


class Recorder:
    """Writes one run's trace: metadata and first weights on creation, then epochs and passes.

    ``start``: the epochs ``run.params`` come after (0: a new run's initial weights; K: a fork's,
    whose epochs are numbered K+1 on, see :mod:`.fork`). ``meta``: more metadata (a fork's
    parent).
    """

    def __init__(
        self,
        path: str | Path,
        run: Run,
        options: RecordOptions = DEFAULT_RECORDING,
        start: int = 0,
        meta: Mapping[str, object] | None = None,
    ):
        self.run, self.options = run, options
        self.watch = default_watch(run) if options.watch is None else options.watch
        if any(not 0 <= i < len(run.train) for i in self.watch):
            raise NetvizError(f"watched examples must be 0–{len(run.train) - 1}: {self.watch}")
        written = {**self._meta(), **(meta or {})}
        self.run_id: str = written["run_id"]  # what a fork of this run names as its parent's
        self.writer = TraceWriter(path, written, len(run.params.W))
        try:
            watched = ((i, run.train.labels[i], run.train.images[i]) for i in self.watch)
            self.writer.add_examples(watched)
            self.writer.add_checkpoint(start, run.params.named())
        except BaseException as e:
            self.writer.close()
            if not isinstance(e, TraceWriteError):
                raise
            # A full disk, say: a trace without its first weights holds nothing to replay.
            for leftover in (self.path, *(Path(f"{self.path}-{end}") for end in ("wal", "shm"))):
                leftover.unlink(missing_ok=True)
            raise NetvizError(f"{self.path}: cannot create trace ({self.writer.reason})") from None
        self._before = run.params  # the weights the next epoch starts from
        self._last_checkpoint = start
        self._last_epoch = start
        self._own_digits: dict[str, str] = {}  # an own digit's example number → what it is

    @property
    def path(self) -> Path:
        return self.writer.path

    def epoch(self, result: EpochResult, alpha: float) -> int:
        """Record one epoch (its metrics, and tensors as the level says); its step number."""
        metrics, level = metrics_row(result, alpha), self.options.level
        with np.errstate(over="ignore", invalid="ignore"):  # a diverging run records its infs
            tensors = self._epoch_tensors(result)
        due = level == "minimal" or result.epoch % self.options.checkpoint_every == 0
        checkpoint = result.params.named() if due else None  # with the epoch, all or none
        step = self.writer.add_epoch(result.epoch, metrics, tensors, checkpoint)
        self._before, self._last_epoch = result.params, result.epoch
        if due:
            self._last_checkpoint = result.epoch
        return step

    def _epoch_tensors(self, result: EpochResult) -> dict[str, np.ndarray]:
        """The arrays the level keeps for one epoch."""
        g, level, L = result.grads, self.options.level, len(result.grads.dW)
        tensors: dict[str, np.ndarray] = {}
        if level != "minimal":
            for l in range(1, L + 1):
                tensors[f"dW{l}"], tensors[f"db{l}"] = g.dW[l - 1], g.db[l - 1]
            for l, (mean, sat) in enumerate(zip(g.A_mean, g.saturated_fraction, strict=True), 1):
                tensors[f"A{l}_mean"], tensors[f"A{l}_saturated"] = mean, sat
            tensors.update(self._watched(self._before))
        if level == "full" and (
            self.options.full_epochs is None or result.epoch in self.options.full_epochs
        ):
            tensors.update(self._everyone(self._before))
        return tensors

    def final(self, figures: Figures) -> None:
        """Record the run's final figures: cost and accuracies at the weights it ended with,
        measured after the last update (``Trainer.measure(params, epoch)``). Each epoch's
        metrics row is at the weights it started from, so the last row is not these."""
        test = None if math.isnan(figures.test_accuracy) else figures.test_accuracy
        self.writer.set_final(figures.epoch, figures.cost, figures.train_accuracy, test)

    def example_pass(
        self,
        epoch: int,
        example: int,
        ops: Sequence[Op],
        pixels: np.ndarray,
        label: int | None,
        source: str = "",
    ) -> list[int]:
        """Record one example's ops at the weights after ``epoch`` epochs; their step numbers.
        ``source``: what a learner's own digit is ("your drawing", "my3.png"), kept in the
        trace's ``own_digits`` by its example number, so a replay names it as the tour did."""
        self.writer.add_examples([(example, label, pixels)])
        if source and self._own_digits.get(str(example)) != source:
            self._own_digits[str(example)] = source
            self.writer.set_meta({OWN_DIGITS: self._own_digits})
        produced: set[str] = set()
        context: dict[str, np.ndarray] = {}
        for op in ops:  # what the pass reads but no earlier op made: x, y, W, b, α
            context.update({n: a for n, a in op.inputs.items() if n not in produced | set(context)})
            produced |= set(op.outputs)
        rows = []
        for i, op in enumerate(ops):
            tensors = {**(context if i == 0 else {}), **op.outputs}
            fields = {"phase": op.phase, "layer": op.layer, "op": op.name, "equation": op.equation,
                      "inputs": list(op.inputs), "outputs": list(op.outputs)}  # fmt: skip
            rows.append((op_address(epoch, example, op.address), fields, tensors))
        steps = self.writer.add_pass(epoch, example, rows)
        return steps

    def full_epoch_bytes(self) -> int:
        """Bytes that ``full`` adds per epoch: Z and A of every layer for every example."""
        per_example = 2 * sum(self.run.params.sizes[1:]) * self.run.params.dtype.itemsize
        return per_example * len(self.run.train)

    @property
    def failure(self) -> str | None:
        """Why the trace stopped taking steps (:class:`~netviz.trace.writer.TraceWriteError`'s
        words), or None while it takes them."""
        return self.writer.failure

    def set_meta(self, meta: Mapping[str, object]) -> None:
        """Add or replace run metadata: a tour's breakpoints, a lesson's answers."""
        self.writer.set_meta(meta)

    def close(self) -> None:
        """Checkpoint the last weights (so replay ends where training did) and finish the file.
        Never raises for a full disk: the file then ends at its last whole step (the weights
        after it rebuild from its ΣdW), and :attr:`failure` says why."""
        try:
            if self._last_epoch != self._last_checkpoint and self.failure is None:
                self._checkpoint(self._last_epoch, self._before)
        except TraceWriteError:
            pass
        finally:
            self.writer.close()

    def __enter__(self) -> Recorder:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _checkpoint(self, epoch: int, params: Params) -> None:
        self.writer.add_checkpoint(epoch, params.named())
        self._last_checkpoint = epoch

    def _watched(self, params: Params) -> dict[str, np.ndarray]:
        """Z, A and dZ of the watched examples at ``params``: one column per example."""
        arrays = watched_arrays(params, self.run, self.watch)
        return {f"watch/{name}": a for name, a in arrays.items()}

    def _everyone(self, params: Params) -> dict[str, np.ndarray]:
        """Z and A of every training example at ``params``."""
        cache = forward(params, self.run.X, self.run.hidden)
        out = {}
        for l in range(1, len(params.W) + 1):
            out[f"all/Z{l}"], out[f"all/A{l}"] = cache[f"Z{l}"], cache[f"A{l}"]
        return out

    def _meta(self) -> dict:
        run, spec = self.run, self.run.spec
        return {
            "netviz": __version__,
            "run_id": uuid.uuid4().hex,  # the run's identity, which a fork of it names
            "created": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
            "preset": spec.preset.recipe(),
            "sizes": list(run.params.sizes),
            "activation": run.hidden.name,
            "init": spec.preset.init,
            "seed": spec.seed,
            "shuffle_seed": spec.shuffle_seed,  # with the rest, a fork rebuilds the same data
            "alpha": spec.preset.alpha,
            "epochs": spec.preset.epochs,
            "dtype": str(run.params.dtype),
            "scale_pixels": spec.preset.scale_pixels,
            "data": run.source.name,
            "data_sha256": run.source.sha256,
            "train_size": len(run.train),
            "test_size": len(run.test),
            "record": self.options.level,
            "checkpoint_every": self.options.checkpoint_every,
            "watch": list(self.watch),
        }
