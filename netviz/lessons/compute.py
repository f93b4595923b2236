""" "You compute it": a learner's number for an entry, set against each factor of the right one,
so the factor they got wrong shows.

For each factor listed the feedback gives what it would have to be for the learner's number to
be right, the others kept: a product's factor must be theirs ÷ the others' product, a sum's term
theirs − the other terms. Where that is a slip a learner makes (a factor left out, its sign
flipped, the activation not applied, the softmax not divided) it is named. Works on any card of
netviz.debug.chain, listed as the tour lists it (:func:`~netviz.debug.chain.layout`).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from ..debug.chain import layout, result_bound
from ..numbers import derived, fmt, sum_bound

if TYPE_CHECKING:
    from ..debug.chain import ChainCard, Factor

CLOSE = 0.02  # relative: a factor "needs" a value this close to a slip's to be named for it
LISTED = 5  # of a long sum, the largest terms listed (a Z card's bias besides); others counted


def against(card: ChainCard, given: float, judged_right: bool | None = None) -> list[str]:
    """Lines setting ``given`` (the learner's number for ``card.entry``) against each factor of
    the right one: the equation, each factor listed with its value and what yours needs it to
    be, the right result beside yours, then the slip that explains yours, if one does.
    ``judged_right``: the question's verdict on it, when there is one (False: never called
    right here either)."""
    shown, hidden, last = layout(card, LISTED)
    # from the factors as shown (4 significant digits) a right computation lands near, not on
    # the result: there no factor "needs" another value, and no slip is named
    near = abs(given - card.result) <= _rounding_slack(card)
    rounded = near and judged_right is not False
    needs = dict(zip(map(id, card.factors), _needs(card, given), strict=True))
    # a sum's need is a difference of sums: within their rounding it is 0, not noise
    terms = np.asarray([f.value for f in card.factors] + [given])
    bound = sum_bound(terms) if card.combine == "sum" else 0.0
    width = max([len(f.name) for f in shown + last] + [len(card.entry) + 2])
    lines = [card.equation]
    for factor in shown + last:
        need = needs[id(factor)]
        # of a long sum one term could take all the difference: only the bias's need is said
        quiet = rounded or need is None or (bool(hidden) and factor not in last)
        tail = "" if quiet else f"  yours needs {derived(need, bound)}"
        lines.append(f"  {factor.name:<{width}} {fmt(factor.value):>11}{tail}")
        if hidden and shown and factor is shown[-1]:
            lines.append(f"  {f'… {len(hidden)} more terms':<{width}}")
    right = derived(card.result, result_bound(card))
    yours = f"yours {fmt(given)}"
    if rounded and given != card.result:
        yours += ": right, to the rounding of the numbers shown"
    lines.append(f"  = {card.entry:<{width - 2}} {right:>11}  {yours}")
    candidates = shown + last if hidden else list(card.factors)
    slip = "" if rounded else _slip(card, given, needs, candidates)
    if slip:
        lines.append(f"  Likely: {slip}.")
    return lines


def _rounding_slack(card: ChainCard) -> float:
    """How far from the result a number may lie when computed right from the card's factors
    rounded to fmt's 4 significant digits (a long sum's unlisted terms too) and written so:
    the result's change when each factor moves by half a unit of its last digit, plus half a
    unit of the result's. ŷ = exp(ZL[j] − m)/Σ is a quotient of its first two factors; an
    activation's Z counts for nothing more, as the slope that would scale it is not on the
    card (A's own last digit covers it where that slope is below 1: σ's, away from tanh's 0)."""
    values = [f.value for f in card.factors]
    halves = [_half_digit(v) for v in values]
    if card.combine == "sum":
        moved = math.fsum(halves)
    elif card.combine == "product":
        moved = math.fsum(
            h * abs(math.prod(v for i, v in enumerate(values) if i != k))
            for k, h in enumerate(halves)
        )
    elif card.entry.startswith("ŷ") and len(values) >= 2 and values[1]:
        top, total = values[0], values[1]
        moved = halves[0] / abs(total) + abs(top) * halves[1] / total**2
    else:
        moved = 0.0
    return moved + _half_digit(card.result)


def _half_digit(value: float) -> float:
    """Half a unit in the last of the 4 significant digits fmt writes ``value`` with."""
    if value == 0 or not math.isfinite(value):
        return 0.0
    return 0.5 * 10.0 ** (math.floor(math.log10(abs(value))) - 3)


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
    return [None] * len(values)  # σ(Z), softmax: see _applied_slip


def _slip(card: ChainCard, given: float, needs: dict, candidates: list[Factor]) -> str:
    """The slip that makes ``given`` from the right factors, or "". Only ``candidates`` (the
    factors listed) are blamed: of a long sum, any unlisted term could take the difference."""
    right = card.result
    if _near(given, right):
        return ""
    if right and _near(given, -right):
        return "the sign flipped"
    if card.combine == "apply":
        return _applied_slip(card, given)
    for factor in candidates:
        need = needs[id(factor)]
        if need is None:
            continue
        if card.combine == "product" and _near(need, 1.0):
            return f"{factor.name} left out"
        if card.combine == "sum" and _near(need, 0.0, scale=abs(factor.value)):
            return f"{factor.name} left out"
        if factor.value and _near(need, -factor.value):
            return f"the sign of {factor.name} flipped"
    return ""


def _applied_slip(card: ChainCard, given: float) -> str:
    """A = f(Z) or ŷ = exp(Z − m)/Σ exp: the function not applied, or not finished."""
    z = card.expansion.value if card.expansion is not None else None
    if card.entry.startswith("ŷ"):
        top = card.factors[0]  # exp(ZL[j] − m), before dividing by the sum
        if _near(given, top.value):
            return f"{top.name} not divided by {card.factors[1].name}"
        if z is not None and _near(given, z):
            return f"the score {card.expansion.entry} itself: softmax was not applied"
        return ""
    if z is not None and _near(given, z):
        return f"{card.expansion.entry} itself: the activation was not applied"
    if "σ(" in card.equation and _near(given, 1 - card.result):  # σ(−Z) = 1 − σ(Z)
        return f"1 − {card.entry}: the sign of {card.expansion.entry} flipped"
    return ""


def _near(a: float, b: float, scale: float | None = None) -> bool:
    """a within CLOSE of b, relative to |b| (or to ``scale``, for a comparison with 0)."""
    return abs(a - b) <= CLOSE * (abs(b) if scale is None else scale)
