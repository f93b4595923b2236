"""The session: one network, its data, a timeline of what was computed, and a cursor over it.

The terminal UI, the CLI and the tests all drive this small API and read frozen snapshots. The
timeline holds, in order, every example pass the learner opened (all of its ops) and every
full-batch epoch run. Moving back only moves the cursor; moving forward past the end computes
(a new pass, or an epoch) and records it in the session's trace.
"""

from __future__ import annotations

import math
import threading
from dataclasses import replace
from pathlib import Path

import numpy as np

from .breakpoints import Breakpoint, EpochFacts, check, check_op, parse_breakpoint
from .core.network import Params, forward
from .core.steps import Op, example_ops
from .explain import explain
from .recording import DEFAULT_RECORDING, Recorder, RecordOptions, default_trace_path
from .run import Run, RunSpec, prepare
from .snapshot import Hit, Item, LayerState, Metrics, Pass, Snapshot, WatchValue
from .trace.schema import op_address, parse_address
from .training import EpochResult, Trainer

Array = np.ndarray
EPOCH_EXPLANATION = (
    "A full-batch epoch: every training example's gradient is computed and summed, then the "
    "weights take one step W ← W − α·ΣdW/m."
)


class Session:
    """A live run: stepping through example passes, and full-batch epochs, all recorded."""

    def __init__(
        self,
        spec: RunSpec,
        trace: str | Path | None = None,
        record: RecordOptions | None = DEFAULT_RECORDING,
        workers: int | None = None,
    ) -> None:
        self._lock = threading.RLock()  # the state: timeline, cursor, weights
        self._epoch_lock = threading.Lock()  # one epoch at a time, and no reset during one
        self.traces: list[Path] = []  # every trace this session wrote (a reset starts a new one)
        self.breakpoints: list[Breakpoint] = []  # kept across resets: they describe the lesson
        self.hits: list[Hit] = []
        self.watches: list = []  # netviz.watch.Watch, evaluated at every stop
        self._watch_shown: dict[str, str] = {}  # at the cursor last shown
        self._watch_before: dict[str, str] = {}  # at the stop before it
        self._watch_cursor: int | None = None
        self._workers, self._record, self._trace_arg = workers, record, trace
        self._start(spec)

    # --- reading ----------------------------------------------------------------------------

    def snapshot(self) -> Snapshot:
        """The state at the cursor."""
        with self._lock:
            return self._snapshot()

    @property
    def trace_path(self) -> Path | None:
        return self._recorder.path if self._recorder else None

    # --- moving over what was recorded --------------------------------------------------------

    def step(self, delta: int = 1) -> Snapshot:
        """``s`` / ``S``: the next or previous op of the current pass (stops at its ends)."""
        with self._lock:
            item = self._items[self._cursor]
            if item.pass_id is None:
                return self.move(delta)
            n = len(self._passes[item.pass_id].ops)
            return self._to_op(item.pass_id, max(0, min(n - 1, item.index + delta)))

    def layer(self, delta: int = 1) -> Snapshot:
        """``n`` / ``N``: the first op of the next layer group, or of this / the previous one."""
        with self._lock:
            pid, i, ops = self._current_pass()
            groups = _group_starts(ops)
            if delta > 0:
                later = [g for g in groups if g > i]
                return self._to_op(pid, later[0] if later else len(ops) - 1)
            earlier = [g for g in groups if g < i]
            return self._to_op(pid, earlier[-1] if earlier else 0)

    def phase(self, finish: bool = True) -> Snapshot:
        """``r`` / ``R``: the last (or first) op of the current phase."""
        with self._lock:
            pid, i, ops = self._current_pass()
            same = [k for k, op in enumerate(ops) if op.phase == ops[i].phase]
            return self._to_op(pid, same[-1] if finish else same[0])

    def example(self, delta: int = 1) -> Snapshot:
        """``]`` / ``[``: the next or previous example. Forward past the last pass of the
        timeline opens the next example (computed and recorded); back revisits passes."""
        with self._lock:
            pid, i, _ = self._current_pass()
            target = pid + delta
            if 0 <= target < len(self._passes):
                return self._to_op(target, min(i, len(self._passes[target].ops) - 1))
            if target < 0:
                return self._snapshot()
            current = self._passes[pid]
            return self._open_pass((current.example + 1) % len(self._run.train), i)

    def goto_example(self, example: int) -> Snapshot:
        """Open ``example`` (an index into the training set) at the current weights."""
        with self._lock:
            if not 0 <= example < len(self._run.train):
                raise ValueError(f"example must be 0–{len(self._run.train) - 1}")
            return self._open_pass(example, 0)

    def move(self, delta: int) -> Snapshot:
        """``←`` / ``→``: along the whole timeline, over passes and epochs."""
        with self._lock:
            self._cursor = max(0, min(len(self._items) - 1, self._cursor + delta))
            return self._snapshot()

    def edge(self, last: bool) -> Snapshot:
        """``g`` / ``G``: the first or last recorded step."""
        with self._lock:
            self._cursor = len(self._items) - 1 if last else 0
            return self._snapshot()

    # --- computing ----------------------------------------------------------------------------

    def run_epoch(self) -> EpochResult:
        """One full-batch epoch (safe from worker threads; epochs never overlap): record it, then
        reopen the current example at the new weights, at the same op, so the learner sees what
        changed. The cursor follows only a learner who was on the newest pass; one browsing the
        past stays where they are. The reopened pass is recorded when the learner moves in it;
        one nobody looked at is replaced by the next epoch's (playing 500 epochs records 500
        epochs, not 500 passes)."""
        with self._epoch_lock:
            with self._lock:
                params, epoch, trainer = self._params, self._epoch, self._trainer
            result = trainer.epoch(params, epoch + 1)  # the long part, outside the state lock
            with self._lock:
                self._commit_epoch(result)
            return result

    def _commit_epoch(self, result: EpochResult) -> None:
        following = self._items[self._cursor].pass_id == len(self._passes) - 1
        pid, i, _ = self._current_pass()
        example = self._passes[pid].example
        self._drop_unvisited_pass()
        if self._recorder:
            self._recorder.epoch(result, self._run.spec.preset.alpha)
        self._params, self._epoch = result.params, result.epoch
        g = result.grads
        norms = tuple(float(np.sqrt(np.sum(d * d))) / g.m for d in g.dW)
        accuracies = (result.train_accuracy, result.test_accuracy)
        self._metrics.append(Metrics(result.epoch, result.cost, *accuracies, norms))
        self._check_breakpoints(result)
        self._items.append(Item(None, result.epoch))
        cursor = self._cursor
        self._open_pass(example, i, record=False)
        if not following:
            self._cursor = cursor

    # --- debugger tools ---------------------------------------------------------------------------

    def goto(self, target: str) -> Snapshot:
        """``:``: an address (``e3/x17/bwd/L2/dZ``), an example (``17`` or ``x17``, opened at
        the current weights) or an epoch (``e3``). ValueError says what it could not find."""

        text = target.strip()
        with self._lock:
            if text.lstrip("x").isdigit():
                return self.goto_example(int(text.lstrip("x")))
            where = parse_address(text)
            if where is None:
                raise ValueError(f"{text!r}: go to an address (e3/x17/bwd/L2/dZ), an example "
                                 "(17) or an epoch (e3)")  # fmt: skip
            epoch, example, rest = where["epoch"], where["example"], where["rest"]
            if example is None:
                for k, item in enumerate(self._items):
                    if item.pass_id is None and item.index == epoch:
                        self._cursor = k
                        return self._snapshot()
                raise ValueError(f"epoch {epoch} has not been run (epochs run: {self._epoch})")
            pid = self._find_pass(epoch, example)
            if pid is None and epoch == self._epoch and 0 <= example < len(self._run.train):
                self._open_pass(example, 0)
                pid = self._find_pass(epoch, example)
            if pid is None:
                raise ValueError(
                    f"{text}: example {example} was not opened at epoch {epoch}, and the "
                    f"network is now at epoch {self._epoch}"
                )
            ops = self._passes[pid].ops
            index = 0 if rest is None else next(
                (k for k, op in enumerate(ops) if op.address == rest), None
            )  # fmt: skip
            if index is None:
                raise ValueError(f"{text}: no op {rest} in a pass")
            return self._to_op(pid, index)

    def next_misclassified(self) -> Snapshot:
        """``m``: the next training example (after the current one) the network gets wrong at
        the current weights; the current one if there is none."""
        from .debugger import misclassified

        with self._lock:
            run, p = self._run, self._passes[self._current_pass()[0]]
            wrong = misclassified(self._params, run.X, run.y, run.hidden)
            if wrong.size == 0:
                return self._snapshot()
            later = wrong[wrong > p.example]
            return self._open_pass(int(later[0] if later.size else wrong[0]), 0)

    def check_gradients(self, layer: int | None = None):
        """``v``: backprop against central differences on the current example for a layer's
        W and b (default: the current op's layer, else the last). A list of core Checks."""
        from .debugger import check_layer

        with self._lock:
            pid, index, ops = self._current_pass()
            p = self._passes[pid]
            weights = self._weights_at(p.epoch)
            layer = layer or ops[index].layer or len(weights.W)
            x = self._run.X[:, p.example]
            rng = np.random.default_rng(p.example)
            return check_layer(weights, x, p.label, self._run.hidden, layer, rng)

    def chain_rule(self, name: str, index: tuple[int, ...]):
        """The chain-rule card of gradient entry ``name[index]`` in the current pass."""
        from .debugger import chain_rule

        with self._lock:
            return chain_rule(self._current_pass()[2], self._run.hidden, name, index)

    def add_watch(self, text: str):
        """``w``: watch an expression over the current step's tensors (netviz.watch's safe
        language); WatchError (a ValueError) says what is wrong with it."""
        from .watch import Watch

        with self._lock:
            watch = Watch.parse(text)
            self.watches.append(watch)
            return watch

    def remove_watch(self, index: int) -> None:
        with self._lock:
            del self.watches[index]

    def _watch_values(self, ops: tuple[Op, ...], index: int) -> tuple[WatchValue, ...]:
        """Every watch at op ``index``: what the pass has computed so far, by name."""
        if not self.watches:
            return ()
        from .debugger import op_tensors
        from .watch import WatchError, format_value

        if self._cursor != self._watch_cursor:  # a new stop: what was shown becomes "before"
            self._watch_before, self._watch_cursor = self._watch_shown, self._cursor
        tensors = op_tensors(ops, index)
        shown, out = {}, []
        for watch in self.watches:
            try:
                text, error = format_value(watch.evaluate(tensors)), False
            except WatchError as e:
                text, error = str(e), True
            shown[watch.text] = text
            before = self._watch_before.get(watch.text)
            out.append(WatchValue(watch.text, text, before is not None and before != text, error))
        self._watch_shown = shown
        return tuple(out)

    def _find_pass(self, epoch: int, example: int) -> int | None:
        return next(
            (k for k, p in enumerate(self._passes) if (p.epoch, p.example) == (epoch, example)),
            None,
        )

    def _weights_at(self, epoch: int) -> Params:
        """The weights a pass at ``epoch`` used (the current ones if none is open)."""
        from .debugger import pass_values

        pid = next((k for k, p in enumerate(self._passes) if p.epoch == epoch), None)
        if pid is None:
            return self._params
        values = pass_values(self._passes[pid].ops)
        L = len(self._params.W)
        return Params.from_named(
            {f"{w}{l}": values[f"{w}{l}"] for l in range(1, L + 1) for w in "Wb"}
        )

    # --- breakpoints ----------------------------------------------------------------------------

    def add_breakpoint(self, text: str) -> Breakpoint:
        """Add the condition ``text`` (see :mod:`netviz.breakpoints`); BreakpointError if bad."""
        with self._lock:
            bp = parse_breakpoint(text, layers=len(self._params.W))
            if bp.kind == "flip" and not 0 <= bp.example < len(self._run.train):
                from .breakpoints import BreakpointError

                raise BreakpointError(f"{text!r}: examples are x0–x{len(self._run.train) - 1}")
            self.breakpoints.append(bp)
            self._save_breakpoints()
            return bp

    def toggle_breakpoint(self, index: int) -> None:
        with self._lock:
            self.breakpoints[index] = self.breakpoints[index].toggled()
            self._save_breakpoints()

    def remove_breakpoint(self, index: int) -> None:
        with self._lock:
            del self.breakpoints[index]
            self._save_breakpoints()

    def run_until_break(
        self, max_epochs: int, cancelled=lambda: False, on_epoch=None
    ) -> Hit | None:
        """``c``: epochs until a breakpoint fires, ``max_epochs`` pass, or ``cancelled()`` says
        stop. A hit puts the cursor on the epoch that fired and is returned; else None.
        ``on_epoch(result)`` is called after each epoch (for progress)."""
        for _ in range(max_epochs):
            if cancelled():
                return None
            result = self.run_epoch()
            if on_epoch is not None:
                on_epoch(result)
            with self._lock:
                hits = [h for h in self.hits if h.epoch == result.epoch]
                if hits:
                    self._go_to_hit(hits[0])
                    return hits[0]
        return None

    def previous_hit(self) -> Snapshot:
        """``C``: back to the latest step before the cursor where a breakpoint fired (the
        cursor stays where it is if there is none)."""
        with self._lock:
            positions = [self._hit_position(h) for h in self.hits]
            earlier = [k for k in positions if k is not None and k < self._cursor]
            if earlier:
                self._cursor = max(earlier)
            return self._snapshot()

    def _hit_position(self, hit: Hit) -> int | None:
        """Where a hit's address is on the timeline (None: a pass nobody kept)."""
        where = parse_address(hit.address)
        if where is None:
            return None
        if where["example"] is None:
            epochs = (k for k, item in enumerate(self._items) if item.pass_id is None)
            return next((k for k in epochs if self._items[k].index == where["epoch"]), None)
        pid = self._find_pass(where["epoch"], where["example"])
        if pid is None:
            return None
        index = next(k for k, op in enumerate(self._passes[pid].ops) if op.address == where["rest"])
        return self._position(pid, index)

    def _go_to_hit(self, hit: Hit) -> None:
        position = self._hit_position(hit)
        if position is not None:
            item = self._items[position]
            if item.pass_id is not None:
                self._record_pass(item.pass_id)  # a pass that stopped a run is worth keeping
            self._cursor = position

    def _save_breakpoints(self) -> None:
        if self._recorder:
            saved = [{"condition": b.text, "enabled": b.enabled} for b in self.breakpoints]
            self._recorder.writer.set_meta({"breakpoints": saved})

    def _check_breakpoints(self, result: EpochResult) -> None:
        g = result.grads
        params = result.params
        finite = math.isfinite(result.cost) and all(
            np.isfinite(a).all() for a in (*params.W, *params.b)
        )
        flips = sorted({b.example for b in self.breakpoints if b.kind == "flip"})
        predictions = {}
        if flips and finite:
            with np.errstate(over="ignore", invalid="ignore"):
                out = forward(params, self._run.X[:, flips], self._run.hidden)[f"A{len(params.W)}"]
            predictions = dict(zip(flips, (int(d) for d in out.argmax(axis=0)), strict=True))
        facts = EpochFacts(
            result.epoch,
            result.cost,
            result.train_accuracy,
            result.test_accuracy,
            self._metrics[-1].grad_norms,
            tuple(float(np.mean(s)) for s in g.saturated_fraction),
            finite,
            predictions,
        )
        for bp in self.breakpoints:
            reason = check(bp, facts, self._facts)
            if reason:
                self.hits.append(Hit(result.epoch, bp.text, reason, bp.layer, f"e{result.epoch}"))
        self._facts = facts

    def set_alpha(self, alpha: float) -> Snapshot:
        """Change the learning rate for the epochs to come (recorded per epoch in the trace).

        Passes already open keep the α they were computed with (their update ops show it); the
        next pass opened uses the new one."""
        if not alpha > 0:
            raise ValueError("the learning rate must be positive")
        with self._lock:
            spec = self._run.spec
            self._run = replace(
                self._run, spec=replace(spec, preset=spec.preset.with_(alpha=alpha))
            )
            self._trainer.alpha = alpha
            return self._snapshot()

    def reset(self, seed: int | None = None, preset: str | None = None) -> Snapshot:
        """A fresh network (same or another seed or preset), in a new trace."""
        from .run import preset as find_preset

        with self._epoch_lock, self._lock:  # waits for a running epoch to finish
            spec = self._run.spec
            if preset is not None:
                spec = replace(spec, preset=find_preset(preset))
            if seed is not None:
                spec = replace(spec, seed=seed)
            self._stop()
            self._trace_arg = None  # a new run gets a new file
            self._start(spec)
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
        run = prepare(spec)
        self._run: Run = run
        self._params, self._epoch = run.params, 0
        self._recorder = None
        if self._record is not None:
            path = self._trace_arg or default_trace_path(run)
            self._recorder = Recorder(path, run, self._record)
            self.traces.append(self._recorder.path)
            self._save_breakpoints()
        p = spec.preset
        self._trainer = Trainer(
            run.X, run.y, run.hidden, p.alpha, run.X_test, run.y_test, self._workers
        )
        self._passes: list[Pass] = []
        self._facts: EpochFacts | None = None  # the last epoch's, for "went up" and "flipped"
        self.hits = []
        self._items: list[Item] = []
        self._where: dict[tuple[int, int], int] = {}  # (pass, op index) → timeline position
        self._recorded: set[int] = set()  # passes written to the trace
        self._metrics: list[Metrics] = []
        self._cursor = 0
        self._open_pass(0, 0)

    def _stop(self) -> None:
        if getattr(self, "_trainer", None) is not None:
            self._trainer.close()
            self._trainer = None
        if getattr(self, "_recorder", None) is not None:
            self._recorder.close()
            self._recorder = None

    def _open_pass(self, example: int, index: int, record: bool = True) -> Snapshot:
        """Compute an example's pass at the current weights, append it, put the cursor in it.
        ``record=False`` leaves the recording to the learner's first move in it."""
        pid = self._find_pass(self._epoch, example)  # the same weights: revisit, not recompute
        if pid is not None:
            return self._to_op(pid, min(index, len(self._passes[pid].ops) - 1))
        run = self._run
        x, label = run.X[:, example], int(run.y[example])
        with np.errstate(over="ignore", invalid="ignore"):  # a diverged run shows its infs
            ops = example_ops(self._params, x, label, run.hidden, alpha=run.spec.preset.alpha)
        self._passes.append(Pass(self._epoch, example, ops, label, run.train.images[example]))
        pid = len(self._passes) - 1
        for k in range(len(ops)):
            self._where[pid, k] = len(self._items)
            self._items.append(Item(pid, k))
        self._cursor = self._position(pid, min(index, len(ops) - 1))
        self._check_ops(pid)
        if record:
            self._record_pass(pid)
        return self._snapshot()

    def _check_ops(self, pid: int) -> None:
        """Op-level breakpoints (nan, sat) over a pass just computed: a hit per op that fires."""
        p = self._passes[pid]
        for op in p.ops:
            saturated = None
            if op.phase == "fwd" and op.name == "A" and f"A{op.layer}" in op.outputs:
                saturated = float(np.mean(self._run.hidden.saturated(op.outputs[f"A{op.layer}"])))
            for bp in self.breakpoints:
                reason = check_op(bp, op, saturated)
                if reason:
                    address = op_address(p.epoch, p.example, op.address)
                    self.hits.append(Hit(p.epoch, bp.text, reason, bp.layer, address))

    def _record_pass(self, pid: int) -> None:
        if pid in self._recorded:
            return
        self._recorded.add(pid)
        p = self._passes[pid]
        if self._recorder:
            self._recorder.example_pass(p.epoch, p.example, p.ops, p.pixels, p.label)

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

    def _to_op(self, pid: int, index: int) -> Snapshot:
        self._cursor = self._position(pid, index)
        self._record_pass(pid)
        return self._snapshot()

    def _position(self, pid: int, index: int) -> int:
        return self._where[pid, index]

    def _current_pass(self) -> tuple[int, int, tuple[Op, ...]]:
        """(pass id, op index, ops) at the cursor; on an epoch step, the latest pass before it."""
        for k in range(self._cursor, -1, -1):
            item = self._items[k]
            if item.pass_id is not None:
                index = item.index if k == self._cursor else 0
                return item.pass_id, index, self._passes[item.pass_id].ops
        pid = next(i.pass_id for i in self._items if i.pass_id is not None)
        return pid, 0, self._passes[pid].ops

    def _snapshot(self) -> Snapshot:
        item = self._items[self._cursor]
        pid, index, ops = self._current_pass()
        p = self._passes[pid]
        L = len(self._params.W)
        op = ops[index] if item.pass_id is not None else None
        if op is not None:
            address = op_address(p.epoch, p.example, op.address)
            explanation = explain(op.phase, op.name, op.layer, L)
        else:
            address = f"e{item.index}"
            explanation = EPOCH_EXPLANATION
        reached = ops[: index + 1] if op is not None else ops
        values: dict[str, Array] = {}
        for o in reached:
            values.update(o.outputs)
        yhat = values.get("ŷ")
        layers = [LayerState(ops[0].inputs["x"].shape[0], ops[0].inputs["x"].ravel(), None)]
        for l in range(1, L + 1):
            a = values.get("ŷ" if l == L else f"A{l}")
            dz = values.get(f"dZ{l}")
            size = self._params.W[l - 1].shape[0]
            slope = None if a is None or l == L else self._run.hidden.slope(a).ravel()
            layers.append(
                LayerState(
                    size,
                    None if a is None else a.ravel(),
                    None if dz is None else dz.ravel(),
                    slope,
                )
            )
        epoch_metrics = None
        if item.pass_id is None:
            epoch_metrics = next(m for m in self._metrics if m.epoch == item.index)
        spec = self._run.spec
        return Snapshot(
            epoch=self._epoch,
            cursor=self._cursor,
            timeline_length=len(self._items),
            address=address,
            kind="op" if op is not None else "epoch",
            op=op,
            op_index=index,
            ops_in_pass=len(ops),
            explanation=explanation,
            example=p.example,
            label=p.label,
            pixels=p.pixels,
            prediction=None if yhat is None else int(np.argmax(yhat)),
            confidence=None if yhat is None else float(np.max(yhat)),
            layers=tuple(layers),
            metrics=tuple(self._metrics),
            epoch_metrics=epoch_metrics,
            hits=tuple(h for h in self.hits if h.address == address),
            watches=self._watch_values(ops, index if op is not None else len(ops) - 1),
            alpha=spec.preset.alpha,
            preset=spec.preset.name,
            layout=spec.layout,
            seed=spec.seed,
            trace=str(self.trace_path) if self._recorder else "",
            train_size=len(self._run.train),
        )


def _group_starts(ops: tuple[Op, ...]) -> list[int]:
    """Indices where a new (phase, layer) group of ops begins."""
    return [
        k
        for k, op in enumerate(ops)
        if k == 0 or (op.phase, op.layer) != (ops[k - 1].phase, ops[k - 1].layer)
    ]
