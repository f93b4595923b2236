"""Breakpoints: conditions on a run that a learner can stop at, typed as short sentences.

    cost up              the cost went up from one epoch to the next
    nan                  a NaN or an infinity anywhere in the epoch's numbers
    vanish L1 < 1e-6     layer 1's gradient norm ‖ΣdW1‖/m fell below ε
    explode L3 > 10      layer 3's gradient norm rose above a bound
    sat L1 > 30%         more than 30 % of layer 1's outputs are saturated (σ: A(1−A) < 0.01,
                         tanh: 1−A² < 0.04, relu: Z ≤ 0; the activation's saturation_label)
    acc >= 90%           training accuracy reached 90 % (``test acc >= 85%`` for the test set)
    flip x17             example 17's prediction changed
    differs              a check trace's op where the learner's value differs from the
                         reference's beyond rounding (``netviz check --trace``)

Each kind is one :class:`Kind` entry of :data:`KINDS`: its pattern, how the match becomes a
:class:`Breakpoint`, how that is written back, its example form and its checks sit side by side,
and reading (:func:`parse_breakpoint`), writing (:attr:`Breakpoint.text`), the forms a learner is
shown (:data:`FORMS`) and checking (:func:`check`, :func:`check_op`) are all driven by that list.

Each is checked after every epoch against :class:`EpochFacts`; ``nan`` and ``sat`` are also
checked at the ops of example passes (:func:`check_op`), on their numbers when the cursor comes
to them or ``c`` looks through them, so a condition added after a pass was computed still fires
on it; ``differs`` is checked at ops only, those of a check trace, whose ops carry the
learner's values (``op.theirs``). A hit says which condition fired and with what numbers.
Numpy and the standard library only.
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from ..safe import MAX_TEXT, shown


class BreakpointError(ValueError):
    """A condition that cannot be read, with what would have been right."""


@dataclass(frozen=True)
class Breakpoint:
    """One condition; ``layer``, ``threshold`` and ``example`` as its kind needs.

    ``kind`` is the name of one entry of :data:`KINDS` (``"cost-up"``, ``"flip"``, …): the
    registry is the one list of names, so there is no second one here to keep in step.
    """

    kind: str
    layer: int | None = None
    threshold: float | None = None
    example: int | None = None
    enabled: bool = True

    @property
    def text(self) -> str:
        """The condition as a learner types it (and as a trace saves it)."""
        return _BY_NAME[self.kind].write(self)

    def toggled(self) -> Breakpoint:
        return replace(self, enabled=not self.enabled)


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


# (the match's groups, the whole text, the network's weight layers) -> Breakpoint fields
Read = Callable[[tuple[str, ...], str, "int | None"], dict[str, Any]]
# (the breakpoint, this epoch, the epoch before if any) -> why it fires, or None
EpochCheck = Callable[[Breakpoint, EpochFacts, "EpochFacts | None"], "str | None"]
# (the breakpoint, one op of a pass, the share of its neurons saturated if known) -> why, or None
OpCheck = Callable[[Breakpoint, Any, "float | None"], "str | None"]
Scope = Literal["epoch", "op", "both"]


@dataclass(frozen=True)
class Kind:
    """One kind of breakpoint, everything about it in one place.

    ``pattern`` is matched whole and case-insensitively against the stripped text; ``read``
    turns its groups into the Breakpoint's fields (refusing numbers out of range); ``write``
    is the canonical text, which must match ``pattern`` again; ``example`` is the form shown
    to a learner (``listed``: whether :data:`FORMS` names it); ``epoch`` and ``op`` are the
    checks after an epoch and at one op of a pass, None where the kind is not checked.
    """

    name: str
    pattern: str
    read: Read
    write: Callable[[Breakpoint], str]
    example: str
    epoch: EpochCheck | None = None
    op: OpCheck | None = None
    listed: bool = True

    @property
    def scope(self) -> Scope:
        """Where the kind is checked: after each epoch, at single ops, or both."""
        if self.epoch and self.op:
            return "both"
        return "op" if self.op else "epoch"


# ---- reading: the fields of a match, with the ranges a learner is told about ----------------

# One way to read each number, so a long run of digits cannot make the match backtrack.
_NUMBER = r"((?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?)"
# At most 9 digits, so int() never meets Python's digit limit and the error stays one line.
_INDEX = r"([0-9]{1,9})"


def _layer(digits: str, source: str, layers: int | None, hidden: bool) -> int:
    """Layer ``digits`` if the network has it (a hidden layer when ``hidden``), else refused."""
    layer = int(digits)
    top = layers - 1 if hidden and layers else layers
    if layer < 1 or (top is not None and layer > top):
        which = "hidden layers" if hidden else "layers"
        raise BreakpointError(f"{source!r}: the network's {which} are L1–L{top}")
    return layer


def _percent(digits: str, source: str, what: str) -> float:
    """A percentage ``digits`` as a share 0–1, refused outside 0–100 %."""
    value = float(digits)
    if not 0 <= value <= 100:
        raise BreakpointError(f"{source!r}: {what} is 0–100 %")
    return value / 100


def _nothing(groups: tuple[str, ...], source: str, layers: int | None) -> dict[str, Any]:
    """No fields: the kind alone says it all."""
    return {}


def _gradient_bound(groups: tuple[str, ...], source: str, layers: int | None) -> dict[str, Any]:
    """Any weight layer, and a bound on its gradient norm."""
    return {"layer": _layer(groups[0], source, layers, hidden=False), "threshold": float(groups[1])}


def _saturated_share(groups: tuple[str, ...], source: str, layers: int | None) -> dict[str, Any]:
    """A hidden layer, and a share of its neurons (layer first: its error comes first)."""
    layer = _layer(groups[0], source, layers, hidden=True)
    return {"layer": layer, "threshold": _percent(groups[1], source, "a share of neurons")}


def _accuracy(groups: tuple[str, ...], source: str, layers: int | None) -> dict[str, Any]:
    """An accuracy to reach, as a share."""
    return {"threshold": _percent(groups[0], source, "an accuracy")}


def _example(groups: tuple[str, ...], source: str, layers: int | None) -> dict[str, Any]:
    """The number of a training example."""
    return {"example": int(groups[0])}


# ---- checking after an epoch --------------------------------------------------------------


def _cost_went_up(bp: Breakpoint, facts: EpochFacts, previous: EpochFacts | None) -> str | None:
    """The cost is above the previous epoch's."""
    if previous is not None and facts.cost > previous.cost:
        return f"the cost went up: {previous.cost:.6g} → {facts.cost:.6g}"
    return None


def _nonfinite_epoch(bp: Breakpoint, facts: EpochFacts, previous: EpochFacts | None) -> str | None:
    """A NaN or an infinity in the epoch's numbers, its cost or its gradient norms."""
    values = (facts.cost, *facts.grad_norms)
    if not facts.finite or not all(math.isfinite(v) for v in values):
        return f"a NaN or an infinity at epoch {facts.epoch} (cost {facts.cost:g})"
    return None


def _gradient(word: str, sign: str, crosses: Callable[[float, float], bool]) -> EpochCheck:
    """A check that layer l's ‖ΣdWl‖/m ``crosses`` the threshold (``<`` or ``>``)."""

    def gradient_crosses(bp: Breakpoint, facts: EpochFacts, previous: EpochFacts | None):
        norm = facts.grad_norms[bp.layer - 1]
        if crosses(norm, bp.threshold):
            return f"{word} gradient: ‖ΣdW{bp.layer}‖/m = {norm:.3g} {sign} {bp.threshold:g}"
        return None

    return gradient_crosses


def _saturated_epoch(bp: Breakpoint, facts: EpochFacts, previous: EpochFacts | None) -> str | None:
    """More than the threshold of a hidden layer's outputs saturated, over the epoch."""
    if len(facts.saturated) >= bp.layer and facts.saturated[bp.layer - 1] > bp.threshold:
        share, limit = facts.saturated[bp.layer - 1], f"{100 * bp.threshold:g} %"
        return f"{100 * share:.1f} % of layer {bp.layer}'s outputs saturated (> {limit})"
    return None


def _reached(which: str, accuracy: Callable[[EpochFacts], float]) -> EpochCheck:
    """A check that the ``which`` (training or test) accuracy reached the threshold."""

    def accuracy_reached(bp: Breakpoint, facts: EpochFacts, previous: EpochFacts | None):
        value = accuracy(facts)
        if value >= bp.threshold:
            return f"{which} accuracy reached {100 * value:.2f} % (≥ {100 * bp.threshold:g} %)"
        return None

    return accuracy_reached


def _flipped(bp: Breakpoint, facts: EpochFacts, previous: EpochFacts | None) -> str | None:
    """The example's prediction differs from the previous epoch's."""
    if previous is None:
        return None
    before = previous.predictions.get(bp.example)
    after = facts.predictions.get(bp.example)
    if before is not None and after is not None and before != after:
        return f"example {bp.example}'s prediction flipped: {before} → {after}"
    return None


# ---- checking at one op of a pass ---------------------------------------------------------


def _nonfinite_op(bp: Breakpoint, op, saturated: float | None) -> str | None:
    """A NaN or an infinity in one of the op's outputs."""
    import numpy as np

    bad = [name for name, a in op.outputs.items() if not np.isfinite(a).all()]
    return f"a NaN or an infinity in {', '.join(bad)}" if bad else None


def _saturated_op(bp: Breakpoint, op, saturated: float | None) -> str | None:
    """At layer l's activation op, more than the threshold of its neurons saturated."""
    at = op.phase == "fwd" and op.name == "A" and op.layer == bp.layer
    if at and saturated is not None and saturated > bp.threshold:
        limit = f"{100 * bp.threshold:g} %"
        return f"{100 * saturated:.1f} % of layer {bp.layer}'s neurons saturated (> {limit})"
    return None


def _differs_op(bp: Breakpoint, op, saturated: float | None) -> str | None:
    """The learner's value of an output (``op.theirs``, a check trace's) differs from the
    reference's beyond rounding (:func:`netviz.numbers.differing`)."""
    from ..numbers import compared_scale, differing

    theirs = getattr(op, "theirs", None) or {}
    for name, reference in op.outputs.items():
        if name in theirs:
            scale = compared_scale(name, getattr(op, "inputs", None) or {})
            mask = differing(theirs[name], reference, scale)
            if mask.any():
                if theirs[name].shape != reference.shape:
                    return (
                        f"theirs {name} is {theirs[name].shape}, the reference's {reference.shape}"
                    )
                return f"theirs {name} ≠ the reference in {int(mask.sum())} of {mask.size} entries"
    return None


# ---- the registry: adding a kind is one entry here ----------------------------------------

KINDS: tuple[Kind, ...] = (
    Kind(
        name="cost-up",
        pattern=r"cost\s+up",
        read=_nothing,
        write=lambda bp: "cost up",
        example="cost up",
        epoch=_cost_went_up,
    ),
    Kind(
        name="nonfinite",
        pattern=r"(?:nan|inf|nonfinite)",
        read=_nothing,
        write=lambda bp: "nan",
        example="nan",
        epoch=_nonfinite_epoch,
        op=_nonfinite_op,
    ),
    Kind(
        name="vanish",
        pattern=rf"vanish\s+L{_INDEX}\s*<\s*{_NUMBER}",
        read=_gradient_bound,
        write=lambda bp: f"vanish L{bp.layer} < {bp.threshold:g}",
        example="vanish L1 < 1e-6",
        epoch=_gradient("vanishing", "<", operator.lt),
    ),
    Kind(
        name="explode",
        pattern=rf"explode\s+L{_INDEX}\s*>\s*{_NUMBER}",
        read=_gradient_bound,
        write=lambda bp: f"explode L{bp.layer} > {bp.threshold:g}",
        example="explode L3 > 10",
        epoch=_gradient("exploding", ">", operator.gt),
    ),
    Kind(
        name="sat",
        pattern=rf"sat\s+L{_INDEX}\s*>\s*{_NUMBER}\s*%",
        read=_saturated_share,
        write=lambda bp: f"sat L{bp.layer} > {100 * bp.threshold:g}%",
        example="sat L1 > 30%",
        epoch=_saturated_epoch,
        op=_saturated_op,
    ),
    Kind(
        name="acc",
        pattern=rf"acc\s*>=?\s*{_NUMBER}\s*%",
        read=_accuracy,
        write=lambda bp: f"acc >= {100 * bp.threshold:g}%",
        example="acc >= 90%",
        epoch=_reached("training", lambda facts: facts.train_accuracy),
    ),
    Kind(
        name="test-acc",
        pattern=rf"test\s+acc\s*>=?\s*{_NUMBER}\s*%",
        read=_accuracy,
        write=lambda bp: f"test acc >= {100 * bp.threshold:g}%",
        example="test acc >= 85%",
        epoch=_reached("test", lambda facts: facts.test_accuracy),
        listed=False,  # the forms name ``acc`` only; the module's docstring tells of this twin
    ),
    Kind(
        name="flip",
        pattern=rf"flip\s+x{_INDEX}",
        read=_example,
        write=lambda bp: f"flip x{bp.example}",
        example="flip x17",
        epoch=_flipped,
    ),
    Kind(
        name="differs",
        pattern=r"differs?",
        read=_nothing,
        write=lambda bp: "differs",
        example="differs",
        op=_differs_op,
    ),
)
_BY_NAME = {kind.name: kind for kind in KINDS}
FORMS = " · ".join(kind.example for kind in KINDS if kind.listed)
OP_KINDS = tuple(kind.name for kind in KINDS if kind.op)  # the kinds check_op answers at ops


def parse_breakpoint(text: str, layers: int | None = None) -> Breakpoint:
    """The condition ``text`` describes; BreakpointError (listing the forms) if none does.

    ``layers``: how many weight layers the network has, to refuse a layer it lacks.
    """
    source = text.strip()
    if len(source) > MAX_TEXT:
        raise BreakpointError(f"'{shown(source)}': a condition is at most {MAX_TEXT} characters")
    for kind in KINDS:
        m = re.fullmatch(kind.pattern, source, flags=re.IGNORECASE)
        if m is not None:
            return Breakpoint(kind.name, **kind.read(m.groups(), source, layers))
    raise BreakpointError(f"{source!r} is not a condition; write one of: {FORMS}")


def check(bp: Breakpoint, facts: EpochFacts, previous: EpochFacts | None) -> str | None:
    """Why ``bp`` fires at this epoch, or None. ``previous``: the epoch before, if any."""
    epoch = _BY_NAME[bp.kind].epoch
    return epoch(bp, facts, previous) if bp.enabled and epoch else None


def check_op(bp: Breakpoint, op, saturated: float | None = None) -> str | None:
    """Why ``bp`` fires at one op of an example's pass, or None: ``nan`` when an output holds a
    NaN or an infinity; ``sat Ll`` at layer l's activation op when more than the threshold of
    its neurons are saturated (``saturated``: that share, computed by the caller); ``differs``
    when the learner's value of an output (``op.theirs``, in a check trace) is not the
    reference's."""
    at_op = _BY_NAME[bp.kind].op
    return at_op(bp, op, saturated) if bp.enabled and at_op else None


def op_reasons(breakpoints, op, hidden) -> list[tuple[Breakpoint, str]]:
    """The breakpoints that fire at one op, each with why: :func:`check_op`, with the share of
    saturated neurons computed here when ``op`` is a hidden layer's activation."""
    import numpy as np

    saturated = None
    if op.phase == "fwd" and op.name == "A" and f"A{op.layer}" in op.outputs:
        saturated = float(np.mean(hidden.saturated(op.outputs[f"A{op.layer}"])))
    found = ((bp, check_op(bp, op, saturated)) for bp in breakpoints)
    return [(bp, why) for bp, why in found if why]
