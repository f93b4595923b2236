"""The rule's own numbers for one entry, for a difference no catalogued mistake explains: the
equation with the values the rule used (the learner's own inputs to the op), as netviz's
chain-rule card shows a gradient entry."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from ..core.steps import YHAT
from ..debug.chain import ChainCard, card, layout
from ..numbers import fmt
from .mistakes import Update
from .names import split
from .reference import Pass

Array = np.ndarray
TERMS = 3  # the largest terms of a sum shown


class _Column(Mapping):
    """One example's arrays by the chain card's names, from column ``c`` of a pass."""

    def __init__(self, p: Pass, c: int) -> None:
        self.p, self.c = p, c

    def _name(self, key: str) -> str:
        return {"x": "A0", YHAT: f"A{self.p.layers}"}.get(key, key)

    def __getitem__(self, key: str) -> Array:
        value = self.p.get(self._name(key))
        if value.ndim == 2 and not key.startswith(("W", "dW")):
            return value[:, self.c : self.c + 1]  # one example's column
        return value

    def __contains__(self, key: object) -> bool:
        try:
            self[str(key)]
        except (KeyError, LookupError, ValueError):
            return False
        return True

    def __iter__(self):
        return iter(())

    def __len__(self) -> int:
        return 0


def worked(name: str, p: Pass | None, index: tuple[int, ...], update: Update | None) -> list[str]:
    """Lines showing how the rule computed ``name[index]``: its equation with its numbers."""
    if update is not None:
        w, g = update.before[index], update.total[index]
        entry = f"{name}[{', '.join(map(str, index))}]"
        value = w - update.alpha * g / update.m
        return [
            f"{entry} ← {entry} − α·Σd{entry}/m",
            f"  = {fmt(w)} − {update.alpha:g}·({fmt(g)})/{update.m:,} = {fmt(value)}",
        ]
    if p is None:
        return []
    kind, l = split(name)
    c = index[1] if len(index) == 2 and kind != "dW" else 0
    j = index[0] if index else 0
    if kind in ("Z", "A"):  # the hand calculation netviz's own card shows
        entry = YHAT if kind == "A" and l == p.layers else name
        return _card_lines(card(_Column(p, c), p.hidden, entry, (j,), p.layers))
    if kind == "y":
        label = None if p.labels is None else int(p.labels[c])
        return [f"y = one-hot({label}): a single 1, in row {label}"]
    if kind in ("dW", "db") and p.width > 1:
        return [f"{name} sums each example's {kind}: Σ over {p.width:,} columns"]
    entry = (j, index[1]) if kind == "dW" else (j,)
    return _card_lines(card(_Column(p, c), p.hidden, name, entry, p.layers))


def _card_lines(found: ChainCard) -> list[str]:
    """A chain-rule card as text: the equation, each factor, and what they combine to."""
    lines = [found.equation]
    factors, hidden, last = layout(found, TERMS)  # a long sum's largest terms, a Z's bias last
    lines += [f"  {f.name} = {fmt(f.value)}" for f in factors]
    if hidden:
        lines.append(f"  … {len(hidden)} more terms")
    lines += [f"  {f.name} = {fmt(f.value)}" for f in last]
    if found.zeros:
        lines.append(f"  ({found.zeros} terms are 0: {found.inputs}[i] = 0)")
    word = {"sum": "sum", "product": "product"}.get(found.combine, "gives")
    lines.append(f"  {word}: {fmt(found.result)}")
    if found.combine == "apply" and found.expansion is not None:
        lines += ["  where " + found.expansion.equation.split(" = ")[0] + ":"]
        lines += ["  " + line for line in _card_lines(found.expansion)]
    return lines
