"""An epoch's later passes, checked all at once when the epoch ends.

Checking each op as it happens costs a few numpy calls per value; a per-example script makes
about 25 values per example, and numpy's overhead on 16-entry vectors would make the check
10× slower than the script. So the checker checks the first passes of every epoch op by op and
keeps the rest (:class:`Kept`), then checks them here as one batch: their values side by side,
one column per pass, by the same rules (:class:`~.reference.Pass` of many columns), a column at
a time for the tolerance. The first failing (pass, op) in the script's order is the same one the
op-by-op check would have stopped at.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..core.activations import Activation
from ..numbers import RTOL
from .reference import Pass

Array = np.ndarray
CHUNK = 2048  # passes per batch: X's columns stay a few MB


@dataclass
class Kept:
    """The kept passes of an epoch, each with its values by name (``Pass.theirs``), and the
    order and the learner's variable and line of each name."""

    passes: list[Pass] = field(default_factory=list)
    order: dict[str, int] = field(default_factory=dict)  # name: its place within a pass
    where: dict[str, tuple[str, int]] = field(default_factory=dict)  # name: (variable, line)

    def note(self, name: str, variable: str, line: int) -> None:
        if name not in self.order:
            self.order[name] = len(self.order)
            self.where[name] = (variable, line)


@dataclass(frozen=True)
class Found:
    """The first kept value that differs: the pass, the name, and that pass alone (for the
    report and the mistake's proof)."""

    index: int  # among the kept passes
    name: str
    alone: Pass


def columns_off(got: Array, expected: Array, scale: Array | None, dtype: np.dtype) -> Array:
    """The columns of ``got`` that are not the same numbers as ``expected``'s (the rule of
    :func:`~.reference.closeness`, column by column)."""
    if got.shape != expected.shape:
        return np.arange(got.shape[-1] if got.ndim else 1)
    with np.errstate(invalid="ignore", over="ignore"):
        diff = np.abs(got - expected)
        odd_exp, odd_got = ~np.isfinite(expected), ~np.isfinite(got)
        same = (got == expected) | (np.isnan(got) & np.isnan(expected))
        diff = np.where(odd_exp | odd_got, np.where(odd_exp & odd_got & same, 0.0, np.inf), diff)
        top = np.abs(np.where(odd_exp, 0.0, expected)).max(axis=0)
        if scale is not None:
            top = np.maximum(top, np.abs(np.where(np.isfinite(scale), scale, 0.0)).max(axis=0))
    limit = RTOL.get(np.dtype(dtype), 1e-7) * np.maximum(top, 1e-300)
    return np.flatnonzero(diff.max(axis=0) > limit)


def check(
    kept: Kept,
    weights: dict[str, Array],
    layers: int,
    hidden: Activation,
    dtype: np.dtype,
    magnitudes: dict,
) -> tuple[Found | None, dict[str, Array], int]:
    """(the first difference or None, the rule's ΣdW and Σdb over the kept passes with the same
    sums of magnitudes under "|dW1"…, values checked). Only names every kept pass stored are
    compared."""
    k = len(kept.passes)
    names = [n for n in sorted(kept.order, key=kept.order.get)]
    names = [n for n in names if all(n in p.theirs for p in kept.passes)]
    sums: dict[str, Array] = {}
    checked = 0
    for start in range(0, k, CHUNK):
        group = kept.passes[start : start + CHUNK]
        x = np.hstack([p.x for p in group])
        labels = None
        if all(p.labels is not None for p in group):
            labels = np.concatenate([p.labels for p in group])
        batch = Pass(dict(weights), x, labels, layers, hidden, magnitudes=magnitudes)
        for name in names:
            batch.theirs[name] = np.hstack([p.theirs[name] for p in group])
        first = None
        for name in names:
            try:
                expected, scale = batch.expected(name)
            except LookupError:  # y without labels: theirs is all there is
                continue
            off = columns_off(batch.theirs[name], expected, scale, dtype)
            checked += len(group)
            if off.size and (first is None or (off[0], kept.order[name]) < first[:2]):
                first = (int(off[0]), kept.order[name], name)
        if first is not None:
            return Found(start + first[0], first[2], group[first[0]]), sums, checked
        for l in range(1, layers + 1):
            for g in (f"dW{l}", f"db{l}"):
                own, scale = batch.expected(g)
                scale = np.abs(own) if scale is None else scale  # one pass: nothing cancels
                sums[g] = sums[g] + own if g in sums else own
                sums["|" + g] = sums["|" + g] + scale if "|" + g in sums else scale
    return None, sums, checked
