"""The records a session hands out: frozen, read-only views of its state for the UI and tests,
and how the values the widgets paint are derived from one example's arrays (:func:`layer_states`).
:meth:`~netviz.session.history.History.snapshot` fills a :class:`Snapshot` at the cursor."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np

from ..core.activations import Activation, activation
from ..core.steps import YHAT, Op

Array = np.ndarray

# How a trace that stopped taking steps (a full disk) is named after its file, wherever it is
STOPPED = "(recording stopped: cannot write)"

EPOCH_EXPLANATION = (
    "A full-batch epoch: every training example's gradient is computed and summed, then the "
    "weights take one step W ← W − α·ΣdW/m."
)


@dataclass(frozen=True, eq=False)  # arrays inside: compare by identity
class Pass:
    """One example's ops at the weights after ``epoch`` epochs."""

    epoch: int
    example: int
    ops: tuple[Op, ...]
    label: int
    pixels: Array  # (784,) uint8
    source: str = ""  # "" for the data set's examples; a learner's own digit says what it is
    labelled: bool = True  # False: no label was given, and backprop used the guess


NOTHING: Mapping[str, Array] = MappingProxyType({})


@dataclass(frozen=True)
class CheckedOp(Op):
    """An op of a check trace (``netviz check --trace``): the reference's op, computed at the
    learner's own weights and example, and ``theirs``, the learner's own value of each output
    their script kept, by the output's name (a name is missing where it kept none)."""

    theirs: Mapping[str, Array] = field(default_factory=lambda: NOTHING)


@dataclass(frozen=True)
class Metrics:
    """One epoch's figures, at the weights it started from."""

    epoch: int
    cost: float
    train_accuracy: float
    test_accuracy: float
    grad_norms: tuple[float, ...]  # ‖ΣdWl‖/m per layer


@dataclass(frozen=True)
class Hit:
    """A breakpoint that fired: at which epoch (or op of a pass), which condition, and why."""

    epoch: int
    condition: str
    reason: str
    layer: int | None = None  # the layer the condition names (sat L1, vanish L2…), if any
    address: str = ""  # where: ``e12`` for an epoch, ``e12/x3/fwd/L1/A`` for an op


@dataclass(frozen=True)
class WatchValue:
    """A watch as shown at the cursor: its text, its value (or why it has none), and whether
    the value differs from the one at the previous stop."""

    text: str
    shown: str
    changed: bool
    error: bool = False
    pending: bool = False  # a name it reads is not computed yet at this step (not an error)


@dataclass(frozen=True)
class Item:
    """A timeline entry: op ``index`` of pass ``pass_id``, or an epoch (``pass_id`` None)."""

    pass_id: int | None
    index: int  # op index within the pass, or the epoch number


@dataclass(frozen=True, eq=False)
class LayerState:
    """What the network view shows for one layer: None where not computed yet."""

    size: int
    activation: Array | None  # forward: A (ŷ for the last layer), x for layer 0
    gradient: Array | None  # backward: dZ
    slope: Array | None = None  # hidden layers: f′(Z), where gradient can still flow


@dataclass(frozen=True, eq=False)  # arrays inside: compare by identity
class Snapshot:
    """Everything the UI shows, frozen: the UI reads it, never changes the session through it."""

    epoch: int  # epochs trained so far (a replay: recorded so far)
    weights_epoch: int  # the step shown was computed at the weights after this many epochs
    cursor: int
    timeline_length: int
    address: str
    kind: str  # "op", "epoch", or "preview" (a drawing's forward pass, on no timeline)
    op: Op | None
    op_index: int
    ops_in_pass: int
    explanation: str
    example: int
    label: int
    pixels: Array
    prediction: int | None  # None until the forward pass reached ŷ
    confidence: float | None
    layers: tuple[LayerState, ...]
    metrics: tuple[Metrics, ...]
    epoch_metrics: Metrics | None  # the epoch under the cursor, on an epoch step
    hits: tuple[Hit, ...]  # breakpoints that hold at the step under the cursor
    watches: tuple[WatchValue, ...]
    alpha: float
    preset: str
    layout: str
    seed: int
    trace: str
    train_size: int
    hidden: str = "sigmoid"  # the hidden layers' activation (netviz.core.activations name)
    live: bool = True  # False in a replay: moving past the end stops, nothing is computed
    checked: bool = False  # a check trace: the learner's values beside the reference's
    # the learner's own value of each of the op's outputs that their script kept (check traces)
    theirs: Mapping[str, Array] = field(default_factory=lambda: NOTHING)
    # ``theirs`` beside this run's values: "" for a check trace's learner, else who (a fork)
    beside: str = ""
    source: str = ""  # a learner's own digit: what it is ("your drawing", "my3.png")
    labelled: bool = True  # False: no label was given; the label shown is the guess
    weights_from: str = ""  # the saved weights file the run began from (``w.npz``), or ""
    # why the run's trace stopped taking steps (a full disk), or "": the run goes on unrecorded
    trace_failure: str = ""

    @property
    def start_words(self) -> str:
        """`` · weights from w.npz`` after the preset's name when the run began from saved
        weights, else ""."""
        return f" · weights from {self.weights_from}" if self.weights_from else ""

    @property
    def label_text(self) -> str:
        """``label 5``, or for an own digit without one ``label ?``: backprop used the guess."""
        return f"label {self.label}" if self.labelled else "label ?"

    @property
    def activation(self) -> Activation:
        """The hidden layers' activation, with the texts that follow it (its slope's formula
        and range, what saturated means): widgets read these, never write their own."""
        return activation(self.hidden)


@dataclass(frozen=True, eq=False)  # arrays inside
class View:
    """One example as the digit and network regions show it: its arrays by name (x, Z1, A1,
    ŷ, dZ1, …: what was computed so far; a name is missing until then)."""

    example: int
    label: int
    pixels: Array  # (784,) uint8
    values: Mapping[str, Array]
    note: str = ""  # what the view is, when it is not the obvious
    source: str = ""  # as Pass.source
    labelled: bool = True


def layer_states(
    values: Mapping[str, Array], sizes: Sequence[int], hidden: Activation
) -> tuple[LayerState, ...]:
    """Each layer as the network view shows it, from one example's arrays by name (x, A1, ŷ,
    dZ1, …; a name missing until computed): layer 0 the input, hidden layers their A, dZ and
    slope f′(Z) (from A, as the activation defines it), the last layer ŷ and dZ."""
    L = len(sizes) - 1
    x = values.get("x")
    layers = [LayerState(sizes[0], None if x is None else x.ravel(), None)]
    for l in range(1, L + 1):
        a = values.get(YHAT if l == L else f"A{l}")
        dz = values.get(f"dZ{l}")
        with np.errstate(over="ignore", invalid="ignore"):  # a damaged trace's A may be huge
            slope = None if a is None or l == L else hidden.slope(a).ravel()
        layers.append(
            LayerState(
                sizes[l],
                None if a is None else a.ravel(),
                None if dz is None else dz.ravel(),
                slope,
            )
        )
    return tuple(layers)
