"""The input digit: its pixels in half-block characters, its label and the network's guess."""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
from rich.color import Color
from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.reactive import reactive
from textual.widget import Widget
from textual.widgets import Static

from ..session.snapshot import Snapshot


@lru_cache(maxsize=4096)
def _pair(upper: int, lower: int) -> Style:
    """▀ paints the upper pixel (foreground) over the lower one (background)."""
    return Style(
        color=Color.from_rgb(upper, upper, upper), bgcolor=Color.from_rgb(lower, lower, lower)
    )


def half_blocks(pixels: np.ndarray) -> Text:
    """A square image (784 grey levels, 0 black to 255 white) as rows of ▀, two pixels a cell."""
    side = math.isqrt(pixels.size)
    image = np.zeros((side + side % 2, side), dtype=np.uint8)
    image[:side] = np.asarray(pixels, dtype=np.uint8).reshape(side, side)
    text = Text(no_wrap=True, end="")
    for r in range(0, image.shape[0], 2):
        if r:
            text.append("\n")
        for upper, lower in zip(image[r].tolist(), image[r + 1].tolist(), strict=True):
            text.append("▀", _pair(upper, lower))
    return text


def prediction_line(snapshot: Snapshot) -> tuple[str, str]:
    """The guess and its confidence, and the class that colours it (right, wrong, pending)."""
    if snapshot.prediction is None:
        return "prediction: not computed yet", "-pending"
    confidence = f"{snapshot.confidence:.0%}".replace("%", " %")
    line = f"prediction {snapshot.prediction} ({confidence})"
    if not snapshot.labelled:  # nothing to be right or wrong against
        return line + " · backprop uses it", "-pending"
    return line, "-right" if snapshot.prediction == snapshot.label else "-wrong"


class DigitView(Widget):
    """The example being followed through the network: pixels, label, prediction."""

    snapshot: reactive[Snapshot | None] = reactive(None, always_update=True, repaint=False)
    """The state to show; set by the app."""

    def __init__(self) -> None:
        super().__init__()
        self._pixels: np.ndarray | None = None  # as last drawn: redrawn only for a new digit

    def compose(self) -> ComposeResult:
        yield Static(id="pixels")
        yield Static(id="label")
        yield Static(id="prediction")

    def on_mount(self) -> None:
        self.border_title = "input"

    def watch_snapshot(self, snapshot: Snapshot | None) -> None:
        if snapshot is None:
            return
        if self._pixels is None or not np.array_equal(self._pixels, snapshot.pixels):
            self._pixels = snapshot.pixels
            self.query_one("#pixels", Static).update(half_blocks(snapshot.pixels), layout=False)
        where = f"example {snapshot.example} of {snapshot.train_size}"
        if snapshot.source:
            where = snapshot.source  # an own digit is none of the training examples
        self.query_one("#label", Static).update(
            Text(f"{snapshot.label_text}   {where}"), layout=False
        )
        line, state = prediction_line(snapshot)
        prediction = self.query_one("#prediction", Static)
        prediction.update(Text(line), layout=False)
        prediction.set_classes(state)
