"""A 28×28 canvas to draw a digit on, ink bright on black as in MNIST, with a soft pen."""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import ClassVar, Literal

import numpy as np
from rich.color import Color, blend_rgb
from rich.color_triplet import ColorTriplet
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.strip import Strip
from textual.widget import Widget

SIDE = 28  # pixels a side, as MNIST's; drawn two pixel rows a terminal cell
Tool = Literal["pen", "eraser"]
Point = tuple[float, float]  # (row, col) in pixels; pixel (r, c) covers [r, r+1) × [c, c+1)

# Every pixel's centre, (28, 28) each: distances are measured from there.
_ROWS, _COLS = np.mgrid[0:SIDE, 0:SIDE] + 0.5


@dataclass(frozen=True)
class Brush:
    """A round soft tip: full ink within ``core`` pixels of the path, none beyond ``edge``, a
    smoothstep between (the antialiased edge a pen stroke gets when scaled down to 28×28)."""

    core: float
    edge: float

    def coverage(self, d: np.ndarray) -> np.ndarray:
        """How much of a pixel at distance ``d`` (px) from the path the tip inks: 1 … 0."""
        t = np.clip((self.edge - d) / (self.edge - self.core), 0.0, 1.0)
        return t * t * (3.0 - 2.0 * t)


# A 2–3 px saturated core with a grey fringe, as MNIST's strokes look; the eraser is wider.
BRUSHES: dict[Tool, Brush] = {"pen": Brush(core=0.5, edge=2.0), "eraser": Brush(core=1.5, edge=2.5)}


def distance_to_segment(a: Point, b: Point) -> np.ndarray:
    """(28, 28) distances (px) from each pixel centre to the segment a→b (a dot when a == b).

    Measuring to the segment, not stamping dots along it, is what keeps a fast drag's stroke
    continuous: the terminal may report the mouse only every few cells."""
    (r0, c0), (r1, c1) = a, b
    dr, dc = r1 - r0, c1 - c0
    length2 = dr * dr + dc * dc
    t = 0.0 if length2 == 0 else np.clip(((_ROWS - r0) * dr + (_COLS - c0) * dc) / length2, 0, 1)
    return np.hypot(_ROWS - (r0 + t * dr), _COLS - (c0 + t * dc))


def apply(tool: Tool, base: np.ndarray, coverage: np.ndarray) -> np.ndarray:
    """The ink (28, 28) after a stroke covering ``coverage`` (0…1) of each pixel of ``base``.

    The pen adds ink towards 255 and saturates there (ink + (255 − ink)·coverage); the eraser
    takes away towards 0 (ink·(1 − coverage)); both stay within 0…255."""
    if tool == "pen":
        return base + (255.0 - base) * coverage
    return base * (1.0 - coverage)


def pointer_to_pixel(x: float, y: float) -> Point:
    """A pointer at (x, y) cells from the picture's corner as a (row, col) point in pixels: a
    cell is one pixel wide and two high.

    Textual reports sub-cell positions (fractional x, y) only from terminals with SGR-pixel
    mouse reports; most report whole cells, meaning "somewhere in this cell", so take its centre:
    for y that is the line between the cell's two pixel rows, and the round brush inks both
    alike."""
    col = x + 0.5 if float(x).is_integer() else x
    row = 2 * (y + 0.5 if float(y).is_integer() else y)
    return row, col


@lru_cache(maxsize=4096)
def half_block(upper: tuple[int, int, int], lower: tuple[int, int, int]) -> Style:
    """▀'s style: it paints the upper pixel's RGB (foreground) over the lower one's (background):
    the drawing canvas's, and the digit's pictures' (:func:`.digit.rgb_blocks`)."""
    return Style(color=Color.from_rgb(*upper), bgcolor=Color.from_rgb(*lower))


def _grey(v: int) -> ColorTriplet:
    return ColorTriplet(v, v, v)


@dataclass(eq=False)
class _Stroke:
    """One press–drag–release, or a run of key stamps: the ink before it and how much of each
    pixel its path has covered so far (0…1). Coverage is the maximum over the path, not a sum,
    so a stroke looks the same however many mouse events sampled it."""

    tool: Tool
    by_mouse: bool
    base: np.ndarray  # (28, 28) ink when the stroke began
    coverage: np.ndarray  # (28, 28)
    last: Point | None = None  # the mouse's previous point, where the next segment starts


class Canvas(Widget, can_focus=True):
    """A 28×28 digit to draw: left drag paints, right drag erases; arrows, space, x and c too."""

    ALLOW_SELECT = False  # a drag paints; it does not select text
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "move(-1, 0)", "Cursor ↑", show=False),
        Binding("down", "move(1, 0)", "Cursor ↓", show=False),
        Binding("left", "move(0, -1)", "Cursor ←", show=False),
        Binding("right", "move(0, 1)", "Cursor →", show=False),
        Binding("space", "stamp('pen')", "Paint"),
        Binding("x", "stamp('eraser')", "Erase"),
        Binding("backspace", "stamp('eraser')", "Erase", show=False),
        Binding("delete", "stamp('eraser')", "Erase", show=False),
        Binding("c", "clear", "Clear"),
        Binding("enter", "submit", "Use it"),
    ]
    COMPONENT_CLASSES: ClassVar[set[str]] = {"canvas--cursor"}

    cursor: reactive[tuple[int, int]] = reactive((SIDE // 2, SIDE // 2))
    """The keys' pixel (row, col); highlighted while the canvas has focus."""

    class Changed(Message):
        """The picture changed: ``pixels`` (784,) uint8, row-major, a read-only copy. A newer
        one replaces an older one still queued, so a fast drag is not a flood of updates."""

        def __init__(self, canvas: Canvas, pixels: np.ndarray) -> None:
            super().__init__()
            self.canvas, self.pixels = canvas, pixels

        @property
        def control(self) -> Canvas:
            return self.canvas

        def can_replace(self, message: Message) -> bool:
            return isinstance(message, Canvas.Changed) and message.canvas is self.canvas

    class Submitted(Message):
        """Enter: the learner offers ``pixels`` (784,) uint8 (a read-only copy) to the network."""

        def __init__(self, canvas: Canvas, pixels: np.ndarray) -> None:
            super().__init__()
            self.canvas, self.pixels = canvas, pixels

        @property
        def control(self) -> Canvas:
            return self.canvas

    def __init__(
        self, pixels: np.ndarray | None = None, *, id: str | None = None, classes: str = ""
    ) -> None:
        super().__init__(id=id, classes=classes)
        self._ink = np.zeros((SIDE, SIDE))  # float, 0…255, so soft edges build up smoothly
        self._stroke: _Stroke | None = None
        if pixels is not None:
            self._ink = _as_ink(pixels)

    # --- the picture ------------------------------------------------------------------------

    @property
    def pixels(self) -> np.ndarray:
        """The picture as the data set stores a digit: (784,) uint8, row-major, read-only."""
        pixels = np.rint(np.clip(self._ink, 0, 255)).astype(np.uint8).ravel()
        pixels.setflags(write=False)
        return pixels

    def load(self, pixels: np.ndarray) -> None:
        """Start from ``pixels`` (784 values 0…255, e.g. the example shown); posts Changed."""
        self._stroke = None
        self._ink = _as_ink(pixels)
        self._changed()

    def clear(self) -> None:
        """Blank the picture; posts Changed."""
        self.load(np.zeros(SIDE * SIDE))

    def _draw(self, a: Point, b: Point) -> None:
        """Extend the current stroke by the segment a→b and show the result."""
        stroke = self._stroke
        assert stroke is not None
        covered = BRUSHES[stroke.tool].coverage(distance_to_segment(a, b))
        np.maximum(stroke.coverage, covered, out=stroke.coverage)
        self._ink = apply(stroke.tool, stroke.base, stroke.coverage)
        stroke.last = b
        # The pixel under b; a point on the line between two rows picks the upper one.
        self.cursor = (math.ceil(b[0]) - 1, math.ceil(b[1]) - 1)
        self._changed()

    def _begin(self, tool: Tool, by_mouse: bool) -> _Stroke:
        self._stroke = _Stroke(tool, by_mouse, self._ink.copy(), np.zeros((SIDE, SIDE)))
        return self._stroke

    def _changed(self) -> None:
        self.refresh()
        self.post_message(self.Changed(self, self.pixels))

    # --- the mouse --------------------------------------------------------------------------

    def _point(self, event: events.MouseEvent) -> Point:
        """The event's pointer in pixels (floats: Textual may report sub-cell positions)."""
        x = event.pointer_x - self.content_offset.x - self._left()
        y = event.pointer_y - self.content_offset.y
        return pointer_to_pixel(x, y)

    def on_mouse_down(self, event: events.MouseDown) -> None:
        tool: Tool | None = {1: "pen", 3: "eraser"}.get(event.button)
        if tool is None:
            return
        event.stop()
        self.capture_mouse()  # a drag past the edge still reaches us, and so does its release
        self._begin(tool, by_mouse=True)
        point = self._point(event)
        self._draw(point, point)

    def on_mouse_move(self, event: events.MouseMove) -> None:
        # The stroke, not event.button, says whether a button is held: some terminals (and
        # Pilot's hover) report a drag's moves without the button.
        stroke = self._stroke
        if stroke is not None and stroke.by_mouse and stroke.last is not None:
            event.stop()
            self._draw(stroke.last, self._point(event))

    def on_mouse_up(self, event: events.MouseUp) -> None:
        stroke = self._stroke
        if stroke is not None and stroke.by_mouse and stroke.last is not None:
            event.stop()
            self._draw(stroke.last, self._point(event))
            self._stroke = None
        self.release_mouse()

    # --- the keys ---------------------------------------------------------------------------

    def validate_cursor(self, cursor: tuple[int, int]) -> tuple[int, int]:
        row, col = cursor
        return min(max(row, 0), SIDE - 1), min(max(col, 0), SIDE - 1)

    def action_move(self, drow: int, dcol: int) -> None:
        """Move the cursor a pixel."""
        row, col = self.cursor
        self.cursor = (row + drow, col + dcol)

    def action_stamp(self, tool: Tool) -> None:
        """Pen or eraser at the cursor. Stamps with only moves between them are one stroke, so
        space, →, space… draws a line as even as a drag's."""
        stroke = self._stroke
        if stroke is None or stroke.by_mouse or stroke.tool != tool:
            self._begin(tool, by_mouse=False)
        row, col = self.cursor
        centre = (row + 0.5, col + 0.5)
        self._draw(centre, centre)

    def action_clear(self) -> None:
        """Blank the picture."""
        self.clear()

    def action_submit(self) -> None:
        """Offer the picture to the network."""
        self.post_message(self.Submitted(self, self.pixels))

    # --- drawing ----------------------------------------------------------------------------

    def get_content_width(self, container: Size, viewport: Size) -> int:
        return SIDE

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return SIDE // 2

    def _left(self) -> int:
        """Blank columns before the picture: it sits centred in a wider content area."""
        return max((self.size.width - SIDE) // 2, 0)

    def _cursor_colour(self) -> ColorTriplet:
        colour = self.get_component_rich_style("canvas--cursor", partial=True).color
        if colour is None:  # no rule for it in the app's CSS: the theme's accent
            theme = self.app.current_theme
            colour = Color.parse(theme.accent or theme.primary)
        return colour.get_truecolor()

    def render_line(self, y: int) -> Strip:
        """Line y: pixel rows 2y (▀'s foreground) and 2y + 1 (its background)."""
        width, blank = self.size.width, self.rich_style
        if not 0 <= y < SIDE // 2:
            return Strip.blank(width, blank)
        grey = np.rint(np.clip(self._ink[2 * y : 2 * y + 2], 0, 255)).astype(int).tolist()
        upper, lower = ([_grey(v) for v in row] for row in grey)
        row, col = self.cursor
        if self.has_focus and row // 2 == y:
            pixels = upper if row % 2 == 0 else lower
            # Mostly the accent, a little of the ink: the cursor shows on black and on white.
            pixels[col] = blend_rgb(pixels[col], self._cursor_colour(), 0.7)
        left = self._left()
        segments = [Segment(" " * left, blank)] if left else []
        segments += [Segment("▀", half_block(u, v)) for u, v in zip(upper, lower, strict=True)]
        return Strip(segments).adjust_cell_length(width, blank)


def _as_ink(pixels: np.ndarray) -> np.ndarray:
    """784 values (any shape) as the canvas's (28, 28) float ink, clipped to 0…255."""
    values = np.asarray(pixels, dtype=np.float64)
    if values.size != SIDE * SIDE:
        raise ValueError(f"a canvas holds {SIDE * SIDE} pixels, not {values.size}")
    return np.clip(values.reshape(SIDE, SIDE), 0.0, 255.0)
