"""Figures drawn from numpy arrays with matplotlib's ``Figure`` on the Agg canvas (never pyplot).

Nothing here knows about traces: callers pass the arrays and the words to put around them.
Colours are diverging (blue < 0 < red) and centred on zero, so white always means "no change",
"no weight" or "no gradient", whatever the figure. matplotlib is imported inside the functions,
so importing this module costs nothing until a figure is drawn.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import NetvizError
from ..files import atomic_writer

CMAP = "RdBu_r"  # negative blue, zero white, positive red
BAD = "#555555"  # NaN (a diverged run) is grey, never mistaken for zero
DPI = 100
TILE_SIZE = (8.0, 8.8)  # inches: a 4×4 grid of 28×28 tiles, colorbar, two-line title, caption
MATRIX_WIDTH = 8.0  # inches; the height follows the matrix's shape, so the colorbar fits it
CURVES_SIZE = (12.0, 4.8)
TITLE_SIZE = 13
FORMATS = {".png": "png", ".svg": "svg", ".pdf": "pdf"}


@dataclass(frozen=True)
class Curve:
    """One run's cost and accuracies, as plotted: each measured at the weights after
    ``trained`` (n,) epochs (epoch e's metrics row is at e − 1: the weights it started from),
    the rest (n,) alike; then, if the run recorded them, its final figures ``final`` = (epochs
    trained, cost, train accuracy, test accuracy): at the weights after its last update.

    ``test_accuracy`` is all NaN for a run without a test set (then it is not drawn).
    """

    name: str
    trained: np.ndarray
    cost: np.ndarray
    train_accuracy: np.ndarray
    test_accuracy: np.ndarray
    final: tuple[int, float, float, float] | None = None


def new_figure(size: tuple[float, float], dpi: int = DPI):
    """An empty Figure on an Agg canvas, laid out by the constrained-layout engine."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=size, dpi=dpi, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def symmetric_limit(*arrays: np.ndarray) -> float:
    """The largest |value| among the finite entries of ``arrays``; 1.0 when there is none (an
    all-zero or all-NaN array), so the scale is never empty."""
    biggest = 0.0
    for a in arrays:
        finite = np.abs(a[np.isfinite(a)])
        if finite.size:
            biggest = max(biggest, float(finite.max()))
    return biggest if biggest > 0 else 1.0


def centred_norm(limit: float):
    """Normalize from −limit to +limit: zero sits in the middle of the colormap."""
    from matplotlib.colors import Normalize

    return Normalize(vmin=-limit, vmax=limit)


def colormap():
    import matplotlib

    return matplotlib.colormaps[CMAP].with_extremes(bad=BAD)


def is_image_layer(matrix: np.ndarray) -> bool:
    """Whether each row is a square picture (layer 1: 784 inputs = 28×28 pixels)."""
    side = math.isqrt(matrix.shape[1])
    return matrix.ndim == 2 and side * side == matrix.shape[1] and side >= 8


def layer_figure(
    matrix: np.ndarray,
    layer: int,
    title: str,
    limit: float | None = None,
    *,
    caption: str = "",
    rows_name: str = "",
    dpi: int = DPI,
):
    """One layer's (n_l, n_{l−1}) matrix on its own figure, with a colorbar and ``title``.

    Rows that are pictures (layer 1's (16, 784)) become tiles of 28×28, one per neuron;
    other layers are drawn as one matrix, rows = neurons of layer l, columns = of layer l−1.
    ``limit`` fixes the colour scale at ±limit (default: the matrix's own largest |value|);
    ``rows_name`` labels a matrix's rows (default ``neuron of layer l``).
    """
    if is_image_layer(matrix):
        return tiles_figure(matrix, title, limit, caption=caption, dpi=dpi)
    fig = new_figure(matrix_size(matrix, bool(caption)), dpi)
    draw_layer(fig, matrix, layer, limit, rows_name=rows_name)
    fig.suptitle(title, fontsize=TITLE_SIZE, parse_math=False)
    if caption:
        fig.supxlabel(caption, fontsize=10, color="#333333", parse_math=False)
    return fig


def tiles_figure(
    matrix: np.ndarray, title: str, limit: float | None = None, *, caption: str = "", dpi=DPI
):
    """Each row of ``matrix`` (n, side²) as a side×side tile in a near-square grid, one colour
    scale and colorbar for all, a two-line ``title`` above and ``caption`` below.

    Placed by hand rather than by the constrained-layout engine: its 16 axes' bounding boxes
    cost 0.3 s a figure, a third of the command's time (benchmarks/RESULTS.md).
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=TILE_SIZE, dpi=dpi)
    FigureCanvasAgg(fig)
    boxes, bar_box = _tile_boxes(matrix.shape[0], *TILE_SIZE)
    norm = centred_norm(symmetric_limit(matrix) if limit is None else limit)
    images = _fill_tiles([fig.add_axes(box) for box in boxes], matrix, norm, small=False)
    bar = fig.colorbar(images[0], cax=fig.add_axes(bar_box))
    bar.ax.tick_params(labelsize=9)
    fig.suptitle(title, fontsize=TITLE_SIZE, parse_math=False)  # as layer_figure's, for frames
    if caption:
        fig.text(0.5, 0.12 / TILE_SIZE[1], caption, ha="center", va="bottom", fontsize=10,
                 color="#333333", parse_math=False)  # fmt: skip
    return fig


def _tile_boxes(n: int, width: float, height: float):
    """[left, bottom, width, height] in figure fractions of n tiles (row by row) and of the
    colorbar, for a figure of ``width``×``height`` inches: 0.8 in of title on top, 0.4 in of
    caption below, 1 in of colorbar on the right, 0.22 in of tile title over each tile."""
    cols = math.ceil(math.sqrt(n))
    rows = math.ceil(n / cols)
    top, bottom, left, right, gap, label = 0.8, 0.4, 0.15, 1.0, 0.12, 0.22
    tile = min(
        (width - left - right - gap * (cols - 1)) / cols,
        (height - top - bottom - label * rows - gap * (rows - 1)) / rows,
    )
    grid_w, grid_h = cols * tile + gap * (cols - 1), rows * (tile + label) + gap * (rows - 1)
    x0 = left + (width - left - right - grid_w) / 2
    y_top = height - top - (height - top - bottom - grid_h) / 2
    boxes = []
    for i in range(n):
        r, c = divmod(i, cols)
        x, y = x0 + c * (tile + gap), y_top - (r + 1) * (tile + label) - r * gap
        boxes.append([x / width, y / height, tile / width, tile / height])
    bar_h = 0.8 * grid_h
    bar = [(x0 + grid_w + 0.2) / width, (y_top - grid_h + 0.1 * grid_h) / height,
           0.2 / width, bar_h / height]  # fmt: skip
    return boxes, bar


def images_of(fig) -> list:
    """The AxesImages of a figure drawn here, in drawing order (tile 0 first); colorbars and
    curves are not images."""
    return [im for ax in fig.axes for im in ax.get_images()]


def matrix_size(matrix: np.ndarray, caption: bool = False) -> tuple[float, float]:
    """Inches for a matrix figure: 8 wide, as tall as square cells need, plus title and labels."""
    rows, cols = matrix.shape
    cell = (MATRIX_WIDTH - 2.0) / max(cols, rows)
    return MATRIX_WIDTH, rows * cell + 1.8 + (0.3 if caption else 0.0)


def draw_layer(
    fig,
    matrix: np.ndarray,
    layer: int,
    limit: float | None = None,
    *,
    small: bool = False,
    rows_name: str = "",
) -> list:
    """Draw ``matrix`` onto ``fig`` (a Figure or SubFigure) as tiles or a matrix, with one
    colorbar; returns the AxesImages (one per tile, or one)."""
    norm = centred_norm(symmetric_limit(matrix) if limit is None else limit)
    if is_image_layer(matrix):
        images = _draw_tiles(fig, matrix, norm, small)
    else:
        images = [_draw_matrix(fig, matrix, layer, norm, small, rows_name)]
    axes = [im.axes for im in images]
    bar = fig.colorbar(images[0], ax=axes, shrink=0.8, aspect=30, pad=0.02)
    bar.ax.tick_params(labelsize=8 if small else 9)
    return images


def _draw_tiles(fig, matrix: np.ndarray, norm, small: bool) -> list:
    """Each row of ``matrix`` (n, side²) as a side×side tile, laid out in a near-square grid."""
    n = matrix.shape[0]
    cols = math.ceil(math.sqrt(n))
    rows = math.ceil(n / cols)
    axes = list(fig.subplots(rows, cols, squeeze=False).flat)
    for ax in axes[n:]:
        ax.set_axis_off()
    return _fill_tiles(axes[:n], matrix, norm, small)


def _fill_tiles(axes: list, matrix: np.ndarray, norm, small: bool) -> list:
    """Row i of ``matrix`` as a square tile in ``axes[i]``, titled with the neuron's number."""
    side, cmap, images = math.isqrt(matrix.shape[1]), colormap(), []
    for i, ax in enumerate(axes):
        ax.set_xticks([])
        ax.set_yticks([])
        tile = matrix[i].reshape(side, side)
        images.append(ax.imshow(tile, cmap=cmap, norm=norm, interpolation="nearest"))
        ax.set_title(f"{i}" if small else f"neuron {i}", fontsize=7 if small else 9, pad=2)
    return images


def _draw_matrix(fig, matrix: np.ndarray, layer: int, norm, small: bool, rows_name: str):
    """``matrix`` (n_l, n_{l−1}) as one image with a tick per neuron (fewer when wide)."""
    ax = fig.subplots()
    image = ax.imshow(matrix, cmap=colormap(), norm=norm, interpolation="nearest")
    size = 7 if small else 9
    for axis, count in ((ax.xaxis, matrix.shape[1]), (ax.yaxis, matrix.shape[0])):
        step = max(1, math.ceil(count / 20))
        axis.set_ticks(range(0, count, step))
        axis.set_tick_params(labelsize=size)
    ax.set_xlabel(f"neuron of layer {layer - 1} (input)", fontsize=size + 1)
    ax.set_ylabel(rows_name or f"neuron of layer {layer}", fontsize=size + 1)
    return image


def digit_panel(fig, pixels: np.ndarray, title: str) -> None:
    """``pixels`` (784,) or (784, 1) drawn as a 28×28 grey digit (ink dark, paper white)."""
    side = math.isqrt(pixels.size)
    ax = fig.subplots()
    ax.imshow(np.asarray(pixels, float).reshape(side, side), cmap="gray_r", interpolation="nearest")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title(title, fontsize=11, parse_math=False)


INPUT_SIZE = (10.0, 5.9)  # inches: the digit and the map side by side, colorbar, title, caption


def input_figure(
    gradient: np.ndarray,
    x: np.ndarray,
    title: str,
    limit: float | None = None,
    *,
    x_words: str = "",
    bar_label: str = "",
    caption: str = "",
    dpi: int = DPI,
):
    """An input gradient (784,) or (784, 1) as a 28×28 map beside the digit ``x`` (same size)
    it was taken at: the digit in grey on the left; on the right the gradient, on a diverging
    scale centred on zero (±``limit``, default its largest |value|), under a thin outline of
    the digit's ink, with a colorbar labelled ``bar_label``; ``title`` above, ``caption`` below;
    ``x_words`` says what the digit is.
    """
    side = math.isqrt(gradient.size)
    pixels = np.asarray(x, dtype=float).reshape(side, side)
    fig = new_figure(INPUT_SIZE, dpi)
    digit_ax, map_ax = fig.subplots(1, 2)
    digit_ax.imshow(pixels, cmap="gray_r", interpolation="nearest")
    digit_ax.set_title(x_words or "x: what the network was given", fontsize=11,
                       parse_math=False)  # fmt: skip
    values = np.asarray(gradient).reshape(side, side)
    norm = centred_norm(symmetric_limit(values) if limit is None else limit)
    image = map_ax.imshow(values, cmap=colormap(), norm=norm, interpolation="nearest")
    if pixels.max() > 0:  # an all-black input has no ink to outline
        map_ax.contour(pixels, levels=[pixels.max() / 2], colors="black", linewidths=0.8,
                       alpha=0.55)  # fmt: skip
    map_ax.set_title("the gradient, over the digit's outline", fontsize=11)
    for ax in (digit_ax, map_ax):
        ax.set_xticks([])
        ax.set_yticks([])
    bar = fig.colorbar(image, ax=map_ax, shrink=0.85, pad=0.03)
    bar.ax.tick_params(labelsize=9)
    bar.set_label(bar_label, fontsize=10, parse_math=False)
    fig.suptitle(title, fontsize=TITLE_SIZE - 1.5, parse_math=False)
    if caption:
        fig.supxlabel(caption, fontsize=10, color="#333333", parse_math=False)
    return fig


CURVES_XLABEL = "epochs trained (0: the first weights)"
FINAL_MARKER = "D"  # the final weights' figures: a diamond after the curve's last point


def curves_figure(runs: Sequence[Curve], title: str):
    """Cost (left) and train/test accuracy (right) against the epochs trained before each was
    measured; one colour per run, train solid and test dashed, the final weights' figures as a
    diamond. Runs share the axes so they can be compared."""
    from matplotlib.ticker import MaxNLocator, PercentFormatter

    fig = new_figure(CURVES_SIZE)
    cost_ax, acc_ax = fig.subplots(1, 2)
    marker = "o" if max(len(run.trained) for run in runs) <= 30 else None  # a few epochs: dots
    for i, run in enumerate(runs):
        style = {"color": f"C{i}", "marker": marker, "markersize": 3}
        cost_ax.plot(run.trained, run.cost, label=run.name, **style)
        acc_ax.plot(run.trained, run.train_accuracy, label=f"{run.name} train", **style)
        tested = np.isfinite(run.test_accuracy).any()
        if tested:
            acc_ax.plot(run.trained, run.test_accuracy, "--", label=f"{run.name} test", **style)
        if run.final is not None:
            _final_points(cost_ax, acc_ax, run, f"C{i}", tested)
    cost_ax.set_title("cost (mean cross-entropy)", fontsize=11)
    cost_ax.set_ylabel("cost")
    acc_ax.set_title("accuracy", fontsize=11)
    acc_ax.set_ylabel("accuracy")
    acc_ax.yaxis.set_major_formatter(PercentFormatter(xmax=1, decimals=0))
    for ax in (cost_ax, acc_ax):
        ax.set_xlabel(CURVES_XLABEL)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(alpha=0.3)
        for text in ax.legend(fontsize=9).get_texts():  # run names are files' names, not TeX
            text.set_parse_math(False)
    fig.suptitle(title, fontsize=13, parse_math=False)
    return fig


def _final_points(cost_ax, acc_ax, run: Curve, colour: str, tested: bool) -> None:
    """The run's final figures: one diamond each for cost, train and test accuracy."""
    trained, cost, train, test = run.final
    style = {"color": colour, "marker": FINAL_MARKER, "markersize": 7, "linestyle": "none"}
    cost_ax.plot([trained], [cost], label=f"{run.name} final weights", **style)
    acc_ax.plot([trained], [train], label=f"{run.name} train, final weights", **style)
    if tested and test == test:
        acc_ax.plot([trained], [test], label=f"{run.name} test, final weights",
                    markerfacecolor="white", **style)  # fmt: skip


def rgb_pixels(fig) -> np.ndarray:
    """The figure rendered by Agg: (height, width, 3) uint8."""
    with quiet_glyphs():
        fig.canvas.draw()
    return np.asarray(fig.canvas.buffer_rgba())[..., :3].copy()


@contextmanager
def quiet_glyphs() -> Iterator[None]:
    """Drawing without matplotlib's "Glyph … missing from font(s)" warnings: a run's name may
    hold characters the font lacks (they are drawn as boxes), and the warning would echo the
    character itself to the terminal, in a multi-line report a learner cannot act on."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r"Glyph \d+ ", category=UserWarning)
        yield


def check_format(path: str | Path, allowed: Sequence[str], command: str) -> Path:
    """``path`` if its suffix is one of ``allowed`` (like ``.png``); else a NetvizError saying
    which suffixes the command writes."""
    path = Path(path)
    if path.suffix.lower() not in allowed:
        listed = ", ".join(allowed[:-1]) + f" or {allowed[-1]}" if len(allowed) > 1 else allowed[0]
        told = f"unknown format {path.suffix}" if path.suffix else "no suffix to tell the format"
        raise NetvizError(f"{path}: {told} ({command} writes {listed})")
    return path


def save(fig, path: str | Path) -> Path:
    """Write ``fig`` to ``path`` (.png, .svg or .pdf, by its suffix) atomically: a failure
    leaves no file behind."""
    path = check_format(path, list(FORMATS), "a figure")
    with atomic_writer(path) as f, quiet_glyphs():
        fig.savefig(f, format=FORMATS[path.suffix.lower()], dpi=DPI)
    return path


@dataclass(frozen=True)
class Panel:
    """One heatmap of a card: ``matrix`` (n_l, n_{l−1}) of layer ``layer`` under ``title``."""

    title: str
    matrix: np.ndarray
    layer: int
    rows_name: str = ""


def card_figure(
    title: str,
    equation: str,
    text: str,
    rows: Sequence[Sequence[Panel]],
    digit: tuple[np.ndarray, str] | None = None,
):
    """A step on one page: ``title``; the ``equation`` large, ``text`` (shapes and numbers)
    in monospace under it; then one row of heatmaps per entry of ``rows``, each with its own
    colour scale centred on zero; ``digit`` ((784,) pixels, caption) first in the first row."""
    text_height = 0.75 + 0.19 * (text.count("\n") + 1)  # inches: the equation, then the lines
    heights = [_row_height(row) for row in rows]
    width = 4.6 * max(len(r) for r in rows) + (2.8 if digit is not None else 0.0)
    fig = new_figure((width, 0.8 + text_height + sum(heights)))
    top, *bands = fig.subfigures(1 + len(rows), 1, height_ratios=[text_height, *heights])
    top.text(0.01, 1 - 0.1 / text_height, equation, va="top", fontsize=16, parse_math=False)
    top.text(0.01, 1 - 0.62 / text_height, text, va="top", family="monospace", fontsize=10,
             parse_math=False)  # fmt: skip
    for i, (band, row) in enumerate(zip(bands, rows, strict=True)):
        shown_digit = digit if i == 0 else None
        ratios = ([0.6] if shown_digit else []) + [1.0] * len(row)
        cells = band.subfigures(1, len(ratios), width_ratios=ratios, squeeze=False)[0]
        if shown_digit:
            digit_panel(cells[0], *shown_digit)
        for cell, panel in zip(cells[-len(row) :], row, strict=True):
            draw_layer(cell, panel.matrix, panel.layer, small=True, rows_name=panel.rows_name)
            cell.suptitle(panel.title, fontsize=11, parse_math=False)
    fig.suptitle(title, fontsize=TITLE_SIZE, parse_math=False)
    return fig


def _row_height(row: Sequence[Panel]) -> float:
    """Inches for a row of panels: tiles need room for 16 small titles; matrices their shape."""
    if any(is_image_layer(p.matrix) for p in row):
        return 4.6
    tallest = max(p.matrix.shape[0] / max(p.matrix.shape) for p in row)
    return 1.1 + 3.0 * tallest
