"""What was computed, in order, and a cursor over it: the part of a session that only reads.

A history is a timeline of example passes (each op of each pass) and full-batch epochs. Moving
the cursor never computes: :class:`~netviz.session.live.Session` extends the timeline by
computing (a live run), :class:`~netviz.session.replay.Replay` by reading a trace file (a saved
or growing run). Both hand the UI the same frozen :class:`~netviz.session.snapshot.Snapshot` and
answer the same moves, so the terminal app drives either through one API.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from pathlib import Path

import numpy as np

from ..core.steps import YHAT, Op
from ..debug.breakpoints import OP_KINDS, Breakpoint, BreakpointError, op_reasons, parse_breakpoint
from ..debug.explain import explain
from ..debug.passes import (
    group_starts,
    op_tensors,
    pass_input_gradient,
    pass_weights,
    with_aliases,
)
from ..safe import shown, whole_number
from ..trace.schema import op_address, parse_address
from .snapshot import (
    EPOCH_EXPLANATION,
    Hit,
    Item,
    Metrics,
    Pass,
    Snapshot,
    View,
    WatchValue,
    layer_states,
)

Array = np.ndarray


class History:
    """The timeline, the cursor, breakpoints and watches, and the snapshot at the cursor.

    A subclass fills ``_passes``, ``_items``, ``_where`` and ``_metrics``, sets ``_epoch``,
    ``_sizes`` and ``_hidden``, and answers the hooks below where it differs: what happens past
    the last pass, whether a pass must be loaded or recorded, and the run's settings shown.
    """

    live = False  # whether moving past the end computes (a Session) or stops (a Replay)

    def __init__(self) -> None:
        self._lock = threading.RLock()  # the state: timeline, cursor, weights
        self.breakpoints: list[Breakpoint] = []
        self.hits: list[Hit] = []
        self.watches: list = []  # netviz.debug.watch.Watch, evaluated at every stop
        self._watch_shown: dict[str, str] = {}  # at the cursor last shown
        self._watch_before: dict[str, str] = {}  # at the stop before it
        self._watch_cursor: int | None = None
        self._watched: tuple[int, ...] = ()  # examples whose arrays each epoch keeps
        self._watch_index = 0  # which of them an epoch step shows
        self._clear()

    def _clear(self) -> None:
        self._passes: list[Pass] = []
        self._items: list[Item] = []
        self._where: dict[tuple[int, int], int] = {}  # (pass, op index) → timeline position
        self._metrics: list[Metrics] = []
        self._cursor = 0
        self.hits = []

    # --- hooks ------------------------------------------------------------------------------

    def _pass(self, pid: int) -> Pass:
        """Pass ``pid`` with its ops (a replay loads them on first use)."""
        return self._passes[pid]

    def _visited(self, pid: int) -> None:
        """The cursor moved into pass ``pid`` (a live session records it then)."""

    def _past_last_pass(self, current: Pass, index: int) -> Snapshot:
        """``]`` on the last pass: a live session opens the next example; a replay stays."""
        return self._snapshot()

    def _missing_pass(self, epoch: int, example: int) -> int | None:
        """``:`` to a pass the timeline lacks: a live session may compute it; None if not."""
        return None

    def _settings(self) -> dict:
        """The run's settings the snapshot shows: alpha, preset, layout, seed, trace, train_size."""
        raise NotImplementedError

    def _watched_at(self, epoch: int) -> Mapping[str, Array] | None:
        """The watched examples' arrays of epoch ``epoch`` (``Z1``, ``A1``, ``dZ1``, …: one
        column per example in ``_watched``), or None if it kept none."""
        return None

    def _example_input(self, example: int) -> tuple[Array, int, Array]:
        """(pixels (784,) uint8, label, x (784, 1) as the network sees it) of an example."""
        raise NotImplementedError

    def _save_breakpoints(self) -> None:
        """The breakpoints changed (a live session keeps them in its trace)."""

    def _epoch_hits(self, epoch: int, on: list[Breakpoint]) -> list[Hit]:
        """The breakpoints of ``on`` that hold at epoch step ``e<epoch>`` (a live session
        checked them when the epoch ran; a replay reads the epoch's recorded figures)."""
        return []

    # --- reading ----------------------------------------------------------------------------

    def snapshot(self) -> Snapshot:
        """The state at the cursor."""
        with self._lock:
            return self._snapshot()

    # --- moving over what was recorded --------------------------------------------------------

    def step(self, delta: int = 1) -> Snapshot:
        """``s`` / ``S``: the next or previous op of the current pass (stops at its ends)."""
        with self._lock:
            item = self._items[self._cursor]
            if item.pass_id is None:
                return self.move(delta)
            n = len(self._pass(item.pass_id).ops)
            return self._to_op(item.pass_id, max(0, min(n - 1, item.index + delta)))

    def layer(self, delta: int = 1) -> Snapshot:
        """``n`` / ``N``: the first op of the next layer group, or of this / the previous one."""
        with self._lock:
            pid, i, ops = self._current_pass()
            groups = group_starts(ops)
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
        """``]`` / ``[``: the next or previous example pass of the timeline; forward past the
        last one is the subclass's (a live session computes the next example). On an epoch
        step: the next or previous watched example, at that epoch."""
        with self._lock:
            if self._items[self._cursor].pass_id is None and self._watched:
                self._watch_index = (self._watch_index + delta) % len(self._watched)
                return self._snapshot()
            pid, i, _ = self._current_pass()
            target = pid + delta
            if 0 <= target < len(self._passes):
                return self._to_op(target, min(i, len(self._pass(target).ops) - 1))
            if target < 0:
                return self._snapshot()
            return self._past_last_pass(self._passes[pid], i)

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

    def scrub(self, delta: int) -> Snapshot:
        """``>`` / ``<``: the next or previous epoch step of the timeline, over the passes
        between (the cursor stays if there is none that way)."""
        with self._lock:
            epochs = [k for k, item in enumerate(self._items) if item.pass_id is None]
            way = [k for k in epochs if (k > self._cursor if delta > 0 else k < self._cursor)]
            if way:
                self._cursor = way[min(abs(delta), len(way)) - 1] if delta > 0 else way[delta:][0]
            return self._snapshot()

    def goto_epoch(self, epoch: int) -> Snapshot:
        """The epoch step ``e<epoch>``: ValueError if it is not on the timeline."""
        with self._lock:
            for k, item in enumerate(self._items):
                if item.pass_id is None and item.index == epoch:
                    self._cursor = k
                    return self._snapshot()
            run = [i.index for i in self._items if i.pass_id is None]
            have = f"epochs on the timeline: {run[0]}–{run[-1]}" if run else "no epochs yet"
            raise ValueError(f"epoch {epoch} has not been run ({have})")

    def goto(self, target: str) -> Snapshot:
        """``:``: an address (``e3/x17/bwd/L2/dZ``), an example (``17``: a live session opens
        it at the current weights) or an epoch (``e3``). ValueError says what it could not find."""
        text = target.strip()
        with self._lock:
            example = whole_number(text.lstrip("x")) if text.lstrip("x") else None
            if example is not None:  # ASCII digits only: int() takes ² and 5,000 digits badly
                return self.goto_example(example)
            where = parse_address(text)
            if where is None:
                raise ValueError(f"'{shown(text)}': go to an address (e3/x17/bwd/L2/dZ), an "
                                 "example (17) or an epoch (e3)")  # fmt: skip
            epoch, example, rest = where["epoch"], where["example"], where["rest"]
            if example is None:
                return self.goto_epoch(epoch)
            pid = self._find_pass(epoch, example)
            if pid is None:
                pid = self._missing_pass(epoch, example)
            if pid is None:
                raise ValueError(f"{text}: example {example} was not opened at epoch {epoch}, "
                                 f"and the network is at epoch {self._epoch}")  # fmt: skip
            ops = self._pass(pid).ops
            index = 0 if rest is None else next(
                (k for k, op in enumerate(ops) if op.address == rest), None
            )  # fmt: skip
            if index is None:
                raise ValueError(f"{text}: no op {rest} in a pass")
            return self._to_op(pid, index)

    def goto_example(self, example: int) -> Snapshot:
        """The latest pass of ``example`` on the timeline (a live session opens one)."""
        with self._lock:
            pids = [k for k, p in enumerate(self._passes) if p.example == example]
            if not pids:
                raise ValueError(f"example {example} has no pass on the timeline")
            return self._to_op(pids[-1], 0)

    # --- debugger tools ---------------------------------------------------------------------------

    def check_gradients(self, layer: int | None = None):
        """``v``: backprop against central differences on the current example for a layer's
        W and b (default: the current op's layer, else the last), at the weights its pass used.
        A list of core Checks."""
        from ..debug.passes import check_layer

        with self._lock:
            pid, index, ops = self._current_pass()
            p = self._passes[pid]
            weights = pass_weights(ops)
            layer = layer or ops[index].layer or len(weights.W)
            rng = np.random.default_rng(p.example)
            return check_layer(weights, ops[0].inputs["x"], p.label, self._hidden, layer, rng)

    def chain_rule(self, name: str, index: tuple[int, ...]):
        """The chain-rule card of gradient entry ``name[index]`` in the current pass."""
        from ..debug.chain import chain_rule

        with self._lock:
            return chain_rule(self._current_pass()[2], self._hidden, name, index)

    def input_gradient(self) -> tuple[Array, int]:
        """``i``: dC/dx (784,) of the current pass's example, and the epoch of the weights."""
        with self._lock:
            p = self._pass(self._current_pass()[0])  # with its ops (a replay loads them)
            return pass_input_gradient(p.ops, self._hidden), p.epoch

    def export_view(self, address: str | None = None, folder: str | Path = ".") -> Path:
        """``x``: write what is shown at ``address`` (default: the cursor's) as a figure into
        ``folder`` (see :func:`netviz.export.view`: a heatmap at an epoch or a dW / W op, else
        the step's card), drawn from the trace; the path written. NetvizError if it cannot be.
        Safe from a worker thread: the state is locked only to find the file, not to draw."""
        from ..export import view
        from ..trace import TraceReader

        with self._lock:
            address = address or self._snapshot().address
            path = self._trace_holding(address)
        with TraceReader(path) as reader:
            return view(reader, address, folder)

    def _trace_holding(self, address: str) -> Path:
        """The trace file that holds the step at ``address`` (a live session records it)."""
        raise NotImplementedError

    def add_watch(self, text: str):
        """``w``: watch an expression over the current step's tensors (netviz.debug.watch's safe
        language); WatchError (a ValueError) says what is wrong with it."""
        from ..debug.watch import Watch, WatchError

        with self._lock:
            watch = Watch.parse(text)
            known = self._known_names()
            unknown = watch.missing(known)
            if unknown:
                which = ", ".join(unknown)
                have = ", ".join(sorted(n for n in known if n.isidentifier()))
                raise WatchError(f"no step has {which}; the names are: {have}")
            self.watches.append(watch)
            return watch

    def _known_names(self) -> set[str]:
        """Every name a watch can read at some step: a whole pass's arrays (the current one's,
        whose shapes every pass shares), and what an epoch step shows."""
        names: set[str] = set()
        if self._passes:
            ops = self._current_pass()[2]
            names |= set(op_tensors(ops, len(ops) - 1))
        epochs = [item.index for item in self._items if item.pass_id is None]
        if epochs:
            names |= set(self._epoch_view(epochs[-1]).values)
        return names

    def remove_watch(self, index: int) -> None:
        with self._lock:
            del self.watches[index]

    def _watch_values(self, tensors: Mapping[str, Array], pending: str) -> tuple[WatchValue, ...]:
        """Every watch over ``tensors``: what is computed so far at the cursor, by name. A
        watch whose names are not all there yet says ``pending`` instead (no error, and no
        change: a value appearing is not a value changing)."""
        if not self.watches:
            return ()
        from ..debug.watch import WatchError, format_value

        if self._cursor != self._watch_cursor:  # a new stop: what was shown becomes "before"
            self._watch_before, self._watch_cursor = self._watch_shown, self._cursor
        shown, out = {}, []
        for watch in self.watches:
            if watch.missing(tensors):
                out.append(WatchValue(watch.text, pending, False, pending=True))
                continue
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

    # --- breakpoints ----------------------------------------------------------------------------

    def add_breakpoint(self, text: str) -> Breakpoint:
        """Add the condition ``text`` (:mod:`netviz.debug.breakpoints`); BreakpointError if bad."""
        with self._lock:
            train_size = self._settings()["train_size"]
            bp = parse_breakpoint(text, layers=len(self._sizes) - 1)
            if bp.kind == "flip" and not 0 <= bp.example < train_size:
                raise BreakpointError(f"{text!r}: examples are x0–x{train_size - 1}")
            if bp.kind == "differs":  # a replay of a check trace answers it (Replay overrides)
                raise BreakpointError(
                    f"{text!r}: only a check trace (netviz check --trace) holds a learner's values"
                )
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

    def previous_hit(self) -> Snapshot:
        """``C``: back to the latest step before the cursor where an enabled breakpoint holds
        (the cursor stays where it is if there is none)."""
        with self._lock:
            self._seek(range(self._cursor - 1, -1, -1))
            return self._snapshot()

    def _hits_at(self, position: int) -> list[Hit]:
        """The enabled breakpoints that hold at timeline position ``position``: an op's are
        checked on its numbers now (so a breakpoint added after its pass was computed still
        fires there), an epoch's as :meth:`_epoch_hits` says."""
        on = [b for b in self.breakpoints if b.enabled]
        item = self._items[position]
        if item.pass_id is None:
            return self._epoch_hits(item.index, on) if on else []
        on = [b for b in on if b.kind in OP_KINDS]
        if not on:  # no need to read the pass
            return []
        p = self._pass(item.pass_id)
        op = p.ops[item.index]
        address = op_address(p.epoch, p.example, op.address)
        found = op_reasons(on, op, self._hidden)
        return [Hit(p.epoch, b.text, why, b.layer, address) for b, why in found]

    def _seek(self, positions: Iterable[int]) -> Hit | None:
        """The first of ``positions`` where an enabled breakpoint holds: the cursor stops
        there and its hits are kept (``B`` lists them); None if there is none."""
        for k in positions:
            hits = self._hits_at(k)
            if hits:
                self._cursor = k
                item = self._items[k]
                if item.pass_id is not None:
                    self._visited(item.pass_id)  # a pass a run stopped in is worth keeping
                self._keep_hits(hits)
                return hits[0]
        return None

    def _keep_hits(self, hits: Iterable[Hit]) -> None:
        """Add ``hits`` to the list, each (condition, address) once."""
        kept = {(h.condition, h.address) for h in self.hits}
        for h in hits:
            if (h.condition, h.address) not in kept:
                kept.add((h.condition, h.address))
                self.hits.append(h)

    def arrays(self) -> Mapping[str, Array]:
        """The arrays at the cursor by name (x, y, W1, Z1, ŷ, …, with yhat and alpha): what the
        pass has computed up to this op, as a watch sees them; an epoch step's shown example's."""
        with self._lock:
            item = self._items[self._cursor]
            if item.pass_id is None:
                return self._epoch_view(item.index).values
            _, index, ops = self._current_pass()
            return op_tensors(ops, index)

    def predicted(self) -> int | None:
        """The digit the pass at the cursor predicts (its ŷ's largest entry), known as soon as
        the pass is computed, before the cursor reaches ŷ; None on an epoch step."""
        with self._lock:
            if self._items[self._cursor].pass_id is None:
                return None
            ops = self._current_pass()[2]
            yhat = next((op.outputs[YHAT] for op in ops if YHAT in op.outputs), None)
            return None if yhat is None else int(np.argmax(yhat))

    # --- inside -------------------------------------------------------------------------------

    def _add_pass(self, p: Pass, ops: int) -> int:
        """Append pass ``p`` (of ``ops`` ops) to the timeline; its id."""
        self._passes.append(p)
        pid = len(self._passes) - 1
        for k in range(ops):
            self._where[pid, k] = len(self._items)
            self._items.append(Item(pid, k))
        return pid

    def _to_op(self, pid: int, index: int) -> Snapshot:
        self._cursor = self._where[pid, index]
        self._visited(pid)
        return self._snapshot()

    def _current_pass(self) -> tuple[int, int, tuple[Op, ...]]:
        """(pass id, op index, ops) at the cursor; on an epoch step, the latest pass before it
        (or the first pass, when the timeline starts with epochs)."""
        for k in range(self._cursor, -1, -1):
            item = self._items[k]
            if item.pass_id is not None:
                index = item.index if k == self._cursor else 0
                return item.pass_id, index, self._pass(item.pass_id).ops
        pid = next((i.pass_id for i in self._items if i.pass_id is not None), None)
        if pid is None:
            raise ValueError("no example pass was recorded: step through one in the tour first")
        return pid, 0, self._pass(pid).ops

    def _epoch_view(self, epoch: int) -> View:
        """What the digit and network regions show on an epoch step: a watched example's Z, A
        and dZ as that epoch computed them (at the weights it started from; ``]`` / ``[``
        choose which); without them, the latest pass before it, or the bare digit."""
        arrays = self._watched_at(epoch)
        L = len(self._sizes) - 1
        names = [f"{name}{l}" for l in range(1, L + 1) for name in ("Z", "A", "dZ")]
        w = len(self._watched)  # each layer's Z, A and dZ need a column per watched example
        if w and all(np.shape(arrays.get(n, ()))[1:] == (w,) for n in names):
            k = self._watch_index % len(self._watched)
            pixels, label, x = self._example_input(self._watched[k])
            values = {"x": x}
            for l in range(1, L + 1):
                for name in ("Z", "A", "dZ"):
                    key = YHAT if (name, l) == ("A", L) else f"{name}{l}"
                    values[key] = arrays[f"{name}{l}"][:, k : k + 1]
            n, example = len(self._watched), self._watched[k]
            note = f" Shown: watched example x{example} ({k + 1} of {n}, ] and [ for others) as "
            note += "this epoch computed it."
            return View(self._watched[k], label, pixels, with_aliases(values), note)
        if self._passes:
            pid, _, ops = self._current_pass()
            p = self._passes[pid]
            note = (  # its numbers are that pass's: say at which weights, unlike the status bar's
                f" Shown: example x{p.example}'s last pass before this epoch, computed at the "
                f"weights after {p.epoch} epoch{'s' if p.epoch != 1 else ''} (no watched "
                "examples were recorded for this epoch)."
            )
            values = op_tensors(ops, len(ops) - 1)
            return View(p.example, p.label, p.pixels, values, note, p.source, p.labelled)
        example = self._watched[0] if self._watched else 0
        pixels, label, _ = self._example_input(example)
        return View(example, label, pixels, {})

    def _snapshot(self) -> Snapshot:
        item = self._items[self._cursor]
        L = len(self._sizes) - 1
        if item.pass_id is None:
            view, op, index, n = self._epoch_view(item.index), None, 0, 0
            address, explanation = f"e{item.index}", EPOCH_EXPLANATION + view.note
            weights_epoch, pending = item.index - 1, "not kept for an epoch step"
        else:
            pid, index, ops = self._current_pass()
            p, op, n = self._passes[pid], ops[index], len(ops)
            view = View(
                p.example, p.label, p.pixels, op_tensors(ops, index), "", p.source, p.labelled
            )
            address = op_address(p.epoch, p.example, op.address)
            explanation = explain(op.phase, op.name, op.layer, L, self._hidden)
            weights_epoch, pending = p.epoch, "not computed yet"
        values = view.values
        yhat = values.get(YHAT)
        epoch_metrics = None
        if item.pass_id is None:
            epoch_metrics = next((m for m in self._metrics if m.epoch == item.index), None)
        hits = [h for h in self.hits if h.address == address]
        fired = {h.condition for h in hits}
        hits += [h for h in self._hits_at(self._cursor) if h.condition not in fired]
        return Snapshot(
            epoch=self._epoch,
            weights_epoch=weights_epoch,
            cursor=self._cursor,
            timeline_length=len(self._items),
            address=address,
            kind="op" if op is not None else "epoch",
            op=op,
            op_index=index,
            ops_in_pass=n,
            explanation=explanation,
            example=view.example,
            label=view.label,
            pixels=view.pixels,
            prediction=None if yhat is None else int(np.argmax(yhat)),
            confidence=None if yhat is None else float(np.max(yhat)),
            layers=layer_states(values, self._sizes, self._hidden),
            metrics=tuple(self._metrics),
            epoch_metrics=epoch_metrics,
            hits=tuple(hits),
            watches=self._watch_values(values, pending),
            live=self.live,
            source=view.source,
            labelled=view.labelled,
            **self._settings(),
        )
