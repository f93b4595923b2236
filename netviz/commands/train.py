"""``netviz train``: headless full-batch training with a progress bar and the final accuracies."""

from __future__ import annotations

import math
import sys
import time
from contextlib import ExitStack

import numpy as np

from ..core.network import Params, forward
from ..recording import DEFAULT_RECORDING, Recorder, RecordOptions, default_trace_path
from ..run import Run, RunSpec, prepare
from ..training import EpochResult, Trainer

EXIT_DIVERGED = 1


def train(
    spec: RunSpec,
    out: str | None = None,
    workers: int | None = None,
    trace: str | None = None,
    record: RecordOptions | None = DEFAULT_RECORDING,
) -> int:
    """Train as ``spec`` says, print ``train accuracy: …`` and ``test accuracy: …``.

    Records a trace to ``trace`` (default: a new file in ``traces/``) unless ``record`` is None.
    Returns 0; 130 when interrupted (the weights reached so far are still reported, saved and
    recorded); 1 when the cost stops being a finite number (recorded, but no weights saved).
    """
    run = prepare(spec)
    if out:
        _check_writable(out)
    p = spec.preset
    print(
        f"{p.name} preset on {run.source.name}{_shuffled(spec)}: "
        f"{len(run.train):,} train / {len(run.test):,} test, "
        f"{spec.layout}, init {p.init} (seed {spec.seed}), α {p.alpha:g}, {p.epochs} epochs, "
        f"{'pixels / 255' if p.scale_pixels else 'raw 0–255 pixels'}, {p.dtype}"
    )
    params, last, status = run.params, None, 0
    with ExitStack() as stack:
        recorder = None
        if record is not None:
            recorder = stack.enter_context(Recorder(trace or default_trace_path(run), run, record))
            _announce(recorder, p.epochs)
        trainer = stack.enter_context(
            Trainer(
                run.X,
                run.y,
                run.hidden,
                p.alpha,
                run.X_test,
                run.y_test,
                workers,
                stats=recorder is not None,
            )
        )
        started = time.perf_counter()
        try:
            with _progress(p.epochs) as show:
                for last in trainer.run(params, p.epochs):
                    if recorder is not None:
                        recorder.epoch(last, p.alpha)
                    if not (math.isfinite(last.cost) and _sound(last.params, run)):
                        return _diverged(last, p.alpha, recorder)
                    params = last.params
                    show(last)
        except KeyboardInterrupt:
            done = last.epoch if last else 0
            print(f"interrupted after epoch {done} of {p.epochs}", file=sys.stderr)
            status = 130
        seconds = time.perf_counter() - started
        train_acc = trainer.accuracy(params, run.X, run.y)
        test_acc = trainer.accuracy(params, run.X_test, run.y_test)
    epochs = last.epoch if last else 0
    if epochs:
        print(
            f"trained {epochs} epochs in {seconds:.1f} s ({1000 * seconds / epochs:.1f} ms/epoch)"
        )
        print(f"final cost: {last.cost:.4f} (mean cross-entropy before the last update)")
    print(f"train accuracy: {100 * train_acc:.2f} %")
    print(f"test accuracy: {_percent(test_acc)}")
    if recorder is not None:
        print(f"trace: {recorder.path}")
    if out:
        from ..weights import save_weights

        meta = _meta(run, epochs, train_acc, test_acc)
        print(f"wrote {save_weights(out, params, meta)}")
    return status


def _announce(recorder: Recorder, epochs: int) -> None:
    """Say where the trace goes, and how large a full recording will get before it starts."""
    options = recorder.options
    if options.level == "full":
        count = epochs if options.full_epochs is None else len(options.full_epochs)
        size = recorder.full_epoch_bytes() * count
        print(
            f"full recording: Z and A of every training example in {count} epochs, "
            f"{recorder.full_epoch_bytes() / 1e6:.1f} MB each, {size / 1e6:.0f} MB in all"
        )
    print(f"recording ({options.level}) to {recorder.path}")


def _sound(params: Params, run: Run) -> bool:
    """Finite weights that still give finite predictions (a few examples are enough to tell)."""
    if not all(np.isfinite(a).all() for a in (*params.W, *params.b)):
        return False
    with np.errstate(over="ignore", invalid="ignore"):
        return bool(
            np.isfinite(forward(params, run.X[:, :64], run.hidden)[f"Z{len(params.W)}"]).all()
        )


def _diverged(result: EpochResult, alpha: float, recorder: Recorder | None) -> int:
    kept = f"; the trace {recorder.path} holds it" if recorder else ""
    what = f"the cost is {result.cost}" if not math.isfinite(result.cost) else "outputs overflow"
    print(
        f"netviz: training diverged: {what} after epoch {result.epoch} "
        f"(try a smaller --lr than {alpha:g}); no weights saved{kept}",
        file=sys.stderr,
    )
    return EXIT_DIVERGED


def _shuffled(spec: RunSpec) -> str:
    return "" if spec.shuffle_seed is None else f" (rows shuffled, seed {spec.shuffle_seed})"


def _percent(fraction: float) -> str:
    return "n/a (no test examples)" if fraction != fraction else f"{100 * fraction:.2f} %"


def _meta(run: Run, epochs: int, train_acc: float, test_acc: float) -> dict:
    """How the weights were made, saved beside them so `predict` treats inputs the same way."""
    from .. import __version__

    return {
        "netviz": __version__,
        "preset": run.spec.preset.recipe(),
        "data": run.source.name,
        "data_sha256": run.source.sha256,
        "train_size": len(run.train),
        "test_size": len(run.test),
        "seed": run.spec.seed,
        "shuffle_seed": run.spec.shuffle_seed,
        "epochs_trained": epochs,
        "train_accuracy": train_acc,
        "test_accuracy": None if test_acc != test_acc else test_acc,
    }


def _check_writable(out: str) -> None:
    """Refuse a bad --out before training, not after minutes of it."""
    from ..errors import NetvizError
    from ..files import check_writable

    if not out.endswith(".npz"):
        raise NetvizError(f"{out}: weights are saved as .npz; give a name ending in .npz")
    check_writable(out)


class _progress:
    """A rich progress bar on stderr: epoch, cost, train and test accuracy; nothing when piped."""

    def __init__(self, total: int) -> None:
        self.total = total

    def __enter__(self):
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        console = Console(stderr=True)
        self._bar = Progress(
            TextColumn("epoch"),
            MofNCompleteColumn(),
            BarColumn(),
            TextColumn("{task.fields[stats]}"),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=console,
            disable=not console.is_terminal,
            transient=False,
        )
        self._bar.__enter__()
        self._task = self._bar.add_task("train", total=self.total, stats="")
        return self._show

    def _show(self, r: EpochResult) -> None:
        stats = f"cost {r.cost:.4f}  train {100 * r.train_accuracy:5.2f} %"
        if r.test_accuracy == r.test_accuracy:
            stats += f"  test {100 * r.test_accuracy:5.2f} %"
        self._bar.update(self._task, completed=r.epoch, stats=stats)

    def __exit__(self, *exc) -> None:
        self._bar.__exit__(*exc)
