"""A step card: one step on a page, for a slide or a message to a teacher.

An op card (``e3/x17/bwd/L2/dW``) shows the op's equation, its shapes and the numbers of its
inputs and outputs; then, for the op's layer (the cost's: the last), the pass's W, this
example's dW and its update −α·dW as heatmaps, beside the digit that drove them.

An epoch card (``e12``) shows the full-batch update W ← W − α·ΣdW/m with the epoch's m, α,
cost and accuracies at the weights it started from (and, for the run's last epoch, those of the
final weights after its update); then one row per layer: W before the epoch, ΣdW/m and
−α·ΣdW/m.

As PNG, the page is one figure; as Markdown, the equation and a table of the numbers, with the
heatmaps in a PNG of the same name beside it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..core.steps import Op
from ..errors import NetvizError
from ..files import atomic_writer
from ..numbers import fmt, magnitude, mean_text, shape_text
from ..trace import Step, TraceReader, parse_address
from .gather import (
    check_epoch,
    epoch_gradient,
    file_part,
    layer_count,
    pass_steps,
    rows_name,
    run_name,
    started_from,
    weights_words,
)

SHOWN_VALUES = 4  # values listed per array, in reading order


@dataclass(frozen=True)
class Card:
    """What a card shows, before it is drawn or written."""

    address: str
    title: str
    equation: str
    shapes: str  # the equation with each array replaced by its shape
    arrays: list[tuple[str, str, np.ndarray]]  # (name, "input" or "output", array)
    facts: list[str]  # one-line facts: run, epoch, example, label, α, m, cost…
    rows: list  # of lists of figures.Panel, one row per layer shown
    digit: tuple[np.ndarray, str] | None = None
    notes: list[str] = field(default_factory=list)  # longer facts, a line each: cost, accuracies
    layers: int = 0  # the network's weight layers (the output layer's number), for rounding bounds


def card_name(reader: TraceReader, address: str, suffix: str = ".png") -> str:
    """``<trace stem>_e3-x17-bwd-L2-dW_card.png``."""
    return f"{reader.path.stem}_{file_part(address)}_card{suffix}"


def card_at(reader: TraceReader, at: str) -> Card:
    """The card of the step at ``at`` (an address or step number)."""
    parts = parse_address(at)
    if parts is not None and parts["example"] is None:
        return epoch_card(reader, parts["epoch"])
    step = reader.step(at)
    return epoch_card(reader, step.epoch) if step.kind == "epoch" else op_card(reader, step)


def op_card(reader: TraceReader, step: Step) -> Card:
    """The card of one op of an example's pass."""
    from .figures import Panel

    inputs, outputs = reader.op_arrays(step.step)
    ops = pass_steps(reader, step)
    context = reader.tensors(ops[0].step)
    layer = step.layer or layer_count(reader)
    W, dW = f"W{layer}", f"dW{layer}"
    grad_step = next((s for s in ops if dW in s.outputs), None)
    if W not in context or grad_step is None:
        raise NetvizError(f"{reader.path}: {step.address}: the pass holds no {W} or {dW}")
    grad, names = reader.tensors(grad_step.step)[dW], rows_name(reader, layer)
    row = [
        Panel(f"{W}: the pass's weights", context[W], layer, names),
        Panel(f"{grad_step.equation}: this example", grad, layer, names),
    ]
    label = int(np.argmax(context["y"])) if "y" in context else None
    if reader.example(step.example)[1] is None:  # an own digit without one: y was the guess
        label = None
    example = f"example {step.example}" + ("" if label is None else f" (label {label})")
    facts = [example, weights_words(step.epoch, started_from(reader))]
    if "α" in context:
        alpha = float(context["α"])
        row.append(Panel(f"update −α·{dW} (α = {alpha:g})", -alpha * grad, layer, names))
        facts.append(f"α = {alpha:g}")
    arrays = [(n, "input", inputs[n]) for n in step.inputs if n in inputs]
    arrays += [(n, "output", a) for n, a in outputs.items()]
    return Card(
        address=step.address,
        title=f"{step.address} · {' · '.join(facts[:2])}",
        equation=step.equation or "",
        shapes=_shapes(step, inputs, outputs),
        arrays=arrays,
        facts=facts,
        rows=[row],
        layers=layer_count(reader),
        digit=(context["x"], f"x: example {step.example}, label {label}")
        if "x" in context
        else None,
    )


def epoch_card(reader: TraceReader, epoch: int) -> Card:
    """The card of one full-batch epoch: every layer's W before it, ΣdW/m and −α·ΣdW/m."""
    from .figures import Panel

    if epoch == 0:
        raise NetvizError(
            f"{reader.path}: e0 is the initial weights, not a step: a card needs an epoch from 1 "
            "or an op address (like e0/x0/bwd/L1/dW)"
        )
    check_epoch(reader, epoch, "grad")
    alpha, m, dW = epoch_gradient(reader, epoch, "a card needs them; ask for an op address")
    before = reader.weights(epoch - 1)
    rows, arrays = [], []
    for l in range(1, layer_count(reader) + 1):
        grad, names = dW[l - 1] / m, rows_name(reader, l)
        rows.append([
            Panel(f"W{l} before epoch {epoch}", before.W[l - 1], l, names),
            Panel(f"∂C/∂W{l} = ΣdW{l}/m", grad, l, names),
            Panel(f"update −α·ΣdW{l}/m", -alpha * grad, l, names),
        ])  # fmt: skip
        arrays += [(f"W{l}", "input", before.W[l - 1]), (f"ΣdW{l}/m", "input", grad)]
    facts = [f"m = {m:,}", f"α = {alpha:g}"]
    return Card(
        address=f"e{epoch}",
        title=f"e{epoch} · epoch {epoch}, one full-batch step",
        equation="W ← W − α·ΣdW/m    b ← b − α·Σdb/m",
        shapes=f"every layer l: Wl (n_l, n_l−1) ← Wl − {alpha:g}·ΣdWl/{m:,}",
        arrays=arrays,
        facts=facts,
        rows=rows,
        notes=_epoch_figures(reader, epoch),
    )


def _epoch_figures(reader: TraceReader, epoch: int) -> list[str]:
    """The epoch's cost and accuracies at the weights it started from; when it is the run's
    last, also those at the final weights, after its update."""
    row = reader.metric_rows(after=epoch - 1)[0]  # one row, without pandas
    start = row["cost"], row["train_accuracy"], row["test_accuracy"]
    notes = [f"before the update (the weights epoch {epoch} started from): {_figures(*start)}"]
    final = reader.final()
    if final is not None and final.epoch == epoch:
        after = final.cost, final.train_accuracy, final.test_accuracy
        notes.append(f"after the update (the run's final weights): {_figures(*after)}")
    return notes


def _figures(cost: float | None, train: float | None, test: float | None) -> str:
    """``cost 2.2868, train accuracy 11.63 %, test accuracy 12.50 %`` (no test set: no test)."""
    parts = [f"cost {cost:.4f}" if cost is not None else "cost n/a"]
    for name, value in (("train", train), ("test", test)):
        if value is not None and value == value:  # a run without a test set has none
            parts.append(f"{name} accuracy {100 * value:.2f} %")
    return ", ".join(parts)


def _shapes(step: Step, inputs: dict, outputs: dict) -> str:
    """The equation with shapes for names (``(16, 16) = (16, 1)·(16, 1)ᵀ``), by core's rule."""
    if not step.equation:
        return ""
    op = Op(step.phase, step.layer, step.op, step.equation, inputs, outputs)
    return op.shapes


# --- text ---------------------------------------------------------------------------------------


def summary(array: np.ndarray, scale: np.ndarray | None = None) -> tuple[str, str, str, str, str]:
    """(shape, min, max, mean, first values) of an array, as short text, written as the tour
    writes them (netviz.numbers): a mean within its rounding bound (``scale``: what each entry
    was computed from) is 0, and so is −0. In the array's own float type: a float32 mean's
    rounding bound is float32's."""
    a = np.asarray(array)
    a = a if a.dtype.kind == "f" else a.astype(float)
    if a.ndim == 0:
        value = fmt(float(a))
        return shape_text(a.shape), value, value, value, value
    flat = a.reshape(-1)
    finite = np.isfinite(flat)
    low, high, mean = ("–",) * 3
    if finite.any():
        part = scale.reshape(-1)[finite] if scale is not None else None
        low, high = fmt(flat[finite].min()), fmt(flat[finite].max())
        mean = mean_text(flat[finite], part)
    first = " ".join(fmt(v) for v in flat[:SHOWN_VALUES])
    first += " …" if flat.size > SHOWN_VALUES else ""
    return shape_text(a.shape), low, high, mean, first


def summaries(card: Card) -> list[tuple[str, str, np.ndarray, tuple[str, ...]]]:
    """(name, role, array, summary) of each of the card's arrays; the magnitudes behind the
    rounding bounds come from the card's other arrays, by the lesson's equations."""
    values = {name: array for name, _, array in card.arrays}
    out = []
    for name, role, array in card.arrays:
        scale = magnitude(name, values, card.layers) if card.layers else None
        out.append((name, role, array, summary(array, scale)))
    return out


def card_text(card: Card) -> str:
    """The monospace block under a PNG card's equation: shapes, facts, one line per array."""
    lines = [card.shapes, " · ".join(card.facts), *card.notes, ""]
    width = max((len(n) for n, _, _ in card.arrays), default=1)
    for name, role, array, (shape, low, high, mean, first) in summaries(card):
        if np.ndim(array) == 0:
            lines.append(f"{role:<6} {name:<{width}} {shape:<10} = {first}")
            continue
        lines.append(
            f"{role:<6} {name:<{width}} {shape:<10} min {low:>10}  max {high:>10}  "
            f"mean {mean:>10}   [{first}]"
        )
    return "\n".join(lines)


def card_markdown(card: Card, run_name: str, image: str) -> str:
    """The Markdown card: title, facts, equation and shapes, a table of arrays, the heatmaps."""
    rows = ["| array | role | shape | min | max | mean | first values |",
            "|---|---|---|---:|---:|---:|---|"]  # fmt: skip
    for name, role, _, cells in summaries(card):
        cells = [name, role, *cells]
        rows.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    return "\n".join([
        f"# `{card.address}`", "",
        f"- run {run_name}", *[f"- {fact}" for fact in [*card.facts, *card.notes]], "",
        "```", card.equation, card.shapes, "```", "",
        *rows, "",
        f"![heatmaps of {card.address}]({image})", "",
    ])  # fmt: skip


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


# --- drawing and writing -------------------------------------------------------------------------


def card_figure(reader: TraceReader, card: Card):
    from .figures import card_figure as draw

    title = f"{card.title}\n{run_name(reader)}"
    return draw(title, card.equation, card_text(card), card.rows, card.digit)


def write_card(reader: TraceReader, card: Card, path: str | Path) -> list[Path]:
    """Write the card to ``path`` (.png, or .md with a .png beside it); the files written."""
    from .figures import save

    path = Path(path)
    if path.suffix.lower() == ".md":
        image = path.with_suffix(".png")
        save(card_figure(reader, card), image)
        with atomic_writer(path, "w") as f:
            f.write(card_markdown(card, run_name(reader), image.name))
        return [path, image]
    return [save(card_figure(reader, card), path)]
