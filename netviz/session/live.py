"""The session: one live network, its data, and the history of what it computed.

The terminal UI, the CLI and the tests all drive this small API and read frozen snapshots. The
timeline (:class:`~netviz.session.history.History`) holds, in order, every example pass the learner
opened (all of its ops) and every full-batch epoch run. Moving back only moves the cursor;
moving forward past the end computes (a new pass, or an epoch) and records it in the session's
trace.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ..core.network import Params, forward
from ..core.steps import YHAT, example_ops
from ..debug.breakpoints import Breakpoint, EpochFacts, check
from ..debug.passes import pass_weights
from ..errors import NetvizError
from ..safe import literal
from ..trace import TraceWriteError
from ..trace.schema import parse_address
from ..training.recording import (
    DEFAULT_RECORDING,
    Recorder,
    RecordOptions,
    default_trace_path,
    default_watch,
    metrics_row,
    watched_arrays,
)
from ..training.run import Run, RunSpec

if TYPE_CHECKING:
    from ..training.fork import Fork
from ..training.trainer import EpochResult
from . import epochs
from .history import History
from .snapshot import Hit, Item, Pass, Snapshot, layer_states
from .start import Started, start_run

PREVIEW = (
    "Your drawing, through the forward pass at the current weights as you draw: each layer's "
    "activations and ŷ. Nothing is recorded: Enter steps it through every op, like an example."
)


class Session(History):
    """A live run: stepping through example passes, and full-batch epochs, all recorded."""

    def __init__(
        self,
        spec: RunSpec,
        trace: str | Path | None = None,
        record: RecordOptions | None = DEFAULT_RECORDING,
        workers: int | None = None,
        start: tuple[Params, str] | None = None,
        fork: Fork | None = None,
        notice: Callable[[str], None] | None = None,
    ) -> None:
        """``start``: saved weights to begin from instead of the recipe's initial ones, and
        where they came from (``netviz tour --weights``): the trace says so. ``fork``: a run
        continuing another from its epoch K (:meth:`fork`), numbered on from there.
        ``notice``: told when the trainer first measures this machine (a few seconds)."""
        super().__init__()  # breakpoints and watches are kept across resets: they are the lesson
        self._start_weights, self._fork = start, fork
        self._epoch_lock = threading.Lock()  # one epoch at a time, and no reset during one
        self.traces: list[Path] = []  # every trace this session wrote (a reset starts a new one)
        self.stopped: dict[Path, str] = {}  # those that could not take another step, and why
        self._workers, self._record, self._trace_arg = workers, record, trace
        self._notice = notice
        self._start(spec)

    live = True

    @property
    def trace_path(self) -> Path | None:
        return self._recorder.path if self._recorder else None

    def goto_example(self, example: int) -> Snapshot:
        """Open ``example`` (an index into the training set) at the current weights."""
        with self._lock:
            if not 0 <= example < len(self._run.train):
                raise ValueError(f"example must be 0–{len(self._run.train) - 1}")
            return self._open_pass(example, 0)

    def _past_last_pass(self, current: Pass, index: int) -> Snapshot:
        after = current.example + 1 if current.example in range(len(self._run.train)) else 0
        return self._open_pass(after % len(self._run.train), index)

    def own_digit(self, pixels: np.ndarray, label: int | None = None, source: str = "") -> Snapshot:
        """Open a pass on the learner's own digit at the current weights: ``pixels`` (784,)
        0–255, ink bright on black as the data set's; ``label`` the digit it is, or None: then
        backprop (which needs one) uses the network's guess, and the snapshot says so. It is
        numbered after the training examples (x300 for a run of 300), never trained on."""
        pixels = self._pixels(pixels)
        classes = self._sizes[-1]
        if label is not None and not 0 <= label < classes:
            raise ValueError(f"label {label}: the network has outputs 0–{classes - 1}")
        with self._lock:
            example = len(self._run.train) + len(self._own)
            x = self._as_input(pixels)
            labelled = label is not None
            if label is None:
                label = self._guess(x)  # again at each pass: the weights move on
            self._own[example] = (pixels, label, labelled, source or "your digit")
            return self._open_pass(example, 0)

    def preview(self, pixels: np.ndarray) -> Snapshot:
        """What the network makes of ``pixels`` at the current weights, forward only and kept
        nowhere: the snapshot at the cursor with the digit, each layer's activations and the
        guess replaced (the tour's drawing shows it as the learner draws)."""
        pixels = self._pixels(pixels)
        with self._lock:
            x = self._as_input(pixels)[:, None]
            with np.errstate(over="ignore", invalid="ignore"):
                cache = forward(self._params, x, self._run.hidden)
            L = len(self._sizes) - 1
            values = {"x": x, **{f"A{l}": cache[f"A{l}"] for l in range(1, L)}}
            yhat = values[YHAT] = cache[f"A{L}"]
            guess = int(np.argmax(yhat))
            layers = layer_states(values, self._sizes, self._hidden)
            return replace(self._snapshot(), kind="preview", op=None, address="your drawing",
                           weights_epoch=self._epoch, explanation=PREVIEW, pixels=pixels,
                           layers=layers, prediction=guess, confidence=float(np.max(yhat)),
                           label=guess, labelled=False, source="your drawing", hits=(),
                           watches=(), epoch_metrics=None)  # fmt: skip

    def fork(self, alpha: float | None = None, scale: bool | None = None) -> Session:
        """``f``: this network continued from the current epoch K by a second live session
        with another α (or pixel scaling), numbered K+1 on, in its own trace that names this
        one's as its parent (``netviz train --from`` makes the same from a trace). Unchanged,
        it repeats this run's next epochs bit for bit. The caller closes it."""
        from ..training.fork import ForkOptions, continue_run, fork_trace_name

        with self._epoch_lock, self._lock:
            base = replace(self._run, params=self._params)
            parent = self.trace_path or Path("no-trace")
            left = max(1, base.spec.preset.epochs - self._epoch)
            known = {
                "run_id": getattr(self._recorder, "run_id", None),
                "watch": self._watched,
                "plan": asdict(self._trainer.plan),  # its epochs add as this run's do
            }
            made = continue_run(base, self._epoch, ForkOptions(alpha, scale, epochs=left),
                                parent, known)  # fmt: skip
        record, trace = self._record, None
        if record is not None:
            record = replace(record, watch=made.watch or None)
            name = fork_trace_name(parent, made.epoch)
            trace = default_trace_path(made.run, parent.parent, name)
        return Session(made.run.spec, trace, record, self._workers, fork=made)

    def _guess(self, x: np.ndarray) -> int:
        """The network's digit for input ``x`` (784,) at the current weights."""
        with np.errstate(over="ignore", invalid="ignore"):
            yhat = forward(self._params, x[:, None], self._run.hidden)[f"A{len(self._sizes) - 1}"]
        return int(np.argmax(yhat[:, 0]))

    def _pixels(self, pixels: np.ndarray) -> np.ndarray:
        """A digit's pixels as the data set's: (784,) uint8; ValueError for another size."""
        pixels = np.clip(np.rint(np.asarray(pixels, dtype=float)), 0, 255).astype(np.uint8)
        pixels = pixels.reshape(-1)
        if pixels.size != self._sizes[0]:
            raise ValueError(f"a digit of {pixels.size} pixels: the network takes {self._sizes[0]}")
        return pixels

    def _as_input(self, pixels: np.ndarray) -> np.ndarray:
        """x (784,) as the network is given its examples: raw or scaled, in its dtype."""
        from ..core.network import as_inputs

        spec = self._run.spec.preset
        return np.asarray(as_inputs(pixels[None, :], self._params.dtype, spec.scale_pixels))[:, 0]

    def _missing_pass(self, epoch: int, example: int) -> int | None:
        """A pass at the current weights is computed on demand; earlier ones are gone."""
        if epoch == self._epoch and (0 <= example < len(self._run.train) or example in self._own):
            return self._compute_pass(example, 0)
        return None

    # --- computing ----------------------------------------------------------------------------

    def run_epoch(self, follow: bool | None = None) -> EpochResult:
        """One full-batch epoch (safe from worker threads; epochs never overlap): record it, then
        reopen the current example at the new weights, at the same op, so the learner sees what
        changed. The reopened pass is recorded when the learner moves in it; one nobody looked
        at is replaced by the next epoch's (playing 500 epochs records 500 epochs, not 500
        passes).

        ``follow``: whether the cursor goes to what the epoch made: from a pass, to the same op
        of the reopened pass; from an epoch step, to the new epoch step. None (the default)
        follows only a learner on the newest pass, so one browsing the past while epochs play
        stays where they are; a learner who asked for this epoch (``e``) is followed."""
        with self._epoch_lock:
            with self._lock:
                params, epoch, trainer = self._params, self._epoch, self._trainer
            result = trainer.epoch(params, epoch + 1)  # the long part, outside the state lock
            with self._lock:
                self._commit_epoch(result, follow)
            return result

    def _commit_epoch(self, result: EpochResult, follow: bool | None) -> None:
        on_epoch = self._items[self._cursor].pass_id is None
        if follow is None:
            follow = self._items[self._cursor].pass_id == len(self._passes) - 1
        pid, i, _ = self._current_pass()
        example = self._passes[pid].example
        self._drop_unvisited_pass()
        self._write(lambda r: r.epoch(result, self._run.spec.preset.alpha))
        with np.errstate(over="ignore", invalid="ignore"):  # the weights the epoch started from
            self._watch_arrays[result.epoch] = watched_arrays(
                self._params, self._run, self._watched
            )
        self._params, self._epoch = result.params, result.epoch
        row = {"epoch": result.epoch, **metrics_row(result, self._run.spec.preset.alpha)}
        self._metrics.append(epochs.metrics(row, len(result.params.W)))
        self._check_breakpoints(result, row)
        self._items.append(Item(None, result.epoch))
        cursor, epoch_step = self._cursor, len(self._items) - 1
        self._compute_pass(example, i, record=False)
        if not follow:
            self._cursor = cursor
        elif on_epoch:
            self._cursor = epoch_step

    # --- debugger tools ---------------------------------------------------------------------------

    def next_misclassified(self) -> Snapshot:
        """``m``: the next training example (after the current one) the network gets wrong at
        the current weights; the current one if there is none."""
        from ..debug.passes import misclassified

        with self._lock:
            run, p = self._run, self._passes[self._current_pass()[0]]
            wrong = misclassified(self._params, run.X, run.y, run.hidden)
            if wrong.size == 0:
                return self._snapshot()
            later = wrong[wrong > p.example]
            return self._open_pass(int(later[0] if later.size else wrong[0]), 0)

    def _weights_at(self, epoch: int) -> Params:
        """The weights a pass at ``epoch`` used (the current ones if none is open)."""
        pid = next((k for k, p in enumerate(self._passes) if p.epoch == epoch), None)
        return self._params if pid is None else pass_weights(self._passes[pid].ops)

    # --- breakpoints ----------------------------------------------------------------------------

    def run_until_break(
        self, max_epochs: int, cancelled=lambda: False, on_epoch=None
    ) -> Hit | None:
        """``c``: first the ops of the cursor's pass after it (computed already: a condition
        added since is checked on them now), then epochs until a breakpoint fires,
        ``max_epochs`` pass, or ``cancelled()`` says stop. The first hit is returned, with the
        cursor on it (the epoch step, or the op of the pass the epoch reopened); else None.
        ``on_epoch(result)`` is called after each epoch (for progress)."""
        with self._lock:
            hit = self._seek(self._rest_of_pass())
        if hit is not None:
            return hit
        for _ in range(max_epochs):
            if cancelled():
                return None
            result = self.run_epoch()
            if on_epoch is not None:
                on_epoch(result)
            with self._lock:
                last = len(self._items) - 1  # the epoch step is near the end: look from there
                start = next(k for k in range(last, -1, -1) if self._items[k].pass_id is None)
                hit = self._seek(range(start, last + 1))  # the epoch, then the pass it reopened
            if hit is not None:
                return hit
        return None

    def _rest_of_pass(self) -> range:
        """Timeline positions of the ops after the cursor in its pass (none on an epoch)."""
        item = self._items[self._cursor]
        if item.pass_id is None:
            return range(0)
        last = self._where[item.pass_id, len(self._pass(item.pass_id).ops) - 1]
        return range(self._cursor + 1, last + 1)

    def _epoch_hits(self, epoch: int, on: list[Breakpoint]) -> list[Hit]:
        texts = {b.text for b in on}
        return [h for h in self.hits if h.address == f"e{epoch}" and h.condition in texts]

    def _save_breakpoints(self) -> None:
        saved = [{"condition": b.text, "enabled": b.enabled} for b in self.breakpoints]
        self._write(lambda r: r.set_meta({"breakpoints": saved}))

    def _check_breakpoints(self, result: EpochResult, row: dict) -> None:
        params = result.params
        flips = sorted({b.example for b in self.breakpoints if b.kind == "flip"})
        predictions = {}
        if flips and all(np.isfinite(a).all() for a in (*params.W, *params.b)):
            with np.errstate(over="ignore", invalid="ignore"):
                out = forward(params, self._run.X[:, flips], self._run.hidden)[f"A{len(params.W)}"]
            predictions = dict(zip(flips, (int(d) for d in out.argmax(axis=0)), strict=True))
        facts = epochs.facts(row, len(params.W), predictions)
        for bp in self.breakpoints:
            reason = check(bp, facts, self._facts)
            if reason:
                self.hits.append(Hit(result.epoch, bp.text, reason, bp.layer, f"e{result.epoch}"))
        self._facts = facts

    def reach(self, address: str) -> Snapshot:
        """Go to ``address``, running the full-batch epochs it needs first (``e2/x0/…`` is at
        the weights after 2 epochs): how a lesson gets to its stops."""
        where = parse_address(address)
        if where is None:
            raise ValueError(f"{literal(address)}: not an address")
        while self.snapshot().epoch < where["epoch"]:
            self.run_epoch(follow=False)
        return self.goto(address)

    def keep_answers(self, answers: list[dict]) -> None:
        """A lesson's answers (stop, address, question, answer, right, seconds), in the trace's
        metadata (``answers``), for ``netviz trace info`` and a teacher."""
        self._write(lambda r: r.set_meta({"answers": answers}))

    def set_alpha(self, alpha: float) -> Snapshot:
        """Change the learning rate for the epochs to come (recorded per epoch in the trace).

        Passes already open keep the α they were computed with (their update ops show it); the
        next pass opened uses the new one. ValueError unless α is a finite number above 0 (an
        infinite α turns every weight into NaN at the first epoch)."""
        if not (math.isfinite(alpha) and alpha > 0):
            raise ValueError(f"the learning rate α must be a finite number above 0, not {alpha:g}")
        with self._lock:
            spec = self._run.spec
            self._run = replace(
                self._run, spec=replace(spec, preset=spec.preset.with_(alpha=alpha))
            )
            self._trainer.alpha = alpha
            return self._snapshot()

    def reset(self, seed: int | None = None, preset: str | None = None) -> Snapshot:
        """A fresh network (same or another seed or preset), in a new trace."""
        from ..training.run import preset as find_preset

        with self._epoch_lock, self._lock:  # waits for a running epoch to finish
            spec = self._run.spec
            if preset is not None:
                spec = replace(spec, preset=find_preset(preset))
            if seed is not None:
                spec = replace(spec, seed=seed)
            # a fresh network starts from the recipe's own first weights
            fresh = seed is not None or preset is not None
            weights = None if fresh else self._start_weights
            # Made before the old run stops: if it cannot be (no room for its trace, say), the
            # reset is refused and the run goes on as it was. A new run gets a new file.
            made = self._made(spec, None, None, weights)
            try:
                self._stop()
            except BaseException:
                made.trainer.close()  # not leaked: the session is left with no run either way
                if made.recorder is not None:
                    made.recorder.close()
                raise
            self._trace_arg, self._start_weights = None, weights
            self._adopt(made)
            return self._snapshot()

    def close(self) -> None:
        """Finish the trace and stop the worker threads (after an epoch still running)."""
        with self._epoch_lock, self._lock:
            self._stop()

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # --- inside -------------------------------------------------------------------------------

    def _start(self, spec: RunSpec) -> None:
        fork, self._fork = self._fork, None  # a reset starts the recipe's own run
        self._adopt(self._made(spec, self._trace_arg, fork, self._start_weights))

    def _made(self, spec: RunSpec, trace, fork: Fork | None, weights) -> Started:
        """:func:`.start.start_run` with this session's recording, workers and notice."""
        return start_run(spec, trace=trace, fork=fork, weights=weights, record=self._record,
                         workers=self._workers, notice=self._notice)  # fmt: skip

    def _adopt(self, started: Started) -> None:
        """Make the run ``started`` this session's, at its first pass."""
        run, recorder = started.run, started.recorder
        self._run: Run = run
        self._params, self._epoch = run.params, started.first
        self._trainer, self._recorder = started.trainer, recorder
        if recorder is not None:
            self.traces.append(recorder.path)
            self._save_breakpoints()
        self._clear()
        self._sizes, self._hidden = run.params.sizes, run.hidden
        self._watched = recorder.watch if recorder else default_watch(run)
        self._watch_arrays: dict[int, dict[str, np.ndarray]] = {}  # epoch → watched_arrays
        self._facts: EpochFacts | None = None  # the last epoch's, for "went up" and "flipped"
        self._recorded: set[int] = set()  # passes written to the trace
        # the learner's own digits by example number: (pixels, label, labelled, source)
        self._own: dict[int, tuple[np.ndarray, int, bool, str]] = {}
        self._compute_pass(0, 0)

    def _stop(self) -> None:
        """Record the final figures, then let the trainer and the trace go, whatever fails."""
        recorder, trainer = getattr(self, "_recorder", None), getattr(self, "_trainer", None)
        self._trainer = self._recorder = None
        try:
            if recorder is not None and trainer is not None and self._epoch > 0:
                # The final weights' figures, as netviz train records them: trace info shows them.
                with self._writing(recorder):
                    recorder.final(trainer.measure(self._params, self._epoch))
        finally:
            if trainer is not None:
                trainer.close()
            if recorder is not None:
                recorder.close()  # a full disk here leaves the file whole to its last step
                if recorder.failure is not None:
                    self.stopped[recorder.path] = recorder.failure

    def _open_pass(self, example: int, index: int) -> Snapshot:
        """Open an example's pass at the current weights, op ``index``: the snapshot there."""
        self._compute_pass(example, index)
        return self._snapshot()

    def _compute_pass(self, example: int, index: int, record: bool = True) -> int:
        """Compute an example's pass at the current weights (or find the one open), put the
        cursor on its op ``index``; its id. ``record=False`` leaves the recording to the
        learner's first move in it."""
        pid = self._find_pass(self._epoch, example)  # the same weights: revisit, not recompute
        if pid is not None:
            self._cursor = self._where[pid, min(index, len(self._passes[pid].ops) - 1)]
            if record:
                self._visited(pid)
            return pid
        run = self._run
        own = self._own.get(example)
        if own is None:
            x, label, pixels, labelled, source = (
                run.X[:, example], int(run.y[example]), run.train.images[example], True, ""
            )  # fmt: skip
        else:
            pixels, label, labelled, source = own
            x = self._as_input(pixels)
            if not labelled:  # no label: backprop uses the guess at these weights
                label = self._guess(x)
        with np.errstate(over="ignore", invalid="ignore"):  # a diverged run shows its infs
            ops = example_ops(self._params, x, label, run.hidden, alpha=run.spec.preset.alpha)
        p = Pass(self._epoch, example, ops, label, pixels, source, labelled)
        if self._passes:  # a pass opened after an epoch stays once another follows it
            self._record_pass(len(self._passes) - 1)
        pid = self._add_pass(p, len(ops))
        self._cursor = self._where[pid, min(index, len(ops) - 1)]
        if record:
            self._record_pass(pid)
        return pid

    def _record_pass(self, pid: int) -> None:
        if pid in self._recorded:
            return
        self._recorded.add(pid)
        p = self._passes[pid]
        label = p.label if p.labelled else None  # an own digit without one is stored so
        self._write(lambda r: r.example_pass(p.epoch, p.example, p.ops, p.pixels, label, p.source))

    def _write(self, write: Callable[[Recorder], object]) -> None:
        """``write(recorder)``, unless this run records nothing or its trace has stopped. A
        trace that cannot take another step (a full disk) stops there, whole up to its last
        step, and the run goes on unrecorded: the snapshot's ``trace_failure`` says why."""
        recorder = getattr(self, "_recorder", None)
        if recorder is not None and recorder.failure is None:
            with self._writing(recorder):
                write(recorder)

    @contextmanager
    def _writing(self, recorder: Recorder) -> Iterator[None]:
        try:
            yield
        except TraceWriteError:  # every snapshot from now on carries recorder.failure
            self.stopped[recorder.path] = recorder.failure

    def _drop_unvisited_pass(self) -> None:
        """Forget the newest pass if nobody moved in it (it was opened after an epoch)."""
        pid = len(self._passes) - 1
        if pid in self._recorded or self._items[-1].pass_id != pid:
            return
        del self._passes[pid]
        while self._items and self._items[-1].pass_id == pid:
            self._items.pop()
        self._where = {k: v for k, v in self._where.items() if k[0] != pid}
        self._cursor = min(self._cursor, len(self._items) - 1)

    def export_view(self, address: str | None = None, folder: str | Path = ".") -> Path:
        """As :meth:`History.export_view`; a step after the trace stopped (a full disk) is
        refused, saying so."""
        from ..trace import TraceError

        try:
            return super().export_view(address, folder)
        except TraceError as e:
            if self._recorder is None or self._recorder.failure is None:
                raise
            raise NetvizError(f"{e}: the recording stopped before it (cannot write)") from None

    def _trace_holding(self, address: str) -> Path:
        if self._recorder is None:
            raise NetvizError("this run records no trace (--no-trace): nothing to draw from")
        where = parse_address(address)
        if where is not None and where["example"] is not None:
            pid = self._find_pass(where["epoch"], where["example"])
            if pid is not None:
                self._record_pass(pid)
        return self._recorder.path

    def _visited(self, pid: int) -> None:
        self._record_pass(pid)

    def _watched_at(self, epoch: int) -> dict[str, np.ndarray] | None:
        return self._watch_arrays.get(epoch)

    def _example_input(self, example: int) -> tuple[np.ndarray, int, np.ndarray]:
        own = self._own.get(example)
        if own is not None:
            return own[0], own[1], self._as_input(own[0])[:, None]
        run = self._run
        return run.train.images[example], int(run.y[example]), run.X[:, example : example + 1]

    def _settings(self) -> dict:
        spec = self._run.spec
        return {
            "alpha": spec.preset.alpha,
            "preset": spec.preset.name,
            "weights_from": "" if self._start_weights is None else self._start_weights[1],
            "layout": spec.layout,
            "seed": spec.seed,
            "trace": literal(self.trace_path) if self._recorder else "",
            "trace_failure": literal(self._recorder.failure or "") if self._recorder else "",
            "train_size": len(self._run.train),
            "hidden": self._hidden.name,
        }
