"""The charts: cost and accuracy per epoch as line charts with axes, and each layer's gradient norm
as a sparkline.

Every figure here was measured at the weights an epoch started from (before its update), so the
charts say so. The lines are drawn in braille dots (2 × 4 a cell) on a y axis labelled with the
series' minimum and maximum and an x axis with epoch ticks; they grow with the panel. Hand-drawn
rather than with textual-plotext (24 ms a render of a 500-epoch chart, time the epochs' thread
needs while they play; its legend covers the data) or textual-plot (draws through child canvases a
frame later, and binds the mouse to pan and zoom).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import ClassVar

import numpy as np
from rich.style import Style
from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

from ..session.snapshot import Metrics, Snapshot

TICKS = "▁▂▃▄▅▆▇█"
EMPTY = "no epochs yet — press e"
EMPTY_REPLAY = "no epochs in this trace"  # a replay cannot run one
HEADING = "at each epoch's starting weights"  # when the cost and accuracy were measured
SHORT_HEADING = "before each epoch's update"  # the same, where the long one does not fit
X_LABEL = "epoch"
# Braille dot bits, [row from the top][column]: U+2800 + the sum of a cell's lit dots.
DOTS = np.array([[0x01, 0x08], [0x02, 0x10], [0x04, 0x20], [0x40, 0x80]])


def sparkline(
    values: Sequence[float], width: int, low: float | None = None, high: float | None = None
) -> str:
    """``values`` as ``width`` (or fewer) bars; longer series are sampled evenly from the start
    to the latest value. Bars span ``low`` to ``high`` (the series' minimum and maximum unless
    given)."""
    if not values or width <= 0:
        return ""
    v = np.asarray(values, dtype=float)
    if v.size > width:
        v = v[np.linspace(0, v.size - 1, width).round().astype(int)]
    finite = v[np.isfinite(v)]
    if not finite.size:
        return "?" * v.size
    lo = float(finite.min()) if low is None else low
    hi = float(finite.max()) if high is None else high
    span = hi - lo
    if not np.isfinite(span) or span <= 0:
        return TICKS[len(TICKS) // 2] * v.size
    levels = np.clip(((v - lo) / span * (len(TICKS) - 1)).round(), 0, len(TICKS) - 1)
    return "".join(TICKS[int(k)] if np.isfinite(k) else "?" for k in levels)


def value_range(series: Sequence[Sequence[float]]) -> tuple[float, float] | None:
    """The smallest and largest finite value of all ``series`` (None if there is none)."""
    v = np.concatenate([np.asarray(s, dtype=float) for s in series])
    v = v[np.isfinite(v)]
    return (float(v.min()), float(v.max())) if v.size else None


def dot_spans(values: Sequence[float], columns: int) -> tuple[np.ndarray, np.ndarray]:
    """The line through ``values`` (spread evenly over ``columns`` dot columns, first to last)
    as the lowest and highest value it takes in each column, shapes (columns,); NaN where it has
    none. Non-finite values are left out (the line joins their neighbours)."""
    v = np.asarray(values, dtype=float)
    x = np.arange(v.size) * ((columns - 1) / max(v.size - 1, 1))
    finite = np.isfinite(v)
    x, v = x[finite], v[finite]
    lo = np.full(columns, np.nan)
    hi = np.full(columns, np.nan)
    if not v.size:
        return lo, hi
    # Where the line crosses each column's edges, then every point inside the column.
    c = np.arange(columns, dtype=float)
    inside = (c >= x[0] - 0.5) & (c <= x[-1] + 0.5)
    left = np.interp(np.clip(c - 0.5, x[0], x[-1]), x, v)
    right = np.interp(np.clip(c + 0.5, x[0], x[-1]), x, v)
    lo[inside] = np.minimum(left, right)[inside]
    hi[inside] = np.maximum(left, right)[inside]
    column = np.clip(x.round().astype(int), 0, columns - 1)
    np.fmin.at(lo, column, v)
    np.fmax.at(hi, column, v)
    return lo, hi


def braille_cells(values: Sequence[float], width: int, height: int, low: float, high: float):
    """The line of ``values`` in a ``height`` × ``width`` grid of braille cells whose bottom dot
    row is ``low`` and top one ``high``: code points, shape (height, width), 0 where no dot."""
    lo, hi = dot_spans(values, 2 * width)
    rows = 4 * height
    scale = (rows - 1) / (high - low) if high > low else 0.0
    middle = (rows - 1) / 2 if high <= low else 0.0
    bottom = np.rint((lo - low) * scale + middle)  # dot rows counted from the bottom
    top = np.rint((hi - low) * scale + middle)
    r = np.arange(rows)[::-1, None]  # row 0 is the top one
    lit = (r >= bottom) & (r <= top)  # NaN compares False: no dots
    lit = lit.reshape(height, 4, width, 2)
    return (lit * DOTS[None, :, None, :]).sum(axis=(1, 3))


def epoch_ticks(epochs: Sequence[int], width: int) -> list[tuple[int, str]]:
    """Where to mark epochs under a ``width``-cell line that runs from ``epochs[0]`` to
    ``epochs[-1]``: (cell, label) pairs at round numbers, labels apart by at least a space."""
    first, last = int(epochs[0]), int(epochs[-1])
    if last == first:
        return [(0, str(first))]
    per_epoch = (2 * width - 1) / (last - first) / 2  # cells per epoch
    room = len(str(last)) + 1
    step = next(
        s for k in range(12) for s in (10**k, 2 * 10**k, 5 * 10**k) if s * per_epoch >= room
    )
    marks = [first, *range(first - first % step + step, last + 1, step)]
    ticks: list[tuple[int, str]] = []
    end = -1  # the cell after the last label placed
    for epoch in marks:
        cell = min(int((epoch - first) * per_epoch * 2) // 2, width - 1)
        label = str(epoch)
        start = min(cell, width - len(label))
        if start > end:
            ticks.append((cell, label))
            end = start + len(label)
    return ticks


def along(m: Sequence[Metrics], epochs: Sequence[int], field: str) -> list[float]:
    """``field`` of each of ``epochs`` in ``m``, NaN where ``m`` has none (a fork starts
    later; the line joins only the epochs it has)."""
    by_epoch = {x.epoch: getattr(x, field) for x in m}
    return [by_epoch.get(e, float("nan")) for e in epochs]


def percent(x: float, digits: int = 1) -> str:
    """An accuracy as the tour writes it: ``74.0 %``; ``n/a`` where there is none (a run
    without a test set)."""
    return "n/a" if x != x else f"{x:.{digits}%}".replace("%", " %")


def number(x: float) -> str:
    """A cost or norm, 4 significant digits."""
    return f"{x:.4g}"


class Charts(Widget):
    """Cost and train / test accuracy per epoch as line charts with axes, and per-layer gradient
    norms, over the epochs run so far, all measured at each epoch's starting weights."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "charts--cost",
        "charts--train",
        "charts--test",
        "charts--gradient",
        "charts--muted",
        "charts--axis",
        "charts--fork",
    }

    snapshot: reactive[Snapshot | None] = reactive(None, always_update=True, repaint=False)
    """The state to show; set by the app."""

    def __init__(self) -> None:
        super().__init__()
        self._drawn: tuple | None = None  # the metrics last drawn: a step leaves them alone
        self.fork: tuple[str, tuple[Metrics, ...]] | None = None  # f: its name and metrics

    def watch_snapshot(self, snapshot: Snapshot | None) -> None:
        metrics = None if snapshot is None else (snapshot.metrics, self.fork)
        if metrics != self._drawn:
            self._drawn = metrics
            self.refresh()

    def on_mount(self) -> None:
        self.border_title = "charts"

    def _style(self, name: str) -> Style:
        return self.get_component_rich_style(f"charts--{name}")

    def render(self) -> Text:
        snapshot = self.snapshot
        if snapshot is None or not snapshot.metrics:
            empty = EMPTY if snapshot is None or snapshot.live else EMPTY_REPLAY
            return Text(empty, self._style("muted"))
        return self.draw(snapshot.metrics, self.content_size.width, self.content_size.height)

    def draw(self, m: Sequence[Metrics], width: int, height: int) -> Text:
        """The charts of ``m`` in ``width`` × ``height`` cells, and a fork's over them, each
        at its own epochs (the fork's start where it forked)."""
        muted = self._style("muted")
        text = Text(no_wrap=True, end="")
        name, forked = self.fork if self.fork is not None else ("", ())
        at = sorted({x.epoch for x in m} | {x.epoch for x in forked})  # the x axis
        costs, train, test = (along(m, at, f) for f in ("cost", "train_accuracy", "test_accuracy"))
        fork_costs, fork_train = (along(forked, at, f) for f in ("cost", "train_accuracy"))
        heading = HEADING if len(HEADING) <= width else SHORT_HEADING
        text.append(heading + "\n", muted)

        cost_head = [("cost ", muted), (number(m[-1].cost), self._style("cost"))]
        if forked:
            cost_head += [(f"  {name} ", muted), (number(forked[-1].cost), self._style("fork"))]
        accuracy_head = [
            ("accuracy ", muted),
            (f"train {percent(m[-1].train_accuracy)}", self._style("train")),
            ("  ", muted),
            (f"test {percent(m[-1].test_accuracy)}", self._style("test")),
        ]
        if forked:
            fork_accuracy = percent(forked[-1].train_accuracy)
            accuracy_head += [("  ", muted), (f"fork {fork_accuracy}", self._style("fork"))]
        accuracy_lines = 1
        if sum(len(t) for t, _ in accuracy_head) > width:  # the legend goes on its own line
            accuracy_head[0], accuracy_lines = ("accuracy\n", muted), 2
        layers = len(m[-1].grad_norms)
        # heading, cost head, accuracy head, x axis (2), gradient head, one line a layer
        fixed = 1 + 1 + accuracy_lines + 2 + 1 + layers
        plots = max(height - fixed, 4)
        cost_rows = plots // 2

        cost_range = value_range([costs, fork_costs])
        accuracy_range = value_range([train, test, fork_train])
        labels = [
            fmt(x)
            for fmt, r in ((number, cost_range), (percent, accuracy_range))
            if r is not None
            for x in r
        ]
        label_width = max([len(X_LABEL), *map(len, labels)])
        plot_width = max(width - label_width - 1, 2)

        text.append_text(Text.assemble(*cost_head, "\n"))
        series = [(costs, "cost"), (fork_costs, "fork")]
        self._chart(text, series, cost_range, number, label_width, plot_width, cost_rows)
        text.append_text(Text.assemble(*accuracy_head, "\n"))
        series = [(train, "train"), (test, "test"), (fork_train, "fork")]
        rows = plots - cost_rows
        self._chart(text, series, accuracy_range, percent, label_width, plot_width, rows)
        self._x_axis(text, at, label_width, plot_width)

        text.append("\ngradient norm ‖ΣdWl‖/m", muted)
        norm_width = max(width - label_width - 1 - 10, 1)
        for layer in range(layers):
            norms = [x.grad_norms[layer] for x in m]
            line = sparkline(norms, norm_width, low=0.0)
            text.append(f"\n{'L' + str(layer + 1):>{label_width}} ", muted)
            text.append(line, self._style("gradient"))
            text.append(f"{number(norms[-1]):>{width - label_width - 1 - len(line)}}")
        return text

    def _chart(
        self,
        text: Text,
        series: list[tuple[Sequence[float], str]],
        value_span: tuple[float, float] | None,
        fmt: Callable[[float], str],
        label_width: int,
        plot_width: int,
        rows: int,
    ) -> None:
        """Append a line chart of ``series`` (values, style name; later ones drawn over earlier
        ones) with the y axis labelled at its top and bottom rows."""
        axis = self._style("axis")
        low, high = value_span if value_span is not None else (0.0, 0.0)
        cells = [braille_cells(v, plot_width, rows, low, high) for v, _ in series]
        styles = [self._style(name) for _, name in series]
        labelled = {0: high, rows - 1: low}  # the axis' ends
        if high <= low:  # a flat line, drawn through the middle: one label, beside it
            labelled = {rows - 1 - int(np.rint((4 * rows - 1) / 2)) // 4: low}
        for row in range(rows):
            label = ""
            if value_span is not None and row in labelled:
                label = fmt(labelled[row])
            text.append(f"{label:>{label_width}}", axis)
            text.append("┤" if label else "│", axis)
            for column in range(plot_width):
                code, style = 0, Style()
                for drawn, s in zip(cells, styles, strict=True):
                    if drawn[row, column]:
                        code, style = code | int(drawn[row, column]), s
                text.append(chr(0x2800 + code) if code else " ", style)
            text.append("\n")

    def _x_axis(self, text: Text, epochs: list[int], label_width: int, plot_width: int) -> None:
        """Append the epoch axis: a line with a ┬ at each tick, then the ticks' epochs."""
        axis = self._style("axis")
        ticks = epoch_ticks(epochs, plot_width)
        line = ["─"] * plot_width
        labels = [" "] * plot_width
        for cell, label in ticks:
            line[cell] = "┬"
            start = min(cell, plot_width - len(label))
            labels[start : start + len(label)] = label
        text.append(" " * label_width + "└" + "".join(line) + "\n", axis)
        text.append(f"{X_LABEL:>{label_width}} " + "".join(labels), axis)
