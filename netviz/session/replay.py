"""Replay: the history of a saved (or still growing) trace, read-only, with the session's API.

The timeline is the trace's steps in the order they were recorded: each example pass (all of
its ops) and each full-batch epoch, exactly as the live session that wrote it had them. A pass's
arrays are read when the cursor first enters it. On an epoch step the digit and network show a
watched example at that epoch (``]`` / ``[`` choose which), from the Z, A and dZ the epoch
recorded. Breakpoints are seeks: ``c`` / ``C`` move to the next or previous step where a
condition holds. Nothing is computed, so nothing new is recorded; :meth:`Replay.refresh` picks up
what a run still writing the trace has committed since.

A check trace (``netviz check --trace``) holds, beside each reference op, the learner's own value
of its outputs: its ops are :class:`~netviz.session.snapshot.CheckedOp` and the snapshot carries
them (``theirs``). Its replay starts with the ``differs`` breakpoint on and at the first
difference the check found, so ``c`` / ``C`` go from one differing op to the next.
"""

from __future__ import annotations

import itertools
from dataclasses import replace
from pathlib import Path
from types import MappingProxyType

import numpy as np

from ..core.activations import activation
from ..core.network import forward
from ..core.steps import Op
from ..debug.breakpoints import (
    Breakpoint,
    BreakpointError,
    EpochFacts,
    check,
    parse_breakpoint,
)
from ..safe import literal
from ..trace import TraceError, TraceReader
from ..trace.schema import own_digit_name, parse_address
from . import epochs
from .history import History
from .snapshot import NOTHING, CheckedOp, Hit, Item, Pass, Snapshot

DIFFERS = "differs"  # the breakpoint a check trace's replay starts with


class Replay(History):
    """A trace file as a timeline the UI can step through; closes its reader on :meth:`close`."""

    live = False

    def __init__(self, path: str | Path) -> None:
        super().__init__()
        self.reader = TraceReader(path)
        try:
            meta = self.reader.meta
            self._sizes = tuple(int(n) for n in meta["sizes"])
            self._hidden = activation(meta["activation"])
            self._watched = tuple(int(i) for i in meta.get("watch", ()))
        except (KeyError, TypeError, ValueError) as e:
            self.reader.close()
            raise TraceError(f"{path}: its metadata does not describe a network ({e})") from None
        self._meta = meta
        try:
            self.check = _check_meta(meta.get("check"))
        except ValueError as e:
            self.reader.close()
            raise TraceError(f"{path}: damaged metadata: {e}") from None
        self._epoch, self._seen, self._watch_index, self._good = 0, 0, 0, 0
        self._examples: dict[int, tuple[np.ndarray, int]] = {}
        self._rows: dict[int, dict] = {}  # epoch → its metrics row
        self._facts_seen: dict[tuple, EpochFacts | None] = {}
        saved = (_saved(b, len(self._sizes) - 1) for b in meta.get("breakpoints", []))
        self.breakpoints = [b for b in saved if b is not None and self._seekable(b) is None]
        try:
            self.refresh()
        except TraceError:
            self.reader.close()
            raise
        if not self._items:
            self.reader.close()
            raise TraceError(f"{path}: nothing recorded yet (no epoch or example pass)")
        if self.check is not None:
            try:
                self._start_check()
            except TraceError:
                self.reader.close()
                raise

    def _start_check(self) -> None:
        """A check trace opens with ``differs`` on and the cursor at the first difference: the
        address the check reported, else (an epoch's update, not in the trace) the first op
        that differs; at the first step when the script matched."""
        if not any(b.kind == DIFFERS for b in self.breakpoints):
            self.breakpoints.append(parse_breakpoint(DIFFERS))
        first = self.check.get("first_difference")
        if first is None:
            return
        try:
            self.goto(first)
        except ValueError:
            self._seek(range(len(self._items)))

    @property
    def trace_path(self) -> Path:
        return self.reader.path

    # --- following a trace that is still being written --------------------------------------

    def refresh(self) -> bool:
        """Add what was committed since the last look; True if the timeline grew. A cursor on
        the last step follows the growth."""
        with self._lock:
            following = self._cursor == len(self._items) - 1
            steps = self.reader.steps(after=self._seen)
            if not steps:
                return False
            rows = {r["epoch"]: r for r in self.reader.metric_rows(after=self._epoch)}
            runs = itertools.groupby(steps, key=lambda s: (s.kind, s.epoch, s.example))
            for (kind, epoch, example), run in runs:  # an epoch, or one pass's ops in a row
                if kind == "epoch":
                    if epoch not in rows:  # an epoch's step and metrics row share a commit
                        raise TraceError(f"{self.reader.path}: e{epoch} has no metrics row")
                    self._add_epoch(rows[epoch])
                else:
                    self._add_head(epoch, example, len(list(run)))
            self._seen = steps[-1].step
            self._facts_seen.clear()  # an epoch's flips are read from the next one's arrays
            if following:
                self._cursor = len(self._items) - 1
            return True

    def _add_epoch(self, row: dict) -> None:
        self._metrics.append(epochs.metrics(row, len(self._sizes) - 1))
        self._rows[row["epoch"]] = row
        self._items.append(Item(None, row["epoch"]))
        self._epoch = max(self._epoch, row["epoch"])

    def _add_head(self, epoch: int, example: int, ops: int) -> None:
        """A pass whose ops are read when the cursor first enters it."""
        pixels, label = self._example(example)
        source = own_digit_name(self.reader.meta, example) or ""  # "": a training example
        self._add_pass(Pass(epoch, example, (), label, pixels, source, label >= 0), ops)

    def _example(self, index: int) -> tuple[np.ndarray, int]:
        if index not in self._examples:
            pixels, label = self.reader.example(index)
            self._examples[index] = (pixels, -1 if label is None else int(label))
        return self._examples[index]

    # --- hooks --------------------------------------------------------------------------------

    def _pass(self, pid: int) -> Pass:
        p = self._passes[pid]
        if not p.ops:
            read = self.reader.pass_ops(p.epoch, p.example)
            ops = tuple(
                CheckedOp(
                    s.phase,
                    s.layer,
                    s.op,
                    s.equation or "",
                    inputs,
                    outputs,
                    MappingProxyType(theirs),
                )
                if self.check is not None
                else Op(s.phase, s.layer, s.op, s.equation or "", inputs, outputs)
                for s, inputs, outputs, theirs in read
            )
            p = self._passes[pid] = replace(p, ops=ops)
        return p

    def _trace_holding(self, address: str) -> Path:
        return self.reader.path

    def _settings(self) -> dict:
        meta = self._meta
        preset = meta.get("preset") or {}
        alpha = self._rows[self._epoch]["alpha"] if self._epoch in self._rows else meta["alpha"]
        return {
            "alpha": float(alpha),
            "preset": str(preset.get("name", "?")) if isinstance(preset, dict) else str(preset),
            "weights_from": literal(meta.get("start_weights") or ""),  # tour --weights w.npz
            "layout": "-".join(map(str, self._sizes)) + f" {self._hidden.name}",
            "seed": int(meta.get("seed", 0)),
            "trace": literal(self.reader.path),
            "train_size": int(meta.get("train_size", 0)),
            "hidden": self._hidden.name,
        }

    def _watched_at(self, epoch: int) -> dict[str, np.ndarray]:
        arrays = self.reader.tensors(f"e{epoch}", prefix="watch/")
        return {k.removeprefix("watch/"): a for k, a in arrays.items()}

    def _example_input(self, example: int) -> tuple[np.ndarray, int, np.ndarray]:
        pixels, label = self._example(example)
        scale = 255.0 if self._meta.get("scale_pixels") else 1.0
        return pixels, label, (pixels / scale).reshape(-1, 1)

    def _snapshot(self) -> Snapshot:
        """The snapshot at the cursor; if the trace cannot be read there (damaged in that
        part), the cursor goes back to where it last could and the TraceError is raised."""
        try:
            snapshot = super()._snapshot()
        except TraceError:
            self._cursor = self._good
            raise
        self._good = self._cursor
        if self.check is None:
            return snapshot
        theirs = getattr(snapshot.op, "theirs", NOTHING)
        return replace(snapshot, checked=True, theirs=theirs)

    # --- moving -------------------------------------------------------------------------------

    def example(self, delta: int = 1) -> Snapshot:
        """As in a session, but the last pass stays the last: nothing is computed here."""
        with self._lock:
            if not self._passes and not self._watched:
                return self._snapshot()
            return super().example(delta)

    def layer(self, delta: int = 1) -> Snapshot:
        return super().layer(delta) if self._passes else self.snapshot()

    def phase(self, finish: bool = True) -> Snapshot:
        return super().phase(finish) if self._passes else self.snapshot()

    def goto_example(self, example: int) -> Snapshot:
        try:
            return super().goto_example(example)
        except ValueError:
            recorded = sorted({p.example for p in self._passes})
            raise ValueError(
                f"example {example} has no recorded pass (passes: "
                f"{', '.join(f'x{i}' for i in recorded) or 'none'})"
            ) from None

    # --- breakpoints as seeks ------------------------------------------------------------------

    def add_breakpoint(self, text: str) -> Breakpoint:
        bp = parse_breakpoint(text, layers=len(self._sizes) - 1)
        problem = self._seekable(bp)
        if problem:
            raise BreakpointError(f"{text!r}: {problem}")
        with self._lock:
            self.breakpoints.append(bp)
            return bp

    def _seekable(self, bp: Breakpoint) -> str | None:
        """Why the trace cannot answer ``bp`` (None if it can): a flip needs the example's
        predictions, which a trace keeps for its watched examples only. A live session's
        saved flip on another example is left out of the replay."""
        if bp.kind == "flip" and bp.example not in self._watched:
            watched = ", ".join(f"x{i}" for i in self._watched) or "none"
            return f"a replay knows the predictions of watched examples only ({watched})"
        if bp.kind == DIFFERS and self.check is None:
            return "only a check trace (netviz check --trace) holds a learner's values"
        return None

    def next_hit(self) -> Hit | None:
        """``c``: the next step after the cursor where an enabled condition holds (the cursor
        moves there); None if there is none up to the end of the recording."""
        with self._lock:
            return self._seek(range(self._cursor + 1, len(self._items)))

    def _epoch_hits(self, epoch: int, on: list[Breakpoint]) -> list[Hit]:
        """Epoch conditions checked on the epoch's recorded figures (and the epoch before)."""
        facts, before = self._facts(epoch), self._facts(epoch - 1)
        found = ((b, check(b, facts, before)) for b in on if facts is not None)
        return [Hit(epoch, b.text, why, b.layer, f"e{epoch}") for b, why in found if why]

    def _facts(self, epoch: int) -> EpochFacts | None:
        """What epoch ``epoch``'s conditions are checked against, from its metrics row (kept:
        a seek asks for each epoch twice, as itself and as the one before the next)."""
        flips = tuple(sorted(b.example for b in self.breakpoints if b.kind == "flip"))
        key = (epoch, flips)
        if key not in self._facts_seen:
            self._facts_seen[key] = self._read_facts(epoch)
        return self._facts_seen[key]

    def _read_facts(self, epoch: int) -> EpochFacts | None:
        row = self._rows.get(epoch)
        if row is None:
            return None
        return epochs.facts(row, len(self._sizes) - 1, self._predictions(epoch))

    def _predictions(self, epoch: int) -> dict[int, int]:
        """Watched examples' predictions after epoch ``epoch``'s update: what the next epoch
        computed at the weights it started from, or, after the last epoch, its rebuilt
        weights on the watched examples."""
        flips = [b.example for b in self.breakpoints if b.kind == "flip"]
        flips = [i for i in flips if i in self._watched]
        if not flips or epoch not in self._rows:
            return {}
        L = len(self._sizes) - 1
        if epoch + 1 in self._rows:
            out = self.reader.tensors(f"e{epoch + 1}", prefix=f"watch/A{L}").get(f"watch/A{L}")
        else:  # the last epoch: its weights, rebuilt, on the watched examples
            try:
                params = self.reader.weights(epoch)
            except TraceError:
                return {}
            X = np.hstack([self._example_input(i)[2] for i in self._watched])
            with np.errstate(over="ignore", invalid="ignore"):
                out = forward(params, X.astype(params.dtype), self._hidden)[f"A{L}"]
        if out is None:
            return {}
        return {i: int(np.argmax(out[:, self._watched.index(i)])) for i in flips}

    def close(self) -> None:
        self.reader.close()

    def __enter__(self) -> Replay:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _check_meta(check) -> dict | None:
    """A check trace's ``check`` metadata ({"script", "first_difference", "epochs"}), or None
    when the trace is no check's. A first difference that is not an address is dropped (the
    replay then starts at the first step)."""
    if check is None:
        return None
    if not isinstance(check, dict):
        raise ValueError(f"'check' is a {type(check).__name__}, not a record")
    first = check.get("first_difference")
    if not isinstance(first, str) or parse_address(first) is None:
        first = None
    return {**check, "first_difference": first}


def _saved(entry, layers: int) -> Breakpoint | None:
    """A breakpoint saved in the trace's metadata ({"condition", "enabled"}), or None if it no
    longer parses (a newer netviz's condition, say)."""
    try:
        bp = parse_breakpoint(str(entry["condition"]), layers=layers)
    except (BreakpointError, KeyError, TypeError):
        return None
    return bp if entry.get("enabled", True) else bp.toggled()
