"""The drawing canvas under Pilot: mouse drags and keys put ink where the learner drew and
nowhere else, the right button and x erase, every change is announced with the new pixels, and
what is rendered is the ink."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import pilot_test
from textual.app import App, ComposeResult
from textual.widgets import Button

from netviz.tui.canvas import (
    BRUSHES,
    SIDE,
    Canvas,
    apply,
    distance_to_segment,
    pointer_to_pixel,
)

# The snippet the lead pastes into netviz.tcss, so the tests see the tour's look.
CSS = """
Canvas { width: auto; height: auto; }
Canvas > .canvas--cursor { color: $accent; }
"""
LEFT, RIGHT = 1, 3  # Textual's mouse buttons


class Host(App):
    """The canvas, a button to take the focus elsewhere, and keys the tour also binds."""

    CSS = CSS
    BINDINGS = [(k, f"tour_key('{k}')") for k in ("c", "x", "space", "up", "enter")]

    def __init__(self) -> None:
        super().__init__()
        self.changed: list[np.ndarray] = []
        self.submitted: list[np.ndarray] = []
        self.tour_keys: list[str] = []

    def compose(self) -> ComposeResult:
        yield Canvas()
        yield Button("elsewhere")

    def on_canvas_changed(self, message: Canvas.Changed) -> None:
        self.changed.append(message.pixels)

    def on_canvas_submitted(self, message: Canvas.Submitted) -> None:
        self.submitted.append(message.pixels)

    def action_tour_key(self, key: str) -> None:
        self.tour_keys.append(key)


def image(canvas: Canvas) -> np.ndarray:
    return canvas.pixels.reshape(SIDE, SIDE)


def distances_to_polyline(points: list[tuple[float, float]]) -> np.ndarray:
    """(28, 28) distance of each pixel centre to a polyline of (row, col) points, by brute
    force over points sampled densely along it (independent of the canvas's own geometry)."""
    rows, cols = np.mgrid[0:SIDE, 0:SIDE] + 0.5
    best = np.full((SIDE, SIDE), np.inf)
    for (r0, c0), (r1, c1) in zip(points, points[1:] or points, strict=False):
        for t in np.linspace(0, 1, 2001):
            r, c = r0 + t * (r1 - r0), c0 + t * (c1 - c0)
            best = np.minimum(best, np.hypot(rows - r, cols - c))
    return best


def cell_centre(x: int, y: int) -> tuple[float, float]:
    """Where a whole-cell mouse report at cell (x, y) means: col x + ½, between rows 2y, 2y+1."""
    return 2 * y + 1.0, x + 0.5


async def drag(pilot, canvas: Canvas, cells: list[tuple[int, int]], button: int = LEFT) -> None:
    """Press at the first cell, move through the others, release at the last."""
    await pilot.mouse_down(canvas, offset=cells[0], button=button)
    for cell in cells[1:-1]:
        await pilot.hover(canvas, offset=cell)
    await pilot.mouse_up(canvas, offset=cells[-1])
    await pilot.pause()


def assert_stroke_along(ink: np.ndarray, distance: np.ndarray, brush) -> None:
    """Saturated within the brush's core of the path, blank beyond its edge, 0…255 everywhere."""
    assert ink.min() >= 0 and ink.max() <= 255
    assert (ink[distance <= brush.core - 1e-6] == 255).all()
    assert (ink[distance >= brush.edge + 1e-6] == 0).all()
    assert ink[(distance > brush.core) & (distance < brush.edge)].min() < 255  # soft sides


class TestGeometry:
    """The pure pieces: where a pointer lands, and how soft the tip is."""

    @pytest.mark.parametrize(
        ("x", "y", "expected"),
        [
            (0, 0, (1.0, 0.5)),  # a whole cell: its centre, between its two pixel rows
            (27, 13, (27.0, 27.5)),
            (3.25, 2.75, (5.5, 3.25)),  # a sub-cell report: where it says
        ],
        ids=["cell-corner", "cell-far-corner", "sub-cell"],
    )
    def test_a_pointer_maps_to_pixels_two_rows_a_cell(self, x, y, expected):
        assert pointer_to_pixel(x, y) == pytest.approx(expected)

    @pytest.mark.parametrize("tool", ["pen", "eraser"])
    def test_the_tip_is_full_in_its_core_and_fades_to_nothing(self, tool):
        brush = BRUSHES[tool]
        d = np.linspace(0, brush.edge + 1, 200)
        cover = brush.coverage(d)
        assert (cover[d <= brush.core] == 1).all() and (cover[d >= brush.edge] == 0).all()
        assert (np.diff(cover) <= 0).all()  # never more ink further from the path

    @pytest.mark.parametrize(
        ("tool", "base", "coverage", "expected"),
        [
            ("pen", 0, 0.5, 127.5),  # half the tip on blank paper: half ink
            ("pen", 100, 0.5, 177.5),  # half the way from 100 to 255
            ("pen", 255, 0.9, 255),  # saturated stays saturated
            ("pen", 40, 1.0, 255),  # the core: full ink whatever was there
            ("eraser", 200, 0.25, 150),
            ("eraser", 200, 1.0, 0),
        ],
        ids=["pen-blank", "pen-grey", "pen-saturated", "pen-core", "eraser-part", "eraser-core"],
    )
    def test_ink_adds_towards_255_and_erasing_takes_towards_0(self, tool, base, coverage, expected):
        got = apply(tool, np.full((SIDE, SIDE), float(base)), np.full((SIDE, SIDE), coverage))
        assert got == pytest.approx(np.full((SIDE, SIDE), expected))

    def test_distance_to_a_segment_matches_brute_force(self):
        a, b = (3.2, 4.1), (20.7, 15.3)
        assert distance_to_segment(a, b) == pytest.approx(distances_to_polyline([a, b]), abs=2e-3)


class TestMouse:
    """Dragging paints (left) and erases (right) along the path, and only there."""

    @pilot_test
    async def test_a_left_drag_paints_along_its_path_and_nowhere_else(self):
        app = Host()
        async with app.run_test(size=(60, 20)) as pilot:
            canvas = app.query_one(Canvas)
            path = [(4, 3), (10, 5), (20, 5), (22, 11)]
            await drag(pilot, canvas, path)
            distance = distances_to_polyline([cell_centre(*c) for c in path])
            assert_stroke_along(image(canvas), distance, BRUSHES["pen"])

    @pilot_test
    async def test_a_fast_drag_reported_only_at_its_ends_leaves_a_continuous_stroke(self):
        app = Host()
        async with app.run_test(size=(60, 20)) as pilot:
            canvas = app.query_one(Canvas)
            await drag(pilot, canvas, [(2, 2), (25, 12)])  # no moves reported between
            distance = distances_to_polyline([cell_centre(2, 2), cell_centre(25, 12)])
            assert_stroke_along(image(canvas), distance, BRUSHES["pen"])

    @pilot_test
    async def test_a_right_drag_erases_along_its_path_and_leaves_the_rest(self):
        app = Host()
        async with app.run_test(size=(60, 20)) as pilot:
            canvas = app.query_one(Canvas)
            canvas.load(np.full(SIDE * SIDE, 255, dtype=np.uint8))
            await drag(pilot, canvas, [(3, 7), (24, 7)], button=RIGHT)
            distance = distances_to_polyline([cell_centre(3, 7), cell_centre(24, 7)])
            ink, eraser = image(canvas), BRUSHES["eraser"]
            assert (ink[distance <= eraser.core - 1e-6] == 0).all()
            assert (ink[distance >= eraser.edge + 1e-6] == 255).all()

    @pilot_test
    async def test_strokes_over_strokes_saturate_at_255(self):
        app = Host()
        async with app.run_test(size=(60, 20)) as pilot:
            canvas = app.query_one(Canvas)
            await drag(pilot, canvas, [(5, 5), (22, 6)])
            once = image(canvas).astype(int)
            for _ in range(3):  # the same stroke again: more ink on its soft sides
                await drag(pilot, canvas, [(5, 5), (22, 6)])
            ink = image(canvas).astype(int)
            sides = (once > 0) & (once < 255)
            assert (ink[sides] > once[sides]).all() and ink.max() == 255
            assert (ink[once == 0] == 0).all()

    @pilot_test
    async def test_a_drag_is_announced_with_the_new_pixels(self):
        app = Host()
        async with app.run_test(size=(60, 20)) as pilot:
            canvas = app.query_one(Canvas)
            await drag(pilot, canvas, [(4, 4), (20, 4)])
            assert app.changed, "no Changed message"
            last = app.changed[-1]
            assert last.dtype == np.uint8 and last.shape == (SIDE * SIDE,)
            assert np.array_equal(last, canvas.pixels) and last.max() == 255
            assert not last.flags.writeable
            await pilot.press("c")  # the canvas has the focus since the click
            assert not app.changed[-1].any()
            assert last.max() == 255  # a copy: the clear did not reach the earlier message


class TestKeys:
    """Arrows move the cursor, space paints there, x erases, c clears, Enter offers the digit;
    they are the canvas's only while it has the focus."""

    @pilot_test
    async def test_arrows_move_the_cursor_and_space_paints_a_soft_dot_there(self):
        app = Host()
        async with app.run_test(size=(60, 20)) as pilot:
            canvas = app.query_one(Canvas)
            canvas.focus()
            start = canvas.cursor
            await pilot.press("right", "right", "right", "down", "down", "up", "space")
            row, col = start[0] + 1, start[1] + 3
            assert canvas.cursor == (row, col)
            distance = distances_to_polyline([(row + 0.5, col + 0.5)])
            assert_stroke_along(image(canvas), distance, BRUSHES["pen"])
            assert np.array_equal(app.changed[-1], canvas.pixels)

    @pilot_test
    async def test_space_and_moves_draw_a_line_like_a_drag(self):
        app = Host()
        async with app.run_test(size=(60, 20)) as pilot:
            canvas = app.query_one(Canvas)
            canvas.focus()
            await pilot.press("space", *["right", "space"] * 6)
            row, col = canvas.cursor
            distance = distances_to_polyline([(row + 0.5, col - 5.5), (row + 0.5, col + 0.5)])
            assert_stroke_along(image(canvas), distance, BRUSHES["pen"])

    @pilot_test
    async def test_x_erases_at_the_cursor_and_c_clears(self):
        app = Host()
        async with app.run_test(size=(60, 20)) as pilot:
            canvas = app.query_one(Canvas)
            canvas.load(np.full(SIDE * SIDE, 200, dtype=np.uint8))
            canvas.focus()
            await pilot.press("x")
            row, col = canvas.cursor
            ink = image(canvas)
            assert ink[row, col] == 0 and ink[0, 0] == 200
            await pilot.press("c")
            assert not canvas.pixels.any() and not app.changed[-1].any()

    @pilot_test
    async def test_the_cursor_stops_at_the_edges(self):
        app = Host()
        async with app.run_test(size=(60, 20)) as pilot:
            canvas = app.query_one(Canvas)
            canvas.focus()
            await pilot.press(*["up"] * 20, *["left"] * 20)
            assert canvas.cursor == (0, 0)
            await pilot.press(*["down"] * 40, *["right"] * 40)
            assert canvas.cursor == (SIDE - 1, SIDE - 1)

    @pilot_test
    async def test_enter_offers_the_drawn_digit(self):
        app = Host()
        async with app.run_test(size=(60, 20)) as pilot:
            canvas = app.query_one(Canvas)
            canvas.focus()
            await pilot.press("space", "enter")
            assert len(app.submitted) == 1 and np.array_equal(app.submitted[0], canvas.pixels)
            assert app.submitted[0].max() == 255

    @pilot_test
    async def test_keys_reach_the_tour_when_the_canvas_is_not_focused(self):
        app = Host()
        async with app.run_test(size=(60, 20)) as pilot:
            canvas = app.query_one(Canvas)
            canvas.focus()
            await pilot.press("c", "x", "space", "up", "enter")
            assert app.tour_keys == []
            app.query_one(Button).focus()
            before = canvas.pixels.copy()
            await pilot.press("c", "x", "up")
            assert app.tour_keys == ["c", "x", "up"]
            assert np.array_equal(canvas.pixels, before)


class TestPicture:
    """What the canvas loads, hands out and renders."""

    @pilot_test
    async def test_a_loaded_digit_is_shown_and_announced(self):
        rng = np.random.default_rng(3)
        digit = rng.integers(0, 256, SIDE * SIDE, dtype=np.uint8)
        app = Host()
        async with app.run_test(size=(60, 20)) as pilot:
            canvas = app.query_one(Canvas)
            canvas.load(digit)
            await pilot.pause()
            assert np.array_equal(canvas.pixels, digit)
            assert np.array_equal(app.changed[-1], digit)

    def test_a_picture_of_the_wrong_size_is_refused(self):
        with pytest.raises(ValueError, match="784 pixels, not 100"):
            Canvas(np.zeros(100))

    @pilot_test
    async def test_each_cell_shows_its_two_pixels_as_a_half_block(self):
        rng = np.random.default_rng(4)
        digit = rng.integers(0, 256, SIDE * SIDE, dtype=np.uint8)
        app = Host()
        async with app.run_test(size=(60, 20)) as pilot:
            canvas = app.query_one(Canvas)
            canvas.load(digit)
            await drag(pilot, canvas, [(3, 2), (20, 9)])  # ink on top of the loaded digit
            app.query_one(Button).focus()  # no cursor drawn
            await pilot.pause()
            ink = image(canvas)
            assert canvas.size.height == SIDE // 2
            for y in range(SIDE // 2):
                cells = [s for s in canvas.render_line(y) if s.text.strip()]
                assert "".join(s.text for s in cells) == "▀" * SIDE
                upper = [s.style.color.get_truecolor() for s in cells]
                lower = [s.style.bgcolor.get_truecolor() for s in cells]
                assert [c.red for c in upper] == ink[2 * y].tolist()
                assert [c.red for c in lower] == ink[2 * y + 1].tolist()
                assert all(c.red == c.green == c.blue for c in upper + lower)

    @pilot_test
    async def test_the_cursor_pixel_is_highlighted_only_while_focused(self):
        app = Host()
        async with app.run_test(size=(60, 20)) as pilot:
            canvas = app.query_one(Canvas)
            canvas.focus()
            await pilot.press("down")  # row 15: the lower pixel of line 7
            await pilot.pause()
            row, col = canvas.cursor
            cell = [s for s in canvas.render_line(row // 2) if s.text.strip()][col]
            assert cell.style.bgcolor.get_truecolor() != (0, 0, 0)  # the cursor's colour
            assert cell.style.color.get_truecolor() == (0, 0, 0)  # its upper pixel: ink
            app.query_one(Button).focus()
            await pilot.pause()
            cell = [s for s in canvas.render_line(row // 2) if s.text.strip()][col]
            assert cell.style.bgcolor.get_truecolor() == (0, 0, 0)

    def test_a_newer_change_replaces_a_queued_one_of_the_same_canvas_only(self):
        a, b = Canvas(), Canvas()
        pixels = a.pixels
        assert Canvas.Changed(a, pixels).can_replace(Canvas.Changed(a, pixels))
        assert not Canvas.Changed(a, pixels).can_replace(Canvas.Changed(b, pixels))


def test_half_blocks_paint_two_pixels_a_cell_in_grey_and_in_colour():
    """One ▀ loop for both pictures: the upper pixel is the foreground, the lower the
    background, an odd last row sits over black; grey g is the colour (g, g, g)."""
    from rich.color import Color

    from netviz.tui.digit import colour_blocks, grey_blocks

    image = np.array([[0, 255, 10], [20, 30, 40], [250.4, 5.6, 128]])
    text = grey_blocks(image)
    lines = text.plain.split("\n")
    assert lines == ["▀▀▀", "▀▀▀"]
    styles = [span.style for span in text.spans]
    assert [(s.color.triplet, s.bgcolor.triplet) for s in styles[:3]] == [
        ((0, 0, 0), (20, 20, 20)),
        ((255, 255, 255), (30, 30, 30)),
        ((10, 10, 10), (40, 40, 40)),
    ]
    assert [(s.color.triplet, s.bgcolor.triplet) for s in styles[3:]] == [
        ((250, 250, 250), (0, 0, 0)),
        ((6, 6, 6), (0, 0, 0)),
        ((128, 128, 128), (0, 0, 0)),
    ]  # rounded; the odd row over black
    rgb = np.zeros((784, 3), dtype=int)
    rgb[0], rgb[28] = (215, 48, 39), (49, 104, 224)
    first = colour_blocks(rgb).spans[0].style
    assert first.color == Color.from_rgb(215, 48, 39)
    assert first.bgcolor == Color.from_rgb(49, 104, 224)
