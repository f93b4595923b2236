"""The help screen: every key binding, the command palette, and what the colours mean.

The colour legend is written as short deliberate lines (at most ``LEGEND_WIDTH`` cells), so it is
never re-wrapped in the middle of a phrase: beside the keys where the terminal is wide enough for
both (120 columns and more), below them otherwise. Its slope lines come from the hidden layers'
activation (σ′ = A(1−A) only for a sigmoid).
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterable
from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.markup import escape
from textual.screen import ModalScreen
from textual.widgets import Footer, Static

from ..core.activations import SIGMOID, Activation, activation
from .network import bright_end

LEGEND_WIDTH = 37  # cells: beside the keys' widest line (78) in a 120-column help box
INDENT = "  "
CLOSE = "escape or ? closes this help"
# Footer keys a newcomer can do without at first (help and the palette list them): hidden where
# the footer is too narrow for all of them and ^p palette.
SECONDARY = frozenset({"layer(1)", "phase(True)", "hit(True)"})
ROOMY_FOOTER = 112  # columns the footer needs for every shown key in its roomy style
COMPACT_FOOTER = 102  # and in its compact style


def _wrapped(text: str) -> list[str]:
    """Plain text (escaped for markup) as indented lines that fit the legend."""
    lines = textwrap.wrap(text, LEGEND_WIDTH - len(INDENT), break_on_hyphens=False)
    return [INDENT + escape(line) for line in lines]


def colour_legend(act: Activation = SIGMOID) -> list[str]:
    """What the colours mean, as content-markup lines (``$variables`` are theme colours);
    the slope lines are ``act``'s."""
    swatch = "[$surface-lighten-2]██[/]"
    sign = "[$primary]██[/] − [$warning]██[/] +"
    return [
        "[b]What the colours mean[/b]",
        "[b]input[/b]",
        f"{INDENT}grey level of each pixel:",
        f"{INDENT}0 black to 255 white (▀: 2 pixels)",
        "[b]network[/b]",
        f"{INDENT}forward: activation A,",
        f"{INDENT}dim {swatch} 0 to bright [$foreground]██[/] {escape(bright_end(act))}",
        f"{INDENT}backward: gradient dZ, {sign},",
        f"{INDENT}brighter = larger (per layer)",
        f"{INDENT}[$text-muted] ·[/] not computed yet;",
        f"{INDENT}a computed 0 is a dim cell",
        f"{INDENT}highlighted: the current op's layer",
        f"{INDENT}◂ beside a digit: the guess",
        f"{INDENT}[$error]red layer[/]: a breakpoint fired there",
        f"{INDENT}or a chain-rule factor sums over it",
        f"{INDENT}[$accent]◂[/] a chain-rule factor's neuron",
        f"[b]slopes[/b] (o)  {escape(act.slope_label)}",
        f"{INDENT}{escape(act.slope_range)}: dim {swatch} to bright [$success]██[/]",
        f"{INDENT}where gradient can still flow back;",
        f"{INDENT}counted saturated where",
        *_wrapped(act.saturation_label),
        "[b]inspector[/b]",
        f"{INDENT}bars: |value| / max |value|,",
        f"{INDENT}{sign}; ● a watch that changed;",
        f"{INDENT}[$error]◆[/] where theirs differs: a checked",
        f"{INDENT}network's from the reference, a",
        f"{INDENT}fork's from this run",
        "",
        "[b]Command palette[/b] (ctrl+p)",
        f"{INDENT}epochs, α, reset, presets, go to,",
        f"{INDENT}copy the address, each key's action",
    ]


def key_table(rows: Iterable[tuple[str, str]]) -> Table:
    """Keys and what they do, one per row, keys in a column; a description too long for the
    width wraps under itself."""
    table = Table.grid(padding=(0, 1))
    table.add_column(no_wrap=True, style="bold")
    table.add_column()
    table.add_row(Text("Keys", "bold"), "")
    for key, what in rows:
        table.add_row(key, what)
    return table


class HelpScreen(ModalScreen[None]):
    """Every binding and what the colours mean; escape or ? closes it."""

    BINDINGS = [
        Binding("escape", "dismiss", "Close help"),
        Binding("question_mark", "dismiss", "Close help", key_display="?"),
    ]
    # The keys (78 cells) and the legend side by side from 120 columns, stacked below.
    HORIZONTAL_BREAKPOINTS: ClassVar = [(0, "-stacked"), (120, "-side")]

    def __init__(self, keys: Iterable[tuple[str, str]], hidden: str | None = None) -> None:
        """``hidden``: the hidden layers' activation (None: the app's snapshot's)."""
        super().__init__()
        self.keys = list(keys)
        self.hidden = hidden

    def compose(self) -> ComposeResult:
        hidden = self.hidden
        if hidden is None:
            snapshot = getattr(self.app, "snapshot", None)
            hidden = SIGMOID.name if snapshot is None else snapshot.hidden
        with VerticalScroll(id="help"):
            with Horizontal(id="help-columns"):
                yield Static(key_table(self.keys), id="help-keys")
                yield Static("\n".join(colour_legend(activation(hidden))), id="help-colours")

    def on_mount(self) -> None:
        box = self.query_one("#help")
        box.border_title = "netviz help"
        box.border_subtitle = CLOSE


class KeyFooter(Footer):
    """The footer of shown bindings, fitted to its width: compact below ROOMY_FOOTER columns,
    and below COMPACT_FOOTER without the SECONDARY keys, so that no key is cut."""

    def compose(self) -> ComposeResult:
        for widget in super().compose():
            if getattr(widget, "action", None) in SECONDARY:  # a FooterKey
                widget.add_class("-secondary")
            yield widget

    def on_resize(self, event: events.Resize) -> None:
        self.compact = event.size.width < ROOMY_FOOTER
        self.set_class(event.size.width < COMPACT_FOOTER, "-tight")
