"""An epoch's figures as the session shows and checks them, built in one place from one metrics
row: the row the recorder writes (:func:`~netviz.training.recording.metrics_row`), taken live
from the epoch just run or read back from a trace. Live and replayed figures are therefore the
same numbers, and a new epoch fact is added here once.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from ..debug.breakpoints import EpochFacts
from .snapshot import Metrics


def number(value) -> float:
    """A metric as a float: NULL (no test set, or a lost value) reads as NaN."""
    return math.nan if value is None else float(value)


def metrics(row: Mapping, layers: int) -> Metrics:
    """The charts' figures of an epoch from its metrics row (``layers`` weight layers)."""
    return Metrics(
        row["epoch"],
        number(row["cost"]),
        number(row["train_accuracy"]),
        number(row.get("test_accuracy")),
        tuple(number(row.get(f"grad_norm_L{l}")) for l in range(1, layers + 1)),
    )


def facts(row: Mapping, layers: int, predictions: Mapping[int, int]) -> EpochFacts:
    """What an epoch's breakpoint conditions are checked against, from its metrics row and the
    watched examples' predictions after its update. ``finite``: the cost and every gradient
    norm are finite numbers."""
    m = metrics(row, layers)
    saturated = tuple(number(row.get(f"saturated_L{l}")) for l in range(1, layers))
    finite = all(math.isfinite(v) for v in (m.cost, *m.grad_norms))
    return EpochFacts(
        m.epoch,
        m.cost,
        m.train_accuracy,
        m.test_accuracy,
        m.grad_norms,
        saturated,
        finite,
        dict(predictions),
    )
