"""The chain-rule card: how one selected gradient entry was built, factor by factor."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from rich.style import Style
from rich.text import Text

from ..core.steps import Op
from ..debug.chain import ChainCard
from ..numbers import derived, fmt, product_bound, sum_bound

GRADIENTS = ("dW", "db", "dZ", "dA")
MAX_TERMS = 16  # a sum card's terms shown one a line (dA sums over the next layer's neurons)
# Marks for the network view: layer → neurons to point at, or None for the whole layer.
Marks = Mapping[int, frozenset[int] | None]


def gradient_output(op: Op | None) -> tuple[str, tuple[int, ...]] | None:
    """The name and shape of the op's gradient output (dW, db, dZ, dA), or None."""
    if op is None or op.phase != "bwd":
        return None
    for name, a in op.outputs.items():
        if name[:2] in GRADIENTS and name[2:].isdigit():
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
                marks[layer] = None  # the whole layer, e.g. (W3ᵀ·dZ3)[i] sums over it
            else:
                marks[layer] = marks.get(layer, frozenset()) | {neuron}
    return marks


def result_bound(card: ChainCard, dtype: np.dtype | type = np.float64) -> float:
    """The rounding bound of the card's result, from its factors' magnitudes: n·ε·Σ|term| for
    a sum (dZ3 = ŷ − y, dA = Σ W·dZ), k·ε·Π|factor| for a product (see netviz.numbers)."""
    values = [f.value for f in card.factors]
    if card.combine == "sum":
        return sum_bound(np.asarray(values, dtype=dtype))
    return product_bound(values, dtype)


def _terms(
    text: Text, card: ChainCard, styles: Mapping[str, Style], dtype: np.dtype | type
) -> None:
    """One factor a line, each with its number, then the combined result: 0 where it is within
    rounding of 0, and checked against the recorded entry to within rounding."""
    sign = "+" if card.combine == "sum" else "×"
    width = max(len(f.name) for f in card.factors) if card.factors else 0
    width = max(width, len(card.entry))
    for k, factor in enumerate(card.factors[:MAX_TERMS]):
        text.append(f"{sign if k else ' '} {factor.name:<{width}} ")
        text.append(f"{fmt(factor.value):>11}", styles["value"])
        if factor.source is not None:
            layer, neuron = factor.source
            where = "input" if layer == 0 else f"L{layer}"
            text.append(f"  ← {where}" + ("" if neuron < 0 else f" #{neuron}"), styles["muted"])
        text.append("\n")
    if len(card.factors) > MAX_TERMS:
        text.append(f"  … {len(card.factors) - MAX_TERMS} more terms\n", styles["muted"])
    bound = result_bound(card, dtype)
    text.append(f"= {card.entry:<{width}} ")
    text.append(f"{derived(card.result, bound):>11}", styles["result"])
    # Both the card's combination and the recorded entry are within ``bound`` of the exact one
    # (plus the dtype's smallest normal number, for a product that underflows in one of them).
    ok = abs(card.result - card.value) <= 2 * bound + float(np.finfo(dtype).tiny)
    text.append("  ✓ the recorded entry" if ok else f"  ≠ recorded {derived(card.value, bound)}")
    text.append("\n")


def chain_text(
    card: ChainCard, styles: Mapping[str, Style], dtype: np.dtype | type = np.float64
) -> Text:
    """The card: its equation, each factor with its number and source, the result, and the
    first factor written out one step further down the chain. ``dtype``: the network's, whose
    machine epsilon the rounding bounds use."""
    text = Text(no_wrap=True, end="")
    text.append(f"chain rule for {card.entry}\n", styles["title"])
    text.append("↑↓←→ select an entry · k or escape leaves\n", styles["muted"])
    text.append(card.equation + "\n", styles["equation"])
    _terms(text, card, styles, dtype)
    if card.expansion is not None:
        down = card.expansion
        text.append("one step down: ", styles["muted"])
        text.append(down.equation + "\n", styles["equation"])
        _terms(text, down, styles, dtype)
    return text
