"""``netviz train``: headless full-batch training with a progress bar and the final accuracies."""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Mapping, Sequence
from contextlib import ExitStack, suppress
from dataclasses import asdict, replace

import numpy as np

from ..core.network import Params, forward
from ..errors import NetvizError
from ..safe import literal
from ..trace import TraceWriteError
from ..training.calibrate import AS_GIVEN, PARENTS_PLAN
from ..training.fork import NO_CHANGES, Fork, ForkOptions, fork_trace_name, plan_fork
from ..training.recording import DEFAULT_RECORDING, Recorder, RecordOptions, default_trace_path
from ..training.run import Run, RunSpec, prepare
from ..training.trainer import EpochResult, Figures, Trainer
from .options import say

EXIT_DIVERGED = 1
EXIT_TRACE_FAILED = 2  # as any error the user has to fix: here, room on the trace's disk


def train(
    spec: RunSpec,
    out: str | None = None,
    workers: int | None = None,
    trace: str | None = None,
    record: RecordOptions | None = DEFAULT_RECORDING,
    verbose: bool = False,
) -> int:
    """Train as ``spec`` says, print ``train accuracy: …`` and ``test accuracy: …``.

    The progress bar shows each epoch's cost and accuracies at the weights it started from,
    before its update; the last lines, the weights saved and the trace's final figures are all
    measured at the weights the run ends with, after its last update.

    Records a trace to ``trace`` (default: a new file in ``traces/``) unless ``record`` is None.
    Returns 0; 130 when interrupted (the weights reached so far are still reported, saved and
    recorded); 1 when the cost stops being a finite number (recorded, but no weights saved); 2
    when the trace cannot take another epoch (a full disk): training stops after the last epoch
    it holds, whose weights are reported and saved as an interrupted run's.
    """
    run = prepare(spec)
    if out:
        _check_writable(out)
    print(_describe(run, 0))
    return _train(run, 0, out, workers, trace, record, verbose=verbose)


def train_fork(
    parent: str,
    at: str,
    options: ForkOptions = NO_CHANGES,
    fixed: Mapping[str, object] | None = None,
    out: str | None = None,
    workers: int | None = None,
    trace: str | None = None,
    record: RecordOptions | None = DEFAULT_RECORDING,
    verbose: bool = False,
) -> int:
    """``netviz train --from PARENT --at eK``: continue the recorded run ``parent`` from its
    weights after K epochs, on its data, with ``options`` changed, as epochs K+1, K+2, …

    Everything is checked before anything is written (see :mod:`netviz.training.fork`): a
    refusal is a NetvizError, one line. The trace (default ``traces/<parent>-fork-eK.nvtrace``)
    names the parent and K; it watches the parent's watched examples unless told otherwise.
    Returns as :func:`train` does.
    """
    fork = plan_fork(parent, at, options, fixed)
    if out:
        _check_writable(out)
    if record is not None and record.watch is None:
        record = replace(record, watch=fork.watch)
    print(f"fork of {literal(fork.parent)} at e{fork.epoch}: {fork_changes(fork.changes)}")
    print(_describe(fork.run, fork.epoch))
    return _train(fork.run, fork.epoch, out, workers, trace, record, fork, verbose)


def fork_changes(changes: Mapping[str, Sequence]) -> str:
    """``α 0.8 → 0.4, pixels raw 0–255 → / 255 (W1 × 255)``, or ``no option changed``."""
    words = []
    for name, (was, now) in changes.items():
        if name == "alpha":
            words.append(f"α {_g(was)} → {_g(now)}")
        elif name == "scale_pixels":
            words.append(
                "pixels raw 0–255 → / 255 (W1 × 255)" if now else "pixels / 255 → raw (W1 / 255)"
            )
        elif name == "activation":
            words.append(f"activation {literal(was)} → {literal(now)}")
        else:
            words.append(f"{literal(name)} {literal(was)} → {literal(now)}")
    return ", ".join(words) or "no option changed"


def _g(value: object) -> str:
    return f"{value:g}" if isinstance(value, int | float) else literal(value)


def _describe(run: Run, start: int) -> str:
    """The run in one line: data, network, init, α, epochs, pixels, dtype."""
    spec, p = run.spec, run.spec.preset
    epochs = f"{p.epochs} epochs" if not start else f"epochs {start + 1}–{start + p.epochs}"
    return (
        f"{p.name} preset on {literal(run.source.name)}{_shuffled(spec)}: "
        f"{len(run.train):,} train / {len(run.test):,} test, "
        f"{spec.layout}, init {p.init} (seed {spec.seed}), α {p.alpha:g}, {epochs}, "
        f"{'pixels / 255' if p.scale_pixels else 'raw 0–255 pixels'}, {p.dtype}"
    )


def _train(
    run: Run,
    start: int,
    out: str | None,
    workers: int | None,
    trace: str | None,
    record: RecordOptions | None,
    fork: Fork | None = None,
    verbose: bool = False,
) -> int:
    """Train ``run`` from ``run.params``, the weights after ``start`` epochs, for the preset's
    epochs (numbered ``start + 1`` on); report, record and save as :func:`train` says."""
    p = run.spec.preset
    end = start + p.epochs
    params, done, status = run.params, start, 0  # params: the weights after `done` epochs
    with ExitStack() as stack:
        trainer = stack.enter_context(
            Trainer(
                run.X,
                run.y,
                run.hidden,
                p.alpha,
                run.X_test,
                run.y_test,
                workers,
                plan=fork.plan if fork else None,
                stats=record is not None,
                sizes=run.params.sizes,
                notice=say,
                plan_from=PARENTS_PLAN if fork else AS_GIVEN,
            )
        )
        if verbose:
            threads = f"{trainer.workers} worker thread{'s' if trainer.workers > 1 else ''}"
            print(f"epochs: {trainer.plan.describe()}; {threads} ({trainer.choice.source})")
        recorder = None
        if record is not None:
            if trace is None:
                name = fork_trace_name(fork.parent, start) if fork else None
                trace = default_trace_path(run, name=name)
            meta = {**(fork.meta if fork else {}), "plan": asdict(trainer.plan)}
            recorder = stack.enter_context(Recorder(trace, run, record, start, meta))
            _announce(recorder, p.epochs)
        started = time.perf_counter()
        try:
            with _progress(p.epochs, start) as show:
                for last in trainer.run(params, p.epochs, first=start + 1):
                    if recorder is not None:
                        recorder.epoch(last, p.alpha)
                    if not (math.isfinite(last.cost) and _sound(last.params, run)):
                        return _diverged(last, p.alpha, recorder)
                    params, done = last.params, last.epoch
                    show(last)
        except KeyboardInterrupt:
            print(f"interrupted after epoch {done} of {end}", file=sys.stderr)
            status = 130
        except TraceWriteError as e:  # a full disk: stop where the trace stops, keep the rest
            stop = f"after epoch {done}, the last it holds" if done > start else "at its start"
            print(f"netviz: error: {literal(e)}; training stopped {stop}", file=sys.stderr)
            status = EXIT_TRACE_FAILED
        seconds = time.perf_counter() - started
        # The progress bar showed each epoch's figures before its update; these are the weights
        # the run ends with, after the last update: what is saved, recorded as final, and shown.
        final = trainer.measure(params, done)
        if recorder is not None and recorder.failure is None:
            with suppress(TraceWriteError):  # told below, once the trace is closed
                recorder.final(final)
    if recorder is not None and recorder.failure is not None and status != EXIT_TRACE_FAILED:
        # its epochs are all in it; its final figures or closing checkpoint are not
        print(f"netviz: error: {literal(recorder.failure)}; training had finished", file=sys.stderr)
        status = EXIT_TRACE_FAILED
    trained = done - start
    if trained:
        print(
            f"trained {trained} epochs in {seconds:.1f} s ({1000 * seconds / trained:.1f} ms/epoch)"
        )
    print(f"at the {'final' if final.epoch else 'first'} weights, {final_weights(final.epoch)}:")
    for label, value in final_rows(final):
        print(f"{label}: {value}")
    if recorder is not None:
        print(f"trace: {literal(recorder.path)}")
    if out:
        from ..training.weights import save_weights

        print(f"wrote {literal(save_weights(out, params, _meta(run, final, fork)))}")
    return status


def final_weights(epoch: int) -> str:
    """Which weights the final figures are measured at, in a few words."""
    return "before any epoch" if epoch == 0 else f"after epoch {epoch}'s update"


def final_rows(figures: Figures) -> list[tuple[str, str]]:
    """(label, value) of the final figures, as ``netviz train`` prints them last and ``netviz
    trace info`` shows them: ``final cost``, ``train accuracy``, ``test accuracy``."""
    return [
        ("final cost", f"{figures.cost:.4f} (mean cross-entropy)"),
        ("train accuracy", _percent(figures.train_accuracy, "no training examples")),
        ("test accuracy", _percent(figures.test_accuracy, "no test examples")),
    ]


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
    print(f"recording ({options.level}) to {literal(recorder.path)}")


def _sound(params: Params, run: Run) -> bool:
    """Finite weights that still give finite predictions (a few examples are enough to tell)."""
    if not all(np.isfinite(a).all() for a in (*params.W, *params.b)):
        return False
    with np.errstate(over="ignore", invalid="ignore"):
        return bool(
            np.isfinite(forward(params, run.X[:, :64], run.hidden)[f"Z{len(params.W)}"]).all()
        )


def _diverged(result: EpochResult, alpha: float, recorder: Recorder | None) -> int:
    kept = f"; the trace {literal(recorder.path)} holds it" if recorder else ""
    what = f"the cost is {result.cost}" if not math.isfinite(result.cost) else "outputs overflow"
    print(
        f"netviz: training diverged: {what} after epoch {result.epoch} "
        f"(try a smaller --lr than {alpha:g}); no weights saved{kept}",
        file=sys.stderr,
    )
    return EXIT_DIVERGED


def _shuffled(spec: RunSpec) -> str:
    return "" if spec.shuffle_seed is None else f" (rows shuffled, seed {spec.shuffle_seed})"


def _percent(fraction: float, missing: str) -> str:
    return f"n/a ({missing})" if fraction != fraction else f"{100 * fraction:.2f} %"


def _meta(run: Run, final: Figures, fork: Fork | None = None) -> dict:
    """How the weights were made, saved beside them so `predict` treats inputs the same way."""
    from .. import __version__

    test = final.test_accuracy
    parent = {} if fork is None else {"fork_of": str(fork.parent), "fork_epoch": fork.epoch}
    return {
        **parent,
        "netviz": __version__,
        "preset": run.spec.preset.recipe(),
        "data": run.source.name,
        "data_sha256": run.source.sha256,
        "train_size": len(run.train),
        "test_size": len(run.test),
        "seed": run.spec.seed,
        "shuffle_seed": run.spec.shuffle_seed,
        "epochs_trained": final.epoch,
        # measured at these very weights, after the last update
        "cost": final.cost,
        "train_accuracy": final.train_accuracy,
        "test_accuracy": None if math.isnan(test) else test,
    }


def _check_writable(out: str) -> None:
    """Refuse a bad --out before training, not after minutes of it."""
    from ..errors import NetvizError
    from ..files import check_writable

    if not out.endswith(".npz"):
        raise NetvizError(f"{out}: weights are saved as .npz; give a name ending in .npz")
    check_writable(out)


class _progress:
    """A rich progress bar on stderr: epoch, then its cost, train and test accuracy at the weights
    it started from (before its update); nothing when piped."""

    def __init__(self, total: int, start: int = 0) -> None:
        self.total, self.start = total, start  # a fork's epochs are numbered start + 1 on

    def __enter__(self):
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeRemainingColumn,
        )
        from rich.table import Column

        console = Console(stderr=True)
        whole = {"table_column": Column(no_wrap=True)}  # at 80 columns the bar shrinks, not these
        self._bar = Progress(
            TextColumn("epoch"),
            MofNCompleteColumn(**whole),
            BarColumn(),
            TextColumn("{task.fields[stats]}", markup=False, **whole),
            TimeRemainingColumn(**whole),  # no elapsed time: the summary says it
            console=console,
            disable=not console.is_terminal,
            transient=False,
        )
        self._bar.__enter__()
        self._task = self._bar.add_task("train", total=self.total, stats="")
        return self._show

    def _show(self, r: EpochResult) -> None:
        # At the weights the epoch started from: the summary's final figures come after it.
        stats = f"at its start: cost {r.cost:.4f} train {100 * r.train_accuracy:5.2f} %"
        if r.test_accuracy == r.test_accuracy:
            stats += f" test {100 * r.test_accuracy:5.2f} %"
        self._bar.update(self._task, completed=r.epoch - self.start, stats=stats)

    def __exit__(self, *exc) -> None:
        self._bar.__exit__(*exc)


def fork_command(args, record) -> int:
    """``netviz train --from TRACE --at eK``: the options a fork may change go to ForkOptions;
    the others, when given, are refused unless they are the parent's own. ``args``: the
    parsed command line (netviz.commands.cli); ``record``: its recording options."""
    from ..training.fork import ForkOptions

    if args.parent is None or args.at is None:
        raise NetvizError("--from TRACE and --at eK go together: fork TRACE's run after K epochs")
    options = ForkOptions(args.lr, args.scale, args.activation, args.epochs, args.data)
    fixed = {
        "--layers": args.layers, "--dtype": args.dtype, "--init": args.init,
        "--seed": args.seed, "--preset": args.preset, "--split": args.split,
        "--train-size": args.train_size, "--test-size": args.test_size, "--shuffle": args.shuffle,
    }  # fmt: skip
    return train_fork(args.parent, args.at, options, fixed, out=args.out, workers=args.workers,
                      trace=args.trace, record=record, verbose=args.verbose)  # fmt: skip
