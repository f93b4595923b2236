"""A walkthrough as one self-contained web page: ``netviz export html``.

The page holds the chosen steps of a trace in order (see :func:`choose`): each op with its
address, equation, shapes, explanation, numbers, digit and, for a gradient, the chain-rule card of
its largest entry; each epoch with its figures and curves. It loads nothing: the styles and the
script (``page/page.css``, ``page/page.js``) are inlined, figures are inline SVG or canvases
drawn by the script from the raw values, and the reader's own fonts are used.

Every array is embedded once (equal arrays are shared between steps) as its little-endian bytes,
zlib-compressed and base64-encoded, in one JSON block; each step names the arrays it shows. The
numbers written in the page are :func:`netviz.numbers.fmt`'s, and the script writes the values it
shows on hover by the same rule.
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..core.steps import Op
from ..debug.chain import card
from ..debug.explain import explain
from ..debug.passes import pass_values
from ..errors import NetvizError
from ..files import atomic_writer
from ..numbers import (
    compared_scale,
    differences,
    differing_entries,
    in_float32,
    magnitude,
    shapes_differ,
    verdict,
)
from ..trace import Step, TraceReader
from ..trace.reader import THEIRS
from ..trace.schema import own_digit_name
from . import markup
from .figures import symmetric_limit
from .gather import (
    digit_words,
    layer_count,
    run_name,
    started_from,
    trace_activation,
    weights_words,
)
from .webcurves import Curves

ASSETS = Path(__file__).parent / "page"
# Up to this many epochs, every one's ΣdW and Σdb is embedded (ΣdW1 alone is ~100 kB); past it,
# the round-numbered ones (see spread): 15 of 500.
GRADIENT_EPOCHS = 24
MAX_PASSES = 20  # example passes embedded (each holds W1 and W1′, ~130 kB each compressed)
# The bytes the passes may take at most: a pass holds its weights, their gradients and the
# updated weights (about 3 × the network's parameters, base64); a wide network (784-256-256-10:
# 8.6 MB a pass) gets fewer passes than MAX_PASSES, at least 2 (the first and the last).
PASS_BUDGET = 12e6
GRADIENTS = ("dW", "db", "dZ", "dA")


@dataclass(frozen=True)
class Note:
    """A lesson's stop as the page shows it, at step ``at``: ``heading`` (lesson and stop),
    its ``text``, its question, the values the question gives, and the right answer (computed
    from the trace by the caller, revealed on click)."""

    at: str
    heading: str
    text: str
    question: str = ""
    given: str = ""
    answer: str = ""


@dataclass(frozen=True)
class Choice:
    """What a page holds: ``steps`` in order; of the recorded example passes in range, how many
    were left out; the epochs whose gradients are embedded (the others show their figures)."""

    steps: tuple[Step, ...]
    passes: int
    passes_left_out: int
    gradient_epochs: tuple[int, ...]
    pass_bytes: float = 0.0  # what one pass takes on the page, about

    @property
    def epochs(self) -> list[int]:
        return [s.epoch for s in self.steps if s.kind == "epoch"]

    def lines(self) -> list[str]:
        """What was chosen, in words: said on the page and on stdout."""
        ops, epochs = len(self.steps) - len(self.epochs), self.epochs
        lines = [
            f"{len(self.steps)} steps, {self.steps[0].address} to {self.steps[-1].address}: "
            + ", ".join(
                part
                for part, n in (
                    (f"{ops} ops of {self.passes} example pass{'es' * (self.passes != 1)}", ops),
                    (f"{len(epochs)} epoch{'s' * (len(epochs) != 1)}", len(epochs)),
                )
                if n
            )
        ]
        if self.passes_left_out:
            half = self.passes // 2
            why = "" if self.passes == MAX_PASSES else (
                f"; a pass of this network takes about {self.pass_bytes / 1e6:.1f} MB"
            )  # fmt: skip
            lines.append(
                f"{self.passes_left_out} more example passes are in the trace but not on the "
                f"page (the first {half} and the last {self.passes - half} are{why}): use --from "
                "and --to for others"
            )
        if epochs:
            kept = self.gradient_epochs
            if len(kept) == len(epochs):
                grads = "and the gradients ΣdW, Σdb of every one"
            elif not kept:
                grads = "no gradients (the trace kept no ΣdW: recorded with --record minimal)"
            else:
                listed = ", ".join(f"e{e}" for e in kept)
                grads = f"the gradients ΣdW, Σdb of {len(kept)} of them: {listed}"
            lines.append(
                f"epochs: cost, accuracy, gradient norms and curves for all {len(epochs)}; {grads}"
            )
        return lines


def choose(reader: TraceReader, first: str | None = None, last: str | None = None) -> Choice:
    """The steps from ``first`` to ``last`` (addresses in the trace; default: all), at most
    MAX_PASSES example passes of them (the first and the last half), and the epochs whose
    gradients are embedded: all when there are at most GRADIENT_EPOCHS, else a spread."""
    steps = reader.steps()
    if not steps:
        raise NetvizError(f"{reader.path}: no steps recorded: there is nothing to show")
    lo = reader.step(first).step if first else steps[0].step
    hi = reader.step(last).step if last else steps[-1].step
    if lo > hi:
        raise NetvizError(
            f"--from {first} (step {lo}) comes after --to {last} (step {hi}): give the earlier "
            "address to --from"
        )
    chosen = [s for s in steps if lo <= s.step <= hi]
    passes = list(dict.fromkeys((s.epoch, s.example) for s in chosen if s.kind == "op"))
    per_pass = _pass_bytes(reader)
    most = max(2, min(MAX_PASSES, int(PASS_BUDGET // per_pass)))
    kept = set(passes)
    if len(passes) > most:
        kept = set(passes[: most // 2] + passes[-(most - most // 2) :])
        chosen = [s for s in chosen if s.kind == "epoch" or (s.epoch, s.example) in kept]
    epochs = [s.epoch for s in chosen if s.kind == "epoch"]
    with_sums = [e for e in spread(epochs, GRADIENT_EPOCHS) if reader.epoch_sums(e) is not None]
    return Choice(tuple(chosen), len(kept), len(passes) - len(kept), tuple(with_sums), per_pass)


def _pass_bytes(reader: TraceReader) -> float:
    """About what one example pass takes on the page: its weights, their gradients and the
    updated weights, base64 (4/3 of the bytes), from the network's sizes and dtype."""
    sizes = [int(n) for n in reader.meta.get("sizes", [784, 16, 16, 10])]
    params = sum(a * b + b for a, b in zip(sizes[:-1], sizes[1:], strict=False))
    itemsize = 4 if reader.meta.get("dtype") == "float32" else 8
    return 3 * params * itemsize * 4 / 3


def spread(epochs: Sequence[int], count: int) -> list[int]:
    """``epochs`` if there are at most ``count``; else the round-numbered ones among them: the
    first and the last, 1, 2, 5, 10, 20, 50… (where the cost falls fastest) and every multiple
    of a round step that makes about ``count`` / 2 of them."""
    if len(epochs) <= count:
        return list(epochs)
    first, last = epochs[0], epochs[-1]
    step = next(
        m * 10**k
        for k in range(12)
        for m in (1, 2, 5)
        if m * 10**k >= (last - first) / (count // 2)
    )
    series = {m * 10**k for k in range(12) for m in (1, 2, 5)}
    wanted = {first, last, *series, *range(step * math.ceil(first / step), last + 1, step)}
    return sorted(wanted & set(epochs))


# --- the arrays --------------------------------------------------------------------------------


class Store:
    """Arrays embedded once each, by content: id → dtype, shape and the zlib-compressed,
    base64-encoded little-endian bytes."""

    def __init__(self) -> None:
        self.blocks: dict[str, dict] = {}
        self._ids: dict[str, str] = {}

    def add(self, array: np.ndarray) -> str:
        """The id of ``array`` (float32 and uint8 kept as they are, anything else as float64),
        embedding it if no equal array was."""
        a = np.asarray(array)
        dtype = "<f4" if a.dtype == np.float32 else "|u1" if a.dtype == np.uint8 else "<f8"
        data = np.ascontiguousarray(a, dtype=dtype).tobytes()
        key = hashlib.sha256(f"{dtype}{a.shape}".encode() + data).hexdigest()
        if key not in self._ids:
            ident = f"a{len(self._ids)}"
            self._ids[key] = ident
            packed = base64.b64encode(zlib.compress(data, 9)).decode("ascii")
            self.blocks[ident] = {"dtype": dtype, "shape": list(a.shape), "z": packed}
        return self._ids[key]


# --- the page ----------------------------------------------------------------------------------


def write_page(
    reader: TraceReader,
    out: str | Path,
    choice: Choice,
    notes: Sequence[Note] = (),
    lesson: Sequence[str] = (),
) -> Path:
    """Write the page of ``choice`` to ``out`` atomically, with a lesson's ``notes`` at their
    steps and ``lesson`` (its title, then what of it was left out, a line each) at the top;
    the path written."""
    text = page(reader, choice, notes, lesson)
    with atomic_writer(out, "w") as f:
        f.write(text)
    return Path(out)


def page(
    reader: TraceReader, choice: Choice, notes: Sequence[Note] = (), lesson: Sequence[str] = ()
) -> str:
    """The page's HTML text (see :func:`write_page`)."""
    store, L, start = Store(), layer_count(reader), started_from(reader)
    try:
        hidden = trace_activation(reader)
    except NetvizError:
        hidden = None  # the hidden ops' explanations and the chain-rule cards need it
    rows = {row["epoch"]: row for row in reader.metric_rows()}
    final = reader.final()
    curves = Curves(rows, final, start) if rows else None
    by_step: dict[str, list[Note]] = {}
    for note in notes:
        by_step.setdefault(note.at, []).append(note)
    sections, ops, labelled, own_name, total = [], None, True, None, len(choice.steps)
    for number, step in enumerate(choice.steps, 1):
        where = markup.Where(step.address, number, total, tuple(by_step.get(step.address, ())))
        if step.kind == "epoch":
            e, kept = step.epoch, choice.gradient_epochs
            view = markup.EpochView(
                epoch=e,
                row=rows.get(e),
                final=final,
                layers=L,
                sums=reader.epoch_sums(e) if e in kept else None,
                watched=_watched(reader, step, store),
                nearby=_nearest(kept, e),
                start=start,
            )
            sections.append(markup.epoch_section(where, view, curves, store))
            continue
        if ops is None or (ops[0][0].epoch, ops[0][0].example) != (step.epoch, step.example):
            ops = reader.pass_ops(step.epoch, step.example)
            labelled = reader.example(step.example)[1] is not None  # an own digit may have none
            own_name = own_digit_name(reader.meta, step.example)
        sections.append(_op_section(where, step, ops, hidden, L, store, labelled, own_name, start))
    head = {
        "title": run_name(reader),
        "facts": _facts(reader),
        "included": choice.lines(),
        "lesson": list(lesson),
    }
    return markup.document(head, sections, store.blocks, curves, _assets())


def _op_section(
    where,
    step: Step,
    ops: list,
    hidden,
    L: int,
    store: Store,
    labelled: bool = True,
    own_name: str | None = None,
    start: str = "",
) -> str:
    """One op of an example pass: its arrays (inputs, then outputs), the pass's digit and, for
    a gradient, the chain-rule card of its largest entry. ``start``: the saved weights the run
    began from (:func:`~.gather.started_from`), or ""."""
    index = next(k for k, item in enumerate(ops) if item[0].step == step.step)
    _, inputs, outputs, theirs = ops[index]
    whole = tuple(Op(s.phase, s.layer, s.op, s.equation or "", i, o) for s, i, o, _ in ops)
    values = pass_values(whole)
    op = whole[index]
    shown = [(n, n, "input", inputs[n]) for n in step.inputs if n in inputs]
    for n, a in outputs.items():
        shown.append((n, n, "output", a))
        if n in theirs:  # a check trace: the learner's value of it, beside
            shown.append((f"{THEIRS}{n}", n, "the learner's", theirs[n]))
    scales = {**values, **inputs, **outputs}
    arrays = []
    for name, of, role, a in shown:
        scale = magnitude(of, scales, L)  # a learner's array of another shape: none
        if scale is not None and np.shape(scale) != np.shape(a):
            scale = None
        beside = outputs[of] if name != of and np.shape(a) == np.shape(outputs[of]) else None
        limit = None if beside is None else symmetric_limit(beside)  # the reference's colours
        arrays.append(markup.Shown(name, role, a, store.add(a), scale, limit=limit))
    chain = None
    name, a = next(iter(outputs.items()))
    if hidden is not None and step.phase == "bwd" and name[:2] in GRADIENTS:
        try:
            chain = card(values, hidden, name, largest(a), L)
        except (ValueError, KeyError, IndexError):
            chain = None  # a pass recorded without what the card needs
    x = values.get("x")
    digit = (
        None if x is None else (store.add(x), digit_words(values, step.example, labelled, own_name))
    )
    # the explanations are written in the words of the hidden layers' activation
    text = "" if hidden is None else explain(step.phase or "", step.op or "", step.layer, L, hidden)
    view = markup.OpView(
        step=step,
        words=_where_words(step, L, start),
        shapes=op.shapes if step.equation else "",
        text=text,
        arrays=arrays,
        digit=digit,
        chain=chain,
        checked=tuple(
            _checked(n, a, theirs[n], compared_scale(n, inputs))
            for n, a in outputs.items()
            if n in theirs
        ),
    )
    return markup.op_section(where, view)


def _checked(
    name: str, reference: np.ndarray, theirs: np.ndarray, scale: np.ndarray | None
) -> tuple[str, bool]:
    """(what a check trace's replay says of an output the learner computed, whether theirs
    differs): ``dW2: the learner's vs the reference: 1 of 160 entries differ: ◆ dW2[2, 5]``
    (the largest differences first), ``…: the same, to rounding`` (``to float32's rounding``
    for a float32 script), or that the shapes differ."""
    sides = ("the learner's", "the reference")
    if np.shape(theirs) != np.shape(reference):
        shapes = shapes_differ(np.shape(theirs), np.shape(reference))
        return f"{name}: {sides[0]} vs {sides[1]}: {shapes}", True
    difference, mask = differences(theirs, reference, scale)
    said = f"{name}: {verdict(mask, sides, in_float32(theirs, reference))}"
    if not mask.any():
        return said, False
    return f"{said}: {differing_entries(name, difference, mask, 100)}", True


def largest(a: np.ndarray) -> tuple[int, ...]:
    """The index of ``a``'s largest |entry| (the first, in reading order; 0 when none is
    finite): (i,) for a vector, a column (n, 1) included; (i, j) for a matrix."""
    finite = np.isfinite(a)
    flat = int(np.argmax(np.where(finite, np.abs(a), -1.0))) if finite.any() else 0
    at = np.unravel_index(flat, a.shape)
    return (int(at[0]),) if a.ndim == 1 or a.shape[1] == 1 else (int(at[0]), int(at[1]))


def _nearest(kept: Sequence[int], epoch: int) -> tuple[int, ...]:
    """The epochs of ``kept`` just before and just after ``epoch``, those there are."""
    before = [k for k in kept if k < epoch]
    after = [k for k in kept if k > epoch]
    return tuple(([before[-1]] if before else []) + ([after[0]] if after else []))


def _where_words(step: Step, L: int, start: str = "") -> str:
    """``example 0 · forward, layer 1 · at the initial weights``."""
    phase = {"fwd": "forward", "bwd": "backward", "upd": "one-example step", "cost": "cost"}
    part = phase.get(step.phase or "", step.phase or "")
    if step.layer is not None:
        part += f", layer {step.layer}" + (" (output)" if step.layer == L else "")
    return f"example {step.example} · {part} · {weights_words(step.epoch, start)}"


def _watched(reader: TraceReader, step: Step, store: Store):
    """(pixels id, words) of the first watched example at an epoch, as that epoch computed it
    (its guess at the weights the epoch started from); None when none was watched."""
    watch = reader.meta.get("watch")
    if not isinstance(watch, list) or not watch:
        return None
    L = layer_count(reader)
    try:
        pixels, label = reader.example(int(watch[0]))
        out = reader.tensors(step.step, prefix=f"watch/A{L}").get(f"watch/A{L}")
    except NetvizError:
        return None
    words = f"watched example {watch[0]}" + ("" if label is None else f", label {label}")
    if out is not None and out.ndim == 2 and out.shape[1] >= 1:
        column = out[:, 0]
        if np.isfinite(column).all():
            guess = int(np.argmax(column))
            words += f", guessed {guess} ({100 * float(column[guess]):.1f} %)"
    return store.add(pixels.reshape(-1, 1)), words + " at the weights this epoch started from"


def _facts(reader: TraceReader) -> str:
    """``784-16-16-10 seed-sigmoid · α 0.8 · sample: 3,000 train / 1,200 test · float64``."""
    meta, parts = reader.meta, []
    sizes = meta.get("sizes")
    if isinstance(sizes, list):
        parts.append("-".join(str(n) for n in sizes) + f" {meta.get('activation', '')}".rstrip())
    if isinstance(meta.get("alpha"), (int, float)):
        parts.append(f"α {meta['alpha']:g}")
    data = meta.get("data")
    train, test = meta.get("train_size"), meta.get("test_size")
    if isinstance(train, int):
        sets = f"{train:,} train" + (f" / {test:,} test" if isinstance(test, int) else "")
        parts.append(f"{data}: {sets}" if isinstance(data, str) else sets)
    if meta.get("scale_pixels") is not None:
        parts.append("pixels / 255" if meta["scale_pixels"] else "raw 0–255 pixels")
    if isinstance(meta.get("dtype"), str):
        parts.append(meta["dtype"])
    return " · ".join(str(p) for p in parts)


def _assets() -> tuple[str, str]:
    """(page.css, page.js), read at export time to be inlined."""
    return (ASSETS / "page.css").read_text("utf-8"), (ASSETS / "page.js").read_text("utf-8")


def size_text(n: int) -> str:
    """``1.4 MB``, ``830 kB``: a page's size as the report says it."""
    return f"{n / 1e6:.1f} MB" if n >= 1e6 else f"{max(1, math.ceil(n / 1e3))} kB"


def embedded(text: str) -> dict[str, np.ndarray]:
    """The arrays embedded in a page's text, by id: what a test compares with the trace's."""
    start = text.index(markup.ARRAYS_OPEN) + len(markup.ARRAYS_OPEN)
    blocks = json.loads(text[start : text.index("</script>", start)].replace("<\\/", "</"))
    return {
        ident: np.frombuffer(zlib.decompress(base64.b64decode(b["z"])), b["dtype"]).reshape(
            b["shape"]
        )
        for ident, b in blocks.items()
    }


__all__ = ["Choice", "Note", "choose", "embedded", "page", "size_text", "write_page"]
