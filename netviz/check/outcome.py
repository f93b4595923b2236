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
    initial: Mapping[str, Array],
    X: Array,
    labels: Array,
    hidden: Activation,
    alphas: Sequence[float],
) -> dict[str, Array]:
    """The weights after ``len(alphas)`` full-batch epochs of netviz's core from ``initial`` on
    the columns of ``X``, each epoch with its own α and m = the examples summed."""
    params = Params.from_named(dict(initial))
    for alpha in alphas:
        g = batch_gradients(params, X, labels, hidden)
        params = update(params, g.dW, g.db, alpha, X.shape[1])
    return params.named()
