"""What a check found: the first difference, what was compared, and the whole run again by
netviz's own trainer code as the last word."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from ..core.activations import Activation
from ..core.epoch import batch_gradients
from ..core.network import Params, update
from .mistakes import Mistake

Array = np.ndarray


@dataclass(frozen=True)
class Difference:
    """The first value that parts from the rule: where (netviz's address), which of the
    learner's variables and the line that assigned it, both values, the rule, and the mistake
    that reproduces theirs (None when no catalogued mistake does)."""

    address: str
    variable: str
    line: int
    got: Array
    expected: Array
    rule: str
    mistake: Mistake | None = None
    worked: tuple[str, ...] = ()  # the rule's numbers for the most different entry


@dataclass
class Summary:
    """What was compared, for the report."""

    epochs: int = 0  # updates checked
    examples: int = 0  # training passes' examples in the first epoch
    ops: int = 0  # values checked
    largest: float = 0.0  # the largest relative difference among them
    mode: str = ""  # "example" (one example per pass) or "batch"
    layout: str = ""  # "col" (one column per example) or "row"
    hidden: str = ""  # the hidden activation their A matched
    ignored: int = 0  # values of another data set (an accuracy check on test data, say)
    notes: list[str] = field(default_factory=list)


class CheckFailed(Exception):
    """The script gave nothing to check against; the message says what was missing."""


def rerun(
    starts: Sequence[Mapping[str, Array]],
    X: Array,
    labels: Array,
    hidden: Activation,
    alphas: Sequence[float],
) -> list[dict[str, Array]]:
    """For each epoch k, the weights after one full-batch epoch of netviz's core from
    ``starts[k]`` (the learner's own at that epoch's start) on the columns of ``X``, with α =
    ``alphas[k]`` and m = the examples summed.

    One epoch from their own weights each time, not one run from their first weights: a run's
    rounding piles up, and with raw pixels its large steps magnify it fast (a correct float64
    script's weights drift from such a run by 1e−14 after 2 epochs and 1e−5 after 10; a float32
    one's by 1e−2), so that figure would not tell a rounding difference from another descent."""
    ends = []
    for start, alpha in zip(starts, alphas, strict=True):
        params = Params.from_named(dict(start))
        g = batch_gradients(params, X, labels, hidden)
        ends.append(update(params, g.dW, g.db, alpha, X.shape[1]).named())
    return ends
