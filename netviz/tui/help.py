"""The help screen: every key binding, the command palette, and what the colours mean."""

from __future__ import annotations

from collections.abc import Iterable

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

# Content markup (text written here, never from files): $variables are the theme's colours.
COLOURS = """\
[b]What the colours mean[/b]
[b]input[/b]  grey level of each pixel,
  0 black to 255 white (▀: two pixels)
[b]network[/b]  forward: activation A,
  dim [$surface-lighten-2]██[/] 0 to bright [$foreground]██[/] 1
  backward: gradient dZ, [$primary]██[/] − [$warning]██[/] +,
  brighter = larger (per layer)
  [$text-muted] ·[/] not computed yet (a computed 0
  is a dim cell); highlighted: the
  current op's layer; ◂ the guess
  [$error]red layer[/]: a breakpoint fired there,
  or a chain-rule factor sums over it
  [$accent]◂[/] a chain-rule factor's neuron
[b]slopes[/b] (o)  σ′(Z) = A(1−A), [$surface-lighten-2]██[/] 0 to
  [$success]██[/] 0.25: where gradient can still
  flow back (a saturated neuron's ≈ 0)
[b]inspector[/b]  bars: |value| / max |value|,
  [$primary]██[/] − [$warning]██[/] +; ● a watch that changed

[b]Command palette[/b] (ctrl+p): epochs,
α, reset, presets, go to, copy the
address, and every key's action."""


def key_table(rows: Iterable[tuple[str, str]]) -> Text:
    """Keys and what they do, one per line, keys in a column."""
    text = Text(end="")
    text.append("Keys", "bold")
    for key, what in rows:
        text.append(f"\n  {key:<13}", "bold")
        text.append(what)
    return text


class HelpScreen(ModalScreen[None]):
    """Every binding and what the colours mean; escape or ? closes it."""

    BINDINGS = [
        Binding("escape", "dismiss", "Close help"),
        Binding("question_mark", "dismiss", "Close help", key_display="?"),
    ]

    def __init__(self, keys: Iterable[tuple[str, str]]) -> None:
        super().__init__()
        self.keys = list(keys)

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help"):
            with Horizontal(id="help-columns"):
                yield Static(key_table(self.keys), id="help-keys")
                yield Static(COLOURS, id="help-colours")
            yield Static("escape or ? closes this help", id="help-close")

    def on_mount(self) -> None:
        self.query_one("#help").border_title = "netviz help"
