"""The rule's own numbers for one entry, for a difference no catalogued mistake explains: the
equation with the values the rule used (the learner's own inputs to the op), as netviz's
chain-rule card shows a gradient entry."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from ..core.steps import YHAT
from ..debug.chain import ChainCard, card
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
    if kind == "Z":
        W, A, b = p.get(f"W{l}"), p.get(f"A{l - 1}")[:, c], p.get(f"b{l}")
        terms = W[j] * A
        largest = np.argsort(np.abs(terms))[::-1][:TERMS]
        prev = "x" if l == 1 else f"A{l - 1}"
        shown = [f"W{l}[{j}, {i}]·{prev}[{i}] = {fmt(terms[i])}" for i in largest]
        zeros = int(np.count_nonzero(A == 0))
        sign = "−" if b[j] < 0 else "+"
        return [
            f"Z{l}[{j}] = Σᵢ W{l}[{j}, i]·{prev}[i] + b{l}[{j}]",
            f"  Σ of {A.size} terms ({zeros} of them 0) = {fmt(terms.sum())}; the largest:",
            *(f"    {t}" for t in shown),
            f"  {fmt(terms.sum())} {sign} {abs(b[j]):.4g} = {fmt(terms.sum() + b[j])}",
        ]
    if kind == "A":
        Z = p.get(f"Z{l}")[:, c]
        if l == p.layers:
            e = np.exp(Z - Z.max())
            return [
                f"{YHAT}[{j}] = exp(Z{l}[{j}]) / Σₖ exp(Z{l}[k])",
                f"  = {fmt(e[j] / e.sum())} (Z{l}[{j}] = {fmt(Z[j])}, max Z{l} = {fmt(Z.max())})",
            ]
        with np.errstate(over="ignore", invalid="ignore"):
            value = p.hidden.forward(Z[j : j + 1])[0]
        return [f"{p.hidden.equation(f'A{l}[{j}]', f'Z{l}[{j}]')} = {fmt(value)}"]
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
    factors = list(found.factors)
    if found.combine == "sum":  # the largest terms of a long sum
        factors = sorted(factors, key=lambda f: -abs(f.value))[:TERMS]
    lines += [f"  {f.name} = {fmt(f.value)}" for f in factors]
    if found.combine == "sum" and len(found.factors) > TERMS:
        lines.append(f"  … {len(found.factors) - TERMS} more terms")
    word = "sum" if found.combine == "sum" else "product"
    lines.append(f"  {word}: {fmt(found.result)}")
    return lines
