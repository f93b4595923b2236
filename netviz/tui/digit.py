"""The input digit: its pixels in half-block characters, its label and the network's guess;
or which of its pixels move the guess (``i``); or a canvas to draw one's own (``d``)."""

from __future__ import annotations

import math

import numpy as np
from rich.text import Text
from textual.app import ComposeResult
from textual.reactive import reactive
from textual.widget import Widget
from textual.widgets import Static

from ..session.snapshot import Snapshot
from .canvas import Canvas, half_block


def half_blocks(pixels: np.ndarray) -> Text:
    """A square image (784 grey levels, 0 black to 255 white) as rows of ▀, two pixels a cell."""
    side = math.isqrt(pixels.size)
    return grey_blocks(np.asarray(pixels).reshape(side, side))


def grey_blocks(image: np.ndarray) -> Text:
    """An image (H, W) of grey levels 0–255 as rows of ▀, two pixels a cell."""
    grey = np.clip(np.rint(image), 0, 255).astype(int)
    return rgb_blocks(np.repeat(grey[..., None], 3, axis=-1))


def rgb_blocks(image: np.ndarray) -> Text:
    """An image (H, W, 3) of RGB colours 0–255 as rows of ▀, two pixels a cell; an odd last
    row over black."""
    rows = image.shape[0]
    padded = np.zeros((rows + rows % 2, *image.shape[1:]), dtype=int)
    padded[:rows] = image
    text = Text(no_wrap=True, end="")
    for r in range(0, padded.shape[0], 2):
        if r:
            text.append("\n")
        for upper, lower in zip(padded[r].tolist(), padded[r + 1].tolist(), strict=True):
            text.append("▀", half_block(tuple(upper), tuple(lower)))
    return text


RED, BLUE = np.array([215.0, 48, 39]), np.array([49.0, 104, 224])  # raises / lowers the cost
# Below this largest |dC/dx| almost nothing reaches the pixels (raw pixels saturate layer 1:
# 1e-96 on the seed preset): the map is drawn faint, and its legend says so.
NONE_REACHES = 1e-10


def gradient_colours(grad: np.ndarray, pixels: np.ndarray) -> np.ndarray:
    """(784, 3) RGB: each pixel's dC/dx as red (> 0: brighter raises the cost) or blue (< 0),
    as strong as |dC/dx| / max |dC/dx|, over the digit's ink drawn faintly in grey; a third as
    strong where almost no gradient reaches the pixels at all."""
    g = np.asarray(grad, dtype=float).reshape(-1)
    top = float(np.max(np.abs(g))) if g.size else 0.0
    t = np.zeros_like(g) if top == 0 else g / top
    if top < NONE_REACHES:
        t = t / 3
    ink = 30 + 0.3 * np.asarray(pixels, dtype=float).reshape(-1)  # the digit, faint
    grey = np.repeat(ink[:, None], 3, axis=1)
    hue = np.where(t[:, None] > 0, RED, BLUE)
    return np.rint(grey + np.abs(t)[:, None] * (hue - grey)).astype(int)


def colour_blocks(rgb: np.ndarray) -> Text:
    """A square image of (784, 3) RGB colours as rows of ▀, two pixels a cell."""
    side = math.isqrt(rgb.shape[0])
    return rgb_blocks(np.asarray(rgb).reshape(side, side, 3))


def gradient_lines(grad: np.ndarray, epoch: int, labelled: bool) -> tuple[str, str]:
    """What the map is and at which weights, and how to read it: two lines of the panel's
    28 columns (the help and README say it at length)."""
    top = float(np.max(np.abs(grad)))
    weights = "initial weights" if epoch == 0 else f"after {epoch} epoch{'s' * (epoch != 1)}"
    whose = "dC/dx" if labelled else "dC/dx (guess)"  # no label: the cost of the guess
    scale = f"max {top:.2g}" if top else "all 0"
    if top < NONE_REACHES:  # saturated layer 1: say it, do not paint noise as a pattern
        return f"{whose} · {weights}", f"max {top:.0e}: almost none"
    return f"{whose} · {weights}", f"red↑ blue↓ cost · {scale}"


def prediction_line(snapshot: Snapshot) -> tuple[str, str]:
    """The guess and its confidence, and the class that colours it (right, wrong, pending)."""
    if snapshot.prediction is None:
        return "prediction: not computed yet", "-pending"
    confidence = f"{snapshot.confidence:.0%}".replace("%", " %")
    line = f"prediction {snapshot.prediction} ({confidence})"
    if not snapshot.labelled:  # nothing to be right or wrong against; 28 columns hold this
        return f"guess {snapshot.prediction} ({confidence}), backprop's y", "-pending"
    return line, "-right" if snapshot.prediction == snapshot.label else "-wrong"


class DigitView(Widget):
    """The example being followed through the network: pixels, label, prediction."""

    snapshot: reactive[Snapshot | None] = reactive(None, always_update=True, repaint=False)
    """The state to show; set by the app."""

    def __init__(self) -> None:
        super().__init__()
        self._pixels: np.ndarray | None = None  # as last drawn: redrawn only for a new digit
        self.gradient: tuple[np.ndarray, int] | None = None  # ``i``: dC/dx and its weights' epoch

    def compose(self) -> ComposeResult:
        yield Static(id="pixels")
        yield Static(id="label")
        yield Static(id="prediction")

    def on_mount(self) -> None:
        self.border_title = "input"

    @property
    def drawing(self) -> bool:
        return bool(self.query("#canvas"))

    def start_drawing(self, pixels: np.ndarray) -> None:
        """``d``: a canvas in place of the picture, starting from ``pixels``, focused."""
        self.query_one("#pixels").display = False
        canvas = Canvas(pixels, id="canvas")
        self.mount(canvas, after="#pixels")
        canvas.focus()
        self.border_title = "input · drawing: Enter steps it through, d leaves"

    def stop_drawing(self) -> None:
        self.query("#canvas").remove()
        self.query_one("#pixels").display = True
        self._pixels = None  # paint the digit shown next
        self.border_title = "input"

    def watch_snapshot(self, snapshot: Snapshot | None) -> None:
        if snapshot is None:
            return
        if self.gradient is not None and not self.drawing:  # the pixels' gradient
            grad, epoch = self.gradient
            self._pixels = None  # the digit is painted again when the map goes
            rgb = gradient_colours(grad, snapshot.pixels)
            self.query_one("#pixels", Static).update(colour_blocks(rgb), layout=False)
            what, legend = gradient_lines(grad, epoch, snapshot.labelled)
            self.query_one("#label", Static).update(Text(what), layout=False)
            prediction = self.query_one("#prediction", Static)
            prediction.update(Text(legend), layout=False)
            prediction.set_classes("-pending")
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
