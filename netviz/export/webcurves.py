"""Cost and accuracy per epoch as inline SVG, for the walkthrough page (see :mod:`.html`).

Drawn once as two ``<symbol>`` elements that every epoch step uses (``<use>``) with a mark at its
epoch, so 500 epochs cost one drawing. Colours and fonts are presentation attributes: the page's
stylesheet does not reach the copies ``<use>`` makes.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from html import escape

import numpy as np

from .gather import weights_words

FONT = 'font-family="system-ui, -apple-system, Segoe UI, Roboto, DejaVu Sans, sans-serif"'
INK, MUTED, GRID, AXIS, MARK = "#1d2433", "#5b6475", "#eceef3", "#9aa3b5", "#d99a00"
COLOURS = {"cost": "#2553b8", "train": "#1b7f4d", "test": "#b5470b"}


def figures_text(cost, train, test) -> str:
    """``cost 2.2868, train accuracy 11.63 %, test accuracy 12.50 %``, as the epoch card says."""
    words = [f"cost {cost:.4f}" if cost is not None and cost == cost else "cost n/a"]
    for name, value in (("train", train), ("test", test)):
        if value is not None and value == value:
            words.append(f"{name} accuracy {100 * value:.2f} %")
    return ", ".join(words)


class Curves:
    """Cost and train/test accuracy against the epochs trained, as the exported curves draw
    them: epoch e's figures are measured at the weights it started from, so they sit at
    x = e − 1; the final weights' at the last epoch, as a diamond."""

    W, H, LEFT, RIGHT, TOP, BOTTOM = 480, 210, 60, 14, 28, 32

    def __init__(self, rows: Mapping[int, Mapping], final, start: str = "") -> None:
        """``start``: the saved weights the run began from (its epochs count from them)."""
        self.epochs, self.start = sorted(rows), start
        self.trained = np.array([e - 1 for e in self.epochs], dtype=float)

        def column(key: str) -> np.ndarray:
            return np.array([_number(rows[e].get(key)) for e in self.epochs])

        self.cost, self.train, self.test = (column(k) for k in ("cost", "train_accuracy",
                                                                 "test_accuracy"))  # fmt: skip
        self.final = final
        self.x_max = max(1.0, float(final.epoch) if final is not None else self.trained.max())
        highest = [float(np.nanmax(self.cost))] if np.isfinite(self.cost).any() else []
        if final is not None and np.isfinite(final.cost):
            highest.append(final.cost)
        self.cost_top = _nice_top(max(highest, default=1.0))

    # --- drawing ---------------------------------------------------------------------------------

    def _x(self, trained: float) -> float:
        return self.LEFT + (self.W - self.LEFT - self.RIGHT) * trained / self.x_max

    def _y(self, value: float, top: float) -> float:
        return self.H - self.BOTTOM - (self.H - self.TOP - self.BOTTOM) * value / top

    def _line(self, values: np.ndarray, top: float, kind: str, dashed: bool = False) -> str:
        """A polyline through the finite points, broken where a value is NaN."""
        parts, pen = [], "M"
        for x, v in zip(self.trained, values, strict=True):
            if not np.isfinite(v):
                pen = "M"
                continue
            parts.append(f"{pen}{self._x(x):.1f} {self._y(v, top):.1f}")
            pen = "L"
        dash = ' stroke-dasharray="6 4"' if dashed else ""
        return (f'<path d="{"".join(parts)}" fill="none" stroke="{COLOURS[kind]}" '
                f'stroke-width="2" stroke-linejoin="round"{dash}/>')  # fmt: skip

    def _axes(self, top: float, ticks: list[float], label) -> str:
        left, bottom, right = self.LEFT, self.H - self.BOTTOM, self.W - self.RIGHT
        out = [f'<path d="M{left} {self.TOP}V{bottom}H{right}" fill="none" stroke="{AXIS}"/>']
        for t in ticks:
            y = self._y(t, top)
            out.append(f'<path d="M{left} {y:.1f}H{right}" stroke="{GRID}"/>' if t else "")
            out.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{label(t)}</text>')
        for t in _ticks(self.x_max):
            x = self._x(t)
            out.append(f'<text x="{x:.1f}" y="{bottom + 17}" text-anchor="middle">{t:g}</text>')
        return "".join(out)

    def _diamond(self, trained: float, value: float, top: float, kind: str, hollow=False) -> str:
        if not np.isfinite(value):
            return ""
        x, y = self._x(trained), self._y(value, top)
        fill = "#fff" if hollow else COLOURS[kind]
        return (f'<path d="M{x:.1f} {y - 5:.1f}l5 5l-5 5l-5 -5z" fill="{fill}" '
                f'stroke="{COLOURS[kind]}" stroke-width="1.5"/>')  # fmt: skip

    def symbols(self) -> str:
        """The two drawings, in a hidden SVG: ``#nv-cost`` and ``#nv-accuracy``."""
        box = f'viewBox="0 0 {self.W} {self.H}"'
        title = f'<text x="{self.LEFT}" y="16" fill="{INK}" font-weight="600">'
        cost = [
            self._axes(self.cost_top, _ticks(self.cost_top), lambda t: f"{t:g}"),
            self._line(self.cost, self.cost_top, "cost"),
            f"{title}cost (mean cross-entropy)</text>",
        ]
        accuracy = [
            self._axes(1.0, [0, 0.25, 0.5, 0.75, 1.0], lambda t: f"{100 * t:g} %"),
            self._line(self.train, 1.0, "train"),
            self._line(self.test, 1.0, "test", dashed=True),
            f'{title}accuracy: <tspan fill="{COLOURS["train"]}">— train</tspan> '
            f'<tspan fill="{COLOURS["test"]}">- - test</tspan></text>',
        ]
        if self.final is not None:
            f = self.final
            cost.append(self._diamond(f.epoch, f.cost, self.cost_top, "cost"))
            accuracy.append(self._diamond(f.epoch, f.train_accuracy, 1.0, "train"))
            accuracy.append(self._diamond(f.epoch, f.test_accuracy, 1.0, "test", hollow=True))
        text = f'{FONT} font-size="15" fill="{MUTED}"'
        return (
            '<svg class="defs" width="0" height="0" aria-hidden="true">'
            f'<symbol id="nv-cost" {box}><g {text}>{"".join(cost)}</g></symbol>'
            f'<symbol id="nv-accuracy" {box}><g {text}>{"".join(accuracy)}</g></symbol></svg>'
        )

    def figure(self, epoch: int | None) -> str:
        """Both curves, marked at ``epoch`` (None: the run's overview, unmarked), and a line
        saying the figures of the epoch under the pointer."""
        svgs = []
        series = {"cost": [(self.cost, self.cost_top)],
                  "accuracy": [(self.train, 1.0), (self.test, 1.0)]}  # fmt: skip
        for name, lines in series.items():
            mark = ""
            if epoch in self.epochs:
                k = self.epochs.index(epoch)
                x = self._x(self.trained[k])
                mark = (f'<path d="M{x:.1f} {self.TOP}V{self.H - self.BOTTOM}" stroke="{MARK}" '
                        'stroke-width="2"/>')  # fmt: skip
                for values, top in lines:
                    if np.isfinite(values[k]):
                        y = self._y(values[k], top)
                        mark += f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{MARK}"/>'
            svgs.append(
                f'<svg class="curve" viewBox="0 0 {self.W} {self.H}" role="img" '
                f'aria-label="{name} per epoch"><use href="#nv-{name}"/>{mark}</svg>'
            )
        said = self._said(epoch) if epoch is not None else "hover or tap for an epoch's figures"
        return (
            f'<figure class="curves">{"".join(svgs)}<figcaption>x: epochs trained (0: the first '
            "weights); ◆ the final weights; each epoch measured at the weights it started from"
            f'</figcaption><p class="readout">{escape(said)}</p></figure>'
        )

    def _said(self, epoch: int) -> str:
        if epoch not in self.epochs:
            return ""
        k = self.epochs.index(epoch)
        figures = figures_text(self.cost[k], self.train[k], self.test[k])
        return f"e{epoch}, {weights_words(epoch - 1, self.start)}: {figures}"

    def readouts(self) -> list:
        """[x in the drawing's units, what is said there] for each epoch and the final weights:
        the page's script says the nearest one under the pointer."""
        said = [
            [round(self._x(x), 1), self._said(e)]
            for e, x in zip(self.epochs, self.trained, strict=True)
        ]
        if self.final is not None:
            f = self.final
            figures = figures_text(f.cost, f.train_accuracy, f.test_accuracy)
            said.append([round(self._x(f.epoch), 1), f"the final weights: {figures}"])
        return said


def _number(value) -> float:
    return float(value) if isinstance(value, (int, float)) else float("nan")


def _nice_top(value: float) -> float:
    """The smallest 1, 2, 2.5 or 5 × 10^k at or above ``value``: the cost axis's top."""
    if not np.isfinite(value) or value <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    return next(k * power for k in (1, 2, 2.5, 5, 10) if k * power >= value)


def _ticks(top: float) -> list[float]:
    """At most 6 round ticks from 0 to ``top``."""
    for step in (10**k * m for k in range(-3, 10) for m in (1, 2, 5)):
        if top / step <= 5:
            return [step * i for i in range(int(top / step + 1e-9) + 1)]
    return [0.0, top]
