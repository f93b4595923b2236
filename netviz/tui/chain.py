"""The card of one selected entry: how a gradient entry was built, factor by factor (the chain
rule), or how a forward entry is computed by hand (Z1[j] = Σ W1[j, i]·x[i] + b1[j])."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from rich.style import Style
from rich.text import Text

from ..core.steps import Op
from ..debug.chain import ChainCard, layout, result_bound
from ..numbers import derived, fmt

GRADIENTS = ("dW", "db", "dZ", "dA")
MAX_TERMS = 16  # a sum card's terms shown one a line (dA sums over the next layer's neurons)
LARGEST = 8  # of a longer sum (Z1's hundred-odd pixel terms), the largest terms shown
PARTS = 13  # the width of a term's two numbers, −0.491·255
# Marks for the network view: layer → neurons to point at, or None for the whole layer.
Marks = Mapping[int, frozenset[int] | None]


def card_output(op: Op | None) -> tuple[str, tuple[int, ...]] | None:
    """The name and shape of the op's output that has a card: a gradient (dW, db, dZ, dA) in
    backprop, a Z, A or ŷ in the forward pass; None for the cost and the update."""
    if op is None or op.phase not in ("fwd", "bwd"):
        return None
    for name, a in op.outputs.items():
        if op.phase == "fwd" or (name[:2] in GRADIENTS and name[2:].isdigit()):
            return name, np.shape(a)
    return None


def entry_index(shape: tuple[int, ...], row: int, column: int) -> tuple[int, ...]:
    """The index the selection (row, column) names: (row,) for a vector, (row, column) else."""
    if len(shape) == 2 and 1 not in shape:
        return (row, column)
    return (row,)


def clamp(shape: tuple[int, ...], row: int, column: int) -> tuple[int, int]:
    """The selection moved inside the array's bounds."""
    rows = shape[0] if shape else 1
    columns = shape[1] if len(shape) == 2 and 1 not in shape else 1
    return max(0, min(rows - 1, row)), max(0, min(columns - 1, column))


def card_marks(card: ChainCard | None) -> dict[int, frozenset[int] | None]:
    """The neurons the card's factors (and its expansion's) come from, by layer."""
    marks: dict[int, frozenset[int] | None] = {}
    cards = [] if card is None else [card, card.expansion]
    for c in cards:
        for factor in () if c is None else c.factors:
            if factor.source is None:
                continue
            layer, neuron = factor.source
            if neuron < 0 or marks.get(layer, frozenset()) is None:
                marks[layer] = None  # the whole layer, e.g. dA2[i] = (W3ᵀ·dZ3)[i] sums over it
            else:
                marks[layer] = marks.get(layer, frozenset()) | {neuron}
    return marks


def _terms(
    text: Text, card: ChainCard, styles: Mapping[str, Style], dtype: np.dtype | type
) -> None:
    """One factor a line, each with its number, then the combined result: 0 where it is within
    rounding of 0, and checked against the recorded entry to within rounding."""
    sign = {"sum": "+", "product": "×"}.get(card.combine, " ")
    # a Z card's hundred-odd pixel terms: the largest, then the bias; a dA sum: all 16
    shown, hidden, last = layout(card, LARGEST if card.forward else MAX_TERMS)
    more = f"… {len(hidden)} more"
    width = max([len(_label(f)) for f in shown + last] + [len(card.entry), len(more)])
    pad = " " * PARTS if any(f.parts for f in card.factors) else ""  # values in one column
    for k, factor in enumerate(shown):
        _factor(text, factor, f"{sign if k else ' '} {_label(factor):<{width}} ", styles, pad)
    if hidden:
        rest = float(np.sum([f.value for f in hidden], dtype=np.float64))
        text.append(f"+ {more:<{width}} ", styles["muted"])
        text.append(f"{'together':>{PARTS}}{fmt(rest):>11}\n", styles["muted"])
    for factor in last:
        _factor(text, factor, f"{sign} {_label(factor):<{width}} ", styles, pad)
    if card.zeros:
        what = "black pixels" if card.inputs == "x" else f"{card.inputs}[i] = 0"
        text.append(f"  {card.zeros} terms are 0 ({what})\n", styles["muted"])
    bound = result_bound(card, dtype)
    text.append(f"= {card.entry:<{width}} {pad}")
    text.append(f"{derived(card.result, bound):>11}", styles["result"])
    # Both the card's combination and the recorded entry are within ``bound`` of the exact one
    # (plus the dtype's smallest normal number, for a product that underflows in one of them).
    ok = abs(card.result - card.value) <= 2 * bound + float(np.finfo(dtype).tiny)
    text.append("\n  " if pad else "  ")  # a hand calculation's lines are wide already
    text.append("✓ the recorded entry" if ok else f"≠ recorded {derived(card.value, bound)}")
    text.append("\n")


def _label(factor) -> str:
    """A factor's name as listed: a term of Σ_i W[j, i]·x[i] by its i (the equation above
    names the rest; 80 columns hold no more), any other factor by its name."""
    if factor.parts is not None and factor.source is not None:
        return f"i = {factor.source[1]}"
    return factor.name


def _factor(text: Text, factor, label: str, styles: Mapping[str, Style], pad: str) -> None:
    """One factor's line: its name, its number, and the neuron it comes from (or, for a term
    of a hand calculation, the two numbers it multiplies; ``pad`` keeps the other lines'
    numbers in their column)."""
    text.append(label)
    if factor.parts is None:
        text.append(pad)
    else:  # a term W[j, i]·x[i]: its two numbers, then their product
        w, a = factor.parts
        text.append(f"{f'{w:.3g}·{a:.3g}':>{PARTS}}", styles["muted"])
        text.append(f"{fmt(factor.value):>11}\n", styles["value"])
        return
    text.append(f"{fmt(factor.value):>11}", styles["value"])
    if factor.source is not None:
        layer, neuron = factor.source
        where = "input" if layer == 0 else f"L{layer}"
        text.append(f"  ← {where}" + ("" if neuron < 0 else f" #{neuron}"), styles["muted"])
    text.append("\n")


def chain_text(
    card: ChainCard, styles: Mapping[str, Style], dtype: np.dtype | type = np.float64
) -> Text:
    """The card: its equation, each factor with its number and source, the result, and the
    first factor written out one step further down the chain. ``dtype``: the network's, whose
    machine epsilon the rounding bounds use."""
    text = Text(no_wrap=True, end="")
    title = "by hand:" if card.forward else "chain rule for"
    text.append(f"{title} {card.entry}\n", styles["title"])
    text.append("↑↓←→ select an entry · k or escape leaves\n", styles["muted"])
    text.append(card.equation + "\n", styles["equation"])
    _terms(text, card, styles, dtype)
    if card.expansion is not None:
        down = card.expansion
        text.append("one step down: ", styles["muted"])
        text.append(down.equation + "\n", styles["equation"])
        _terms(text, down, styles, dtype)
    return text
