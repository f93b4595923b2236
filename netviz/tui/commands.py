"""The command palette's netviz commands, and the small screen that asks for a number."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.binding import Binding
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from ..core.presets import PRESETS

if TYPE_CHECKING:
    from .app import NetvizApp


class Ask(ModalScreen[str | None]):
    """One question, one typed answer: enter submits it, escape cancels (None)."""

    BINDINGS = [Binding("escape", "dismiss(None)", "Cancel")]

    def __init__(self, question: str, value: str = "", kind: str = "number") -> None:
        super().__init__()
        self.question, self.value, self.kind = question, value, kind

    def compose(self) -> ComposeResult:
        with Vertical(id="ask"):
            yield Static(self.question, id="ask-question", markup=False)
            yield Input(self.value, type=self.kind, id="ask-input")  # type: ignore[arg-type]
            yield Static("enter to confirm, escape to cancel", id="ask-hint")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value)


def commands(app: NetvizApp) -> list[tuple[str, Callable[[], object], str]]:
    """(name, callback, help) for every netviz command, each named with a verb."""
    found = [
        ("Run 10 epochs", lambda: app.run_epochs(10), "ten full-batch epochs in the background"),
        ("Run 100 epochs", lambda: app.run_epochs(100), "escape stops at the next epoch"),
        ("Run N epochs…", app.ask_epochs, "type how many full-batch epochs to run"),
        ("Set learning rate…", app.ask_alpha, "α for the epochs to come"),
        ("Reset network (same seed)", lambda: app.reset_network(), "the same first weights"),
        ("Reset network (new seed)", app.reset_new_seed, "other first weights (seed + 1)"),
        ("Go to example…", app.ask_example, "open a training example by its index"),
        ("Copy address", app.copy_address, "the cursor's address, to the clipboard"),
    ]
    for name, preset in PRESETS.items():
        found.append(
            (f"Switch preset: {name}", lambda n=name: app.reset_network(preset=n), preset.summary)
        )
    return found


class NetvizCommands(Provider):
    """Training, learning rate, reset, preset and navigation commands."""

    async def discover(self) -> Hits:
        for name, callback, help in commands(self.app):  # type: ignore[arg-type]
            yield DiscoveryHit(name, callback, help=help)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, callback, help in commands(self.app):  # type: ignore[arg-type]
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), callback, help=help)
