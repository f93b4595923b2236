"""The network: one column of neuron cells per layer, coloured by activation or by gradient."""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar, Literal

import numpy as np
from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.color import Color
from textual.containers import Horizontal
from textual.reactive import reactive
from textual.widget import Widget
from textual.widgets import Static

from ..core.activations import SIGMOID, Activation
from ..session.snapshot import LayerState, Snapshot

Mode = Literal["activation", "gradient", "slope"]
CELL = "██"
MISSING = " ·"  # not computed yet: visibly not a value, unlike a dark cell for 0
FLOOR = 0.15  # a zero still shows as a dim cell, so it is never confused with "not computed"
# Cells for a neuron's value beside its cell, where the network has room: a hidden layer's may
# be as small as −2e−278 (the gradient of a saturated σ); the output's ŷ and ŷ − y lie in
# [−1, 1], and ŷ − y is 0 or at least 1.1e−16 from it: 6 cells (-1e-16) do.
VALUE, OUTPUT_VALUE = 7, 6


def short(value: float) -> str:
    """A neuron's value in at most ``VALUE`` cells, 2 significant digits where it has room:
    0.93, -0.077, 3e-05, -2e-278."""
    if value == 0:
        return "0"  # −0.0 too: its sign is rounding's, not a value's
    if not np.isfinite(value):
        return f"{value:g}"
    return f"{value:.2g}" if 0.01 <= abs(value) < 100 else f"{value:.0e}"


def values_width(layers: int) -> int:
    """Cells the columns need with values beside the cells: neuron numbers 2, the input 8, each
    hidden layer 6 + VALUE (padding, cell, value, mark), the output 8 + OUTPUT_VALUE."""
    return 2 + 8 + (6 + VALUE) * (layers - 2) + 8 + OUTPUT_VALUE


def mode_of(snapshot: Snapshot) -> Mode:
    """Forward and cost ops colour by activation; backward and update ops by gradient."""
    if snapshot.op is not None and snapshot.op.phase in ("bwd", "upd"):
        return "gradient"
    return "activation"


def active_layer(snapshot: Snapshot) -> int | None:
    """The layer the current op works on (the cost works on the output), None on an epoch."""
    if snapshot.op is None:
        return None
    return snapshot.op.layer if snapshot.op.layer is not None else len(snapshot.layers) - 1


def bright_end(act: Activation) -> str:
    """The activation a bright cell stands for: 1 for σ, ±1 for tanh (cells show |A|), at least
    1 for an activation with no top such as relu (the layer's largest A is brightest)."""
    low, high = (float(a) for a in act.forward(np.array([-50.0, 50.0])))
    if high > 1.0:
        return "≥ 1"
    return "±1" if low < 0.0 else "1"


def slope_name(act: Activation) -> str:
    """The slope's name as the legend writes it: ``σ′(Z)`` from ``σ′(Z) = A(1−A)``."""
    return act.slope_label.split(" = ")[0]


def hit_layers(snapshot: Snapshot) -> set[int]:
    """The layers named by the breakpoints that fired at the cursor (``sat L1 > 30%`` → 1)."""
    return {hit.layer for hit in snapshot.hits if hit.layer is not None}


class Cells(Widget):
    """Paints neuron cells in the stylesheet's colours, blended by magnitude."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "layer--zero",
        "layer--on",
        "layer--positive",
        "layer--negative",
        "layer--missing",
        "layer--label",
        "layer--slope",
        "layer--mark",
    }

    def _color(self, name: str) -> Color:
        return self.get_component_styles(name).color

    def cell(self, value: float, scale: float, mode: Mode) -> Style:
        """A cell's colour: activation dark → bright; gradient blue (−) or orange (+)."""
        if mode == "activation":
            end = self._color("layer--on")
        elif mode == "slope":
            end = self._color("layer--slope")
        else:
            end = self._color("layer--positive" if value >= 0 else "layer--negative")
        t = min(abs(value) / scale, 1.0) if scale > 0 else 0.0
        colour = self._color("layer--zero").blend(end, FLOOR + (1 - FLOOR) * t)
        return Style(color=colour.rich_color)


class LayerColumn(Cells):
    """One layer's neurons, top to bottom; the input layer only says how many inputs."""

    def __init__(self, index: int, last: int) -> None:
        super().__init__(classes="-input" if index == 0 else "-output" if index == last else "")
        self.index, self.last = index, last
        self.state: LayerState | None = None
        self.mode: Mode = "activation"
        self.label: int | None = None
        self.prediction: int | None = None
        self.marked: frozenset[int] = frozenset()
        self.peak_slope = SIGMOID.peak_slope  # the slope overlay's brightest value
        self.numbers = False
        """Whether each cell has its value beside it; set by the network where it has room."""
        self._key: tuple | None = None
        self._width = (False, False)  # (marked, numbers) as last laid out

    @property
    def title(self) -> str:
        return "x" if self.index == 0 else "ŷ" if self.index == self.last else f"L{self.index}"

    def show(
        self,
        state: LayerState,
        mode: Mode,
        active: bool,
        label: int | None = None,
        prediction: int | None = None,
        marked: frozenset[int] = frozenset(),
        peak_slope: float = SIGMOID.peak_slope,
    ) -> None:
        """Repaint with this layer's values (when they changed); ``marked`` neurons get a ◂
        (an input layer, a whole-layer highlight instead); ``peak_slope`` is the activation's
        largest slope, the slope overlay's bright end."""
        self.set_class(active, "-active-layer")
        values = layer_values(state, mode)
        raw = None if values is None else values.tobytes()
        key = (mode, label, prediction, marked, peak_slope, self.numbers, raw)
        if key != self._key:
            # The column's width changes with a mark's column or the values beside the cells.
            width = (bool(marked), self.numbers)
            relayout = self._key is None or width != self._width
            self._key, self._width = key, width
            self.state, self.mode, self.label, self.prediction = state, mode, label, prediction
            self.marked, self.peak_slope = marked, peak_slope
            self.refresh(layout=relayout)

    def render(self) -> Text:
        state = self.state
        if state is None:
            return Text()
        text = Text(self.title, no_wrap=True, end="")
        if self.index == 0:
            text.append(f"\n{state.size}\ninputs")
            return text
        values = layer_values(state, self.mode)
        missing = self.get_component_rich_style("layer--missing")
        mark = self.get_component_rich_style("layer--mark")
        scale = 0.0
        if values is not None and values.size:
            peak = float(np.max(np.abs(values)))
            if self.mode == "slope":
                scale = max(peak, self.peak_slope)
            else:
                scale = max(peak, 1.0) if self.mode == "activation" else peak
        for i in range(state.size):
            text.append("\n")
            if values is None:
                text.append(MISSING, missing)
            else:
                text.append(CELL, self.cell(float(values[i]), scale, self.mode))
            if self.index == self.last:
                style = (
                    self.get_component_rich_style("layer--label") if i == self.label else Style()
                )
                text.append(f" {i}", style + mark if i in self.marked else style)
                text.append("◂" if i == self.prediction else " ")
            if self.numbers:
                shown = "" if values is None else short(float(values[i]))
                text.append(f" {shown:>{OUTPUT_VALUE if self.index == self.last else VALUE}}")
            if self.marked and self.index != self.last:
                text.append("◂" if i in self.marked else " ", mark)
        return text


def layer_values(state: LayerState, mode: Mode):
    """What a column shows in ``mode``: A, dZ, or the slope f′(Z) (None where not computed)."""
    if mode == "slope":
        return state.slope
    return state.activation if mode == "activation" else state.gradient


class Legend(Cells):
    """What the cells' colours mean in the current phase, for the hidden layers' activation."""

    mode: reactive[Mode] = reactive("activation")
    """Which colour scale the columns use."""
    act: reactive[Activation] = reactive(SIGMOID)
    """The hidden layers' activation: its range and slope set the scale's ends."""

    def render(self) -> Text:
        text = Text(no_wrap=True, end="")
        if self.mode == "activation":
            text.append(CELL, self.cell(0.0, 1.0, "activation"))
            text.append(" 0 → ")
            text.append(CELL, self.cell(1.0, 1.0, "activation"))
            text.append(f" {bright_end(self.act)}")
        elif self.mode == "slope":
            top = self.act.peak_slope
            text.append(CELL, self.cell(0.0, top, "slope"))
            text.append(" 0 → ")
            text.append(CELL, self.cell(top, top, "slope"))
            text.append(f" {top:g} {slope_name(self.act)}")
        else:
            text.append(CELL, self.cell(-1.0, 1.0, "gradient"))
            text.append(" − ")
            text.append(CELL, self.cell(0.0, 1.0, "gradient"))
            text.append(" 0 ")
            text.append(CELL, self.cell(1.0, 1.0, "gradient"))
            text.append(" +")
        text.append("\n")
        text.append(MISSING, self.get_component_rich_style("layer--missing"))
        text.append(" not computed yet")
        return text


class NetworkView(Widget):
    """Layers as columns of neuron cells; the current op's layer highlighted."""

    snapshot: reactive[Snapshot | None] = reactive(None, always_update=True, repaint=False)
    """The state to show; set by the app."""

    def __init__(self) -> None:
        super().__init__()
        self.marks: Mapping[int, frozenset[int] | None] = {}
        """Neurons to point at (a chain-rule card's sources), None for a whole layer; set by
        the app before the snapshot."""
        self.overlay = False
        """Whether hidden layers show their local slope f′(Z) (σ′, tanh′…); set by the app."""

    def compose(self) -> ComposeResult:
        yield Static(id="network-mode")
        yield Horizontal(id="layers")
        yield Legend()

    def on_mount(self) -> None:
        self.border_title = "network"

    def on_resize(self) -> None:
        """Wide enough: each cell gets its value beside it."""
        if self.snapshot is not None:
            self.watch_snapshot(self.snapshot)

    def watch_snapshot(self, snapshot: Snapshot | None) -> None:
        if snapshot is None:
            return
        layers = self.query_one("#layers", Horizontal)
        columns = list(layers.query(LayerColumn))
        last = len(snapshot.layers) - 1
        if len(columns) != len(snapshot.layers):
            layers.remove_children()
            rows = max(s.size for s in snapshot.layers[1:])
            numbers = Text("\n".join(f"{i:>2}" for i in range(rows)), no_wrap=True)
            columns = [LayerColumn(i, last) for i in range(len(snapshot.layers))]
            layers.mount(Static(Text("  \n") + numbers, classes="neuron-numbers"), *columns)
        room = self.content_size.width >= values_width(len(snapshot.layers))
        base, active = mode_of(snapshot), active_layer(snapshot)
        act = snapshot.activation
        mode: Mode = "slope" if self.overlay else base
        hit = hit_layers(snapshot)
        for column, state in zip(columns, snapshot.layers, strict=True):
            marked = self.marks.get(column.index, frozenset())
            whole = column.index in hit or (column.index in self.marks and marked is None)
            column.set_class(whole or (column.index == 0 and bool(marked)), "-marked-layer")
            column.numbers = room
            column.show(
                state,
                base if column.index == last else mode,  # the output has no slope overlay
                column.index == active,
                snapshot.label if snapshot.labelled else None,  # no label: nothing to mark
                snapshot.prediction,
                marked or frozenset(),
                act.peak_slope,
            )
        guess = "no guess yet" if snapshot.prediction is None else f"guess {snapshot.prediction}"
        subtitle = f"{snapshot.label_text} · {guess}"
        if self.border_subtitle != subtitle:
            self.border_subtitle = subtitle
        heading = {
            "activation": "activations A",
            "gradient": "gradients dZ",
            "slope": f"slopes {act.slope_label}",
        }[mode]
        if hit:
            heading = "breakpoint: " + ", ".join(f"L{k}" for k in sorted(hit))
        self.query_one("#network-mode", Static).update(heading, layout=False)
        legend = self.query_one(Legend)
        legend.act, legend.mode = act, mode
