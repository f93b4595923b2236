"""The right answer to a lesson's question, computed from the run, and a learner's answer
scored against it with feedback in the run's real numbers.

Right answers are never written in a lesson: :func:`right_answer` reads them from the values
the pass holds at the stop (``values``: the arrays by name, as a watch sees them) or, for an
epoch's up-or-down question, from the cost before and after it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

from ..core.steps import YHAT
from ..numbers import fmt
from .format import Lesson, LessonError, Question

Array = np.ndarray
SIGNS = {"+": "+", "positive": "+", "-": "−", "−": "−", "negative": "−", "0": "0", "zero": "0"}
WAYS = {"down": "down", "d": "down", "lower": "down", "up": "up", "u": "up", "higher": "up"}


@dataclass(frozen=True)
class Right:
    """The right answer: its value and how it is written to the learner."""

    value: float | str | tuple[int, ...] | int
    shown: str


@dataclass(frozen=True)
class Verdict:
    right: bool
    feedback: str  # one or two sentences, with the real numbers


def value_of(q: Question, values: Mapping[str, Array]) -> Array:
    """The array the question asks about (``ŷ`` answers to A3 and yhat too)."""
    for name in (q.name, YHAT if q.name in ("yhat", "y_hat") else q.name):
        if name in values:
            return np.asarray(values[name])
    last = [n for n in values if re.fullmatch(r"Z\d+", n)]
    if q.name == f"A{len(last)}" and YHAT in values:  # the last layer's A is ŷ
        return np.asarray(values[YHAT])
    raise LookupError(f"{q.name} is not computed at this stop")


def entry(q: Question, values: Mapping[str, Array]) -> float:
    """The entry ``q`` asks about: Z1[7] of a (16, 1) column is its 7th row."""
    a = value_of(q, values)
    if not q.index:
        if a.size != 1:
            raise LookupError(f"{q.name} is {a.shape}, not one number: ask about an entry")
        return float(a.reshape(()))
    index = q.index + (0,) * (a.ndim - len(q.index)) if a.ndim == 2 and a.shape[1] == 1 else q.index
    if len(index) != a.ndim or any(not 0 <= i < n for i, n in zip(index, a.shape, strict=True)):
        raise LookupError(f"{q.asked} is outside {q.name}'s shape {a.shape}")
    return float(a[index])


def right_answer(
    q: Question, values: Mapping[str, Array], costs: tuple[float, float] | None = None
) -> Right:
    """The right answer to ``q`` at a stop whose pass holds ``values``; ``costs`` is (before,
    after) an epoch, for an up-or-down question. LookupError when the stop has no such value."""
    if q.kind == "updown":
        if costs is None:
            raise LookupError("an up-or-down question needs the cost before and after the epoch")
        way = "down" if costs[1] < costs[0] else "up"
        return Right(way, f"{way}: {fmt(costs[0])} before the epoch, {fmt(costs[1])} after")
    if q.kind == "shape":
        shape = tuple(int(n) for n in value_of(q, values).shape)
        return Right(shape, str(shape))
    if q.kind == "index":
        a = value_of(q, values)
        if a.ndim > 2 or (a.ndim == 2 and a.shape[1] != 1):
            raise LookupError(f"{q.name} is {a.shape}: an index question asks about a vector")
        column = a.reshape(-1)
        k = int(np.argmax(column))
        return Right(k, f"{q.name}[{k}] = {fmt(float(column[k]))}, the largest")
    value = entry(q, values)
    if q.kind == "sign":
        sign = "+" if value > 0 else "−" if value < 0 else "0"
        return Right(sign, f"{sign} ({q.asked} = {fmt(value)})")
    return Right(value, f"{q.asked} = {fmt(value)}")


NAMED = re.compile(r"(ŷ|[A-Za-z]+\d*)\[(\d+(?:,\s*\d+)?)\]")  # A2[3], dW3[5, 2] in a text


def givens(q: Question, values: Mapping[str, Array]) -> list[tuple[str, float]]:
    """The entries a number question's text names, other than the one asked, with their values
    where the stop has them: the numbers to compute it from ("dZ2[3] = A2[3](1−A2[3])·dA2[3]"
    gives A2[3] and dA2[3]), so the learner needs no other panel to answer."""
    found: dict[str, float] = {}
    for name, index in NAMED.findall(q.text):
        other = Question("number", name, tuple(int(i) for i in index.split(",")), "", 0.0)
        if other.asked == q.asked or other.asked in found:
            continue
        try:
            found[other.asked] = entry(other, values)
        except LookupError:
            continue  # not computed yet at this stop, or not an array of the pass
    return list(found.items())


def score(q: Question, answer: str, right: Right) -> Verdict:
    """The learner's typed ``answer`` against ``right``. ValueError (with what to type) when
    the answer cannot be read: it is not scored, the learner types again."""
    text = answer.strip().lower()
    if q.kind in ("number", "compute"):
        given = number(text)
        want = float(right.value)
        off = abs(given - want)
        # relative, with a floor: 0 for a value like 1e-95 (a saturated neuron's slope) is right
        ok = off <= max(q.tolerance * abs(want), 1e-12)
        rel = f"{100 * off / abs(want):.1f} % off" if want else f"{fmt(off)} off"
        verdict = "Right" if ok else "Not quite"
        return Verdict(ok, f"{verdict}: {right.shown}; yours, {fmt(given)}, is {rel} (within "
                           f"{100 * q.tolerance:g} % counts).")  # fmt: skip
    if q.kind == "sign":
        given = SIGNS.get(text)
        if given is None:
            raise ValueError("type + or − (or 0)")
        return _verdict(given == right.value, right)
    if q.kind == "shape":
        numbers = tuple(int(n) for n in re.findall(r"\d+", text))
        if not numbers:
            raise ValueError("type a shape, like (16, 784)")
        column = numbers + (1,) == right.value  # (784,) or 784 for a column (784, 1)
        return _verdict(numbers == right.value or column, right)
    if q.kind == "index":
        if not text.isdigit():
            raise ValueError("type a whole number, like 3")
        return _verdict(int(text) == right.value, right)
    given = WAYS.get(text)
    if given is None:
        raise ValueError("type up or down")
    return _verdict(given == right.value, right)


def number(answer: str) -> float:
    """A typed number (−, _ allowed); ValueError saying what to type."""
    try:
        given = float(answer.strip().replace("−", "-").replace("_", ""))
    except ValueError:
        raise ValueError("type a number, like 0.25 or -1e3") from None
    if not math.isfinite(given):
        raise ValueError("type a finite number")
    return given


def _verdict(ok: bool, right: Right) -> Verdict:
    return Verdict(ok, f"{'Right' if ok else 'Not quite'}: {right.shown}.")


def verify(lesson: Lesson, values_at: Callable[[str], Mapping[str, Array]]) -> None:
    """Every question of ``lesson`` can be answered from the run: ``values_at(address)`` gives
    the arrays at a stop (LookupError or ValueError when the run does not reach it). Refuses,
    before the lesson starts, naming the file, the line and the question."""
    for stop in lesson.stops:
        if stop.question is None or stop.question.kind == "updown":
            continue
        try:
            right_answer(stop.question, values_at(stop.at))
        except (LookupError, ValueError) as e:
            raise LessonError(f"{lesson.path.name}:{stop.line}: {stop.question.asked} at "
                              f"{stop.at}: {e}") from None  # fmt: skip
