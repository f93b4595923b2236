"""Breakpoints: conditions on a run that a learner can stop at, typed as short sentences.

    cost up              the cost went up from one epoch to the next
    nan                  a NaN or an infinity anywhere in the epoch's numbers
    vanish L1 < 1e-6     layer 1's gradient norm ‖ΣdW1‖/m fell below ε
    explode L3 > 10      layer 3's gradient norm rose above a bound
    sat L1 > 30%         more than 30 % of layer 1's outputs are saturated (σ: A(1−A) < 0.01,
                         tanh: 1−A² < 0.04, relu: Z ≤ 0; the activation's saturation_label)
    acc >= 90%           training accuracy reached 90 % (``test acc >= 85%`` for the test set)
    flip x17             example 17's prediction changed

Each is checked after every epoch against :class:`EpochFacts`; ``nan`` and ``sat`` are also
checked at the ops of example passes (:func:`check_op`), on their numbers when the cursor comes
to them or ``c`` looks through them, so a condition added after a pass was computed still fires
on it. A hit says which condition fired and with what numbers. Numpy and the standard library
only.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Literal

from .safe import MAX_TEXT, shown

Kind = Literal["cost-up", "nonfinite", "vanish", "explode", "sat", "acc", "test-acc", "flip"]


class BreakpointError(ValueError):
    """A condition that cannot be read, with what would have been right."""


@dataclass(frozen=True)
class Breakpoint:
    """One condition; ``layer``, ``threshold`` and ``example`` as its kind needs."""

    kind: Kind
    layer: int | None = None
    threshold: float | None = None
    example: int | None = None
    enabled: bool = True

    @property
    def text(self) -> str:
        """The condition as a learner types it."""
        if self.kind == "cost-up":
            return "cost up"
        if self.kind == "nonfinite":
            return "nan"
        if self.kind == "vanish":
            return f"vanish L{self.layer} < {self.threshold:g}"
        if self.kind == "explode":
            return f"explode L{self.layer} > {self.threshold:g}"
        if self.kind == "sat":
            return f"sat L{self.layer} > {100 * self.threshold:g}%"
        if self.kind in ("acc", "test-acc"):
            prefix = "acc" if self.kind == "acc" else "test acc"
            return f"{prefix} >= {100 * self.threshold:g}%"
        return f"flip x{self.example}"

    def toggled(self) -> Breakpoint:
        return replace(self, enabled=not self.enabled)


# One way to read each number, so a long run of digits cannot make the match backtrack.
_NUMBER = r"((?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?)"
_PATTERNS: list[tuple[str, Kind]] = [
    (r"cost\s+up", "cost-up"),
    (r"(?:nan|inf|nonfinite)", "nonfinite"),
    (rf"vanish\s+L([0-9]{{1,9}})\s*<\s*{_NUMBER}", "vanish"),
    (rf"explode\s+L([0-9]{{1,9}})\s*>\s*{_NUMBER}", "explode"),
    (rf"sat\s+L([0-9]{{1,9}})\s*>\s*{_NUMBER}\s*%", "sat"),
    (rf"acc\s*>=?\s*{_NUMBER}\s*%", "acc"),
    (rf"test\s+acc\s*>=?\s*{_NUMBER}\s*%", "test-acc"),
    (r"flip\s+x([0-9]{1,9})", "flip"),
]
FORMS = "cost up · nan · vanish L1 < 1e-6 · explode L3 > 10 · sat L1 > 30% · acc >= 90% · flip x17"


def parse_breakpoint(text: str, layers: int | None = None) -> Breakpoint:
    """The condition ``text`` describes; BreakpointError (listing the forms) if none does.

    ``layers``: how many weight layers the network has, to refuse a layer it lacks.
    """
    source = text.strip()
    if len(source) > MAX_TEXT:
        raise BreakpointError(f"'{shown(source)}': a condition is at most {MAX_TEXT} characters")
    for pattern, kind in _PATTERNS:
        m = re.fullmatch(pattern, source, flags=re.IGNORECASE)
        if m is None:
            continue
        groups = m.groups()
        if kind in ("vanish", "explode", "sat"):
            layer, value = int(groups[0]), float(groups[1])
            top = layers - 1 if kind == "sat" and layers else layers
            if layer < 1 or (top is not None and layer > top):
                which = "hidden layers" if kind == "sat" else "layers"
                raise BreakpointError(f"{source!r}: the network's {which} are L1–L{top}")
            if kind == "sat":
                if not 0 <= value <= 100:
                    raise BreakpointError(f"{source!r}: a share of neurons is 0–100 %")
                return Breakpoint(kind, layer=layer, threshold=value / 100)
            return Breakpoint(kind, layer=layer, threshold=value)
        if kind in ("acc", "test-acc"):
            value = float(groups[0])
            if not 0 <= value <= 100:
                raise BreakpointError(f"{source!r}: an accuracy is 0–100 %")
            return Breakpoint(kind, threshold=value / 100)
        if kind == "flip":
            return Breakpoint(kind, example=int(groups[0]))
        return Breakpoint(kind)
    raise BreakpointError(f"{source!r} is not a condition; write one of: {FORMS}")


@dataclass(frozen=True)
class EpochFacts:
    """What one epoch's conditions are checked against.

    ``cost`` and the accuracies are at the weights the epoch started from (as recorded);
    ``grad_norms`` are ‖ΣdWl‖/m per layer; ``saturated`` the share of each hidden layer's
    outputs that are saturated; ``finite`` whether every number of the epoch is finite;
    ``predictions`` the digit predicted for chosen examples after the epoch's update.
    """

    epoch: int
    cost: float
    train_accuracy: float
    test_accuracy: float
    grad_norms: tuple[float, ...]
    saturated: tuple[float, ...] = ()
    finite: bool = True
    predictions: Mapping[int, int] = field(default_factory=dict)


def check(bp: Breakpoint, facts: EpochFacts, previous: EpochFacts | None) -> str | None:
    """Why ``bp`` fires at this epoch, or None. ``previous``: the epoch before, if any."""
    if not bp.enabled:
        return None
    if bp.kind == "nonfinite":
        values = (facts.cost, *facts.grad_norms)
        if not facts.finite or not all(math.isfinite(v) for v in values):
            return f"a NaN or an infinity at epoch {facts.epoch} (cost {facts.cost:g})"
    elif bp.kind == "cost-up" and previous is not None and facts.cost > previous.cost:
        return f"the cost went up: {previous.cost:.6g} → {facts.cost:.6g}"
    elif bp.kind in ("vanish", "explode"):
        norm = facts.grad_norms[bp.layer - 1]
        below = norm < bp.threshold
        if (bp.kind == "vanish" and below) or (bp.kind == "explode" and norm > bp.threshold):
            word = "vanishing" if bp.kind == "vanish" else "exploding"
            sign = "<" if bp.kind == "vanish" else ">"
            return f"{word} gradient: ‖ΣdW{bp.layer}‖/m = {norm:.3g} {sign} {bp.threshold:g}"
    elif bp.kind == "sat" and len(facts.saturated) >= bp.layer:
        share = facts.saturated[bp.layer - 1]
        if share > bp.threshold:
            limit = f"{100 * bp.threshold:g} %"
            return f"{100 * share:.1f} % of layer {bp.layer}'s outputs saturated (> {limit})"
    elif bp.kind in ("acc", "test-acc"):
        value = facts.train_accuracy if bp.kind == "acc" else facts.test_accuracy
        if value >= bp.threshold:
            which = "training" if bp.kind == "acc" else "test"
            return f"{which} accuracy reached {100 * value:.2f} % (≥ {100 * bp.threshold:g} %)"
    elif bp.kind == "flip" and previous is not None:
        before = previous.predictions.get(bp.example)
        after = facts.predictions.get(bp.example)
        if before is not None and after is not None and before != after:
            return f"example {bp.example}'s prediction flipped: {before} → {after}"
    return None


OP_KINDS = ("nonfinite", "sat")  # the kinds check_op answers at single ops


def check_op(bp: Breakpoint, op, saturated: float | None = None) -> str | None:
    """Why ``bp`` fires at one op of an example's pass, or None: ``nan`` when an output holds a
    NaN or an infinity; ``sat Ll`` at layer l's activation op when more than the threshold of
    its neurons are saturated (``saturated``: that share, computed by the caller)."""
    import numpy as np

    if not bp.enabled:
        return None
    if bp.kind == "nonfinite":
        bad = [name for name, a in op.outputs.items() if not np.isfinite(a).all()]
        if bad:
            return f"a NaN or an infinity in {', '.join(bad)}"
    elif bp.kind == "sat" and op.phase == "fwd" and op.name == "A" and op.layer == bp.layer:
        if saturated is not None and saturated > bp.threshold:
            limit = f"{100 * bp.threshold:g} %"
            return f"{100 * saturated:.1f} % of layer {bp.layer}'s neurons saturated (> {limit})"
    return None


def op_reasons(breakpoints, op, hidden) -> list[tuple[Breakpoint, str]]:
    """The breakpoints that fire at one op, each with why: :func:`check_op`, with the share of
    saturated neurons computed here when ``op`` is a hidden layer's activation."""
    import numpy as np

    saturated = None
    if op.phase == "fwd" and op.name == "A" and f"A{op.layer}" in op.outputs:
        saturated = float(np.mean(hidden.saturated(op.outputs[f"A{op.layer}"])))
    found = ((bp, check_op(bp, op, saturated)) for bp in breakpoints)
    return [(bp, why) for bp, why in found if why]
