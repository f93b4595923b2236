""" "You compute it": a learner's number for an entry, set against each factor of the right one,
so the factor they got wrong shows.

For each factor the feedback gives what it would have to be for the learner's number to be
right, the others kept: a product's factor must be theirs ÷ the others' product, a sum's term
theirs − the other terms. Where that is a slip a learner makes (the factor left out, its sign
flipped, the activation not applied) it is named. Works on any card of netviz.debug.chain.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from ..numbers import derived, fmt, sum_bound

if TYPE_CHECKING:
    from ..debug.chain import ChainCard

CLOSE = 0.02  # relative: a factor "needs" a value this close to a slip's to be named for it
LISTED = 6  # the factors of a long sum listed (its largest); the rest are counted


def against(card: ChainCard, given: float) -> list[str]:
    """Lines setting ``given`` (the learner's number for ``card.entry``) against each factor of
    the right one: the equation, each factor with its value and what yours needs it to be, the
    right result beside yours, then the slip that explains yours, if one does."""
    factors, needs = list(card.factors), _needs(card, given)
    # a sum's need is a difference of sums: within their rounding it is 0, not noise
    terms = np.asarray([f.value for f in factors] + [given])
    bound = sum_bound(terms) if card.combine == "sum" else 0.0
    listed = list(range(len(factors)))
    long = len(factors) > LISTED  # Z1's hundred-odd terms: the largest, and the bias (last)
    if long:
        listed = listed[: LISTED - 1] + listed[-1:]
    width = max([len(factors[k].name) for k in listed] + [len(card.entry) + 2])
    lines = [card.equation]
    for k in listed:
        factor, need = factors[k], needs[k]
        # one term of a long sum could take all the difference: saying so would mislead
        quiet = need is None or (long and k < len(factors) - 1)
        tail = "" if quiet else f"  yours needs {derived(need, bound)}"
        lines.append(f"  {factor.name:<{width}} {fmt(factor.value):>11}{tail}")
        if long and k == listed[-2]:
            lines.append(f"  {f'… {len(factors) - LISTED} more terms':<{width}}")
    lines.append(f"  = {card.entry:<{width - 2}} {fmt(card.result):>11}  yours {fmt(given)}")
    slip = _slip(card, given, needs)
    if slip:
        lines.append(f"  Likely: {slip}.")
    return lines


def _needs(card: ChainCard, given: float) -> list[float | None]:
    """For each factor, the value it would need for ``given`` to be right, the others kept
    (None where no value would do: the others multiply to 0, or a function's input)."""
    values = [f.value for f in card.factors]
    if card.combine == "sum":
        total = math.fsum(values)
        return [given - (total - v) for v in values]
    if card.combine == "product":
        needs: list[float | None] = []
        for k in range(len(values)):
            others = math.prod(v for i, v in enumerate(values) if i != k)
            needs.append(given / others if others else None)
        return needs
    return [None] * len(values)  # σ(Z), softmax: see _slip


def _slip(card: ChainCard, given: float, needs: list[float | None]) -> str:
    """The slip that makes ``given`` from the right factors, or ""."""
    right = card.result
    if _near(given, right):
        return ""
    if right and _near(given, -right):
        return "the sign flipped"
    if card.combine == "apply":
        z = card.factors[0]
        if _near(given, z.value):
            return f"{z.name} itself: the activation was not applied"
        if _near(given, 1 - right):
            return f"1 − {card.entry}: the sign of {z.name} flipped"
        return ""
    for factor, need in zip(card.factors, needs, strict=True):
        if need is None:
            continue
        if card.combine == "product" and _near(need, 1.0):
            return f"{factor.name} left out"
        if card.combine == "sum" and _near(need, 0.0, scale=abs(factor.value)):
            return f"{factor.name} left out"
        if factor.value and _near(need, -factor.value):
            return f"the sign of {factor.name} flipped"
    return ""


def _near(a: float, b: float, scale: float | None = None) -> bool:
    """a within CLOSE of b, relative to |b| (or to ``scale``, for a comparison with 0)."""
    return abs(a - b) <= CLOSE * (abs(b) if scale is None else scale)
