"""What the network is given: an image's preprocessing, step by step, shown once when the tour
opens on it (``netviz tour --image``). The steps come ready to draw (each at most 28×28 grey
levels), so the terminal app needs no image code."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

import numpy as np
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Grid, Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

from .digit import grey_blocks

CELL = 32  # columns a step takes: its 28-wide picture and a margin


class PreprocessScreen(ModalScreen[None]):
    """Each step's picture with its title; any of Enter, space or escape goes on to the tour."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,enter,space", "dismiss", "Go on", tooltip="on to the tour"),
    ]

    def __init__(self, name: str, steps: Sequence[tuple[str, np.ndarray]]) -> None:
        super().__init__()
        self.title_text, self.steps = name, steps

    def compose(self) -> ComposeResult:
        with Vertical(id="preprocess"):
            yield Static(Text(f"What the network is given: {self.title_text}"), id="pre-title")
            with Grid(id="pre-steps"):
                for k, (title, image) in enumerate(self.steps, start=1):
                    size = f"{image.shape[1]}×{image.shape[0]}"
                    picture = Text(f"{k}. {title} ({size} shown)\n").append_text(grey_blocks(image))
                    yield Static(picture, classes="pre-step")
            yield Static(
                "MNIST's own preprocessing, so your digit looks like the ones the network "
                "learned from. Enter, space or escape: on to the tour.",
                id="pre-hint",
            )

    def on_mount(self) -> None:
        self._columns()

    def on_resize(self) -> None:
        self._columns()

    def _columns(self) -> None:
        """As many steps side by side as the terminal's width holds."""
        grid = self.query_one("#pre-steps", Grid)
        grid.styles.grid_size_columns = max(1, min(len(self.steps), self.size.width // CELL))
