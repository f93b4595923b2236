"""The charts: cost, accuracy and each layer's gradient norm, one sparkline per epoch series."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

import numpy as np
from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

from ..snapshot import Snapshot

TICKS = "▁▂▃▄▅▆▇█"
EMPTY = "no epochs yet — press e"


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
    lo = float(np.nanmin(v)) if low is None else low
    hi = float(np.nanmax(v)) if high is None else high
    span = hi - lo
    if not np.isfinite(span) or span <= 0:
        return TICKS[len(TICKS) // 2] * v.size
    levels = np.clip(((v - lo) / span * (len(TICKS) - 1)).round(), 0, len(TICKS) - 1)
    return "".join(TICKS[int(k)] if np.isfinite(k) else "?" for k in levels)


class Charts(Widget):
    """Cost, train / test accuracy and per-layer gradient norms over the epochs run so far."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "charts--cost",
        "charts--train",
        "charts--test",
        "charts--gradient",
        "charts--muted",
    }

    snapshot: reactive[Snapshot | None] = reactive(None, always_update=True, repaint=False)
    """The state to show; set by the app."""

    def __init__(self) -> None:
        super().__init__()
        self._drawn: tuple | None = None  # the metrics last drawn: a step leaves them alone

    def watch_snapshot(self, snapshot: Snapshot | None) -> None:
        metrics = None if snapshot is None else snapshot.metrics
        if metrics != self._drawn:
            self._drawn = metrics
            self.refresh()

    def on_mount(self) -> None:
        self.border_title = "charts"

    def render(self) -> Text:
        snapshot = self.snapshot
        muted = self.get_component_rich_style("charts--muted")
        if snapshot is None or not snapshot.metrics:
            return Text(EMPTY, muted)
        m = snapshot.metrics
        width = max(1, self.content_region.width - 15)
        text = Text(no_wrap=True, end="")

        def series(name: str, values: list[float], value: str, style: str, **scale) -> None:
            text.append(f"{name:<6}", muted)
            line = sparkline(values, width, **scale)
            text.append(line, self.get_component_rich_style(style))
            text.append(f"{value:>{width - len(line) + 9}}\n")

        text.append(f"cost over {len(m)} epoch{'s' if len(m) > 1 else ''}\n", muted)
        series("", [x.cost for x in m], f"{m[-1].cost:.4g}", "charts--cost", low=0.0)
        text.append("accuracy\n", muted)
        train = [x.train_accuracy for x in m]
        test = [x.test_accuracy for x in m]
        top = max(max(train), max(test))
        accuracies = (("train", train, "charts--train"), ("test", test, "charts--test"))
        for name, values, style in accuracies:
            percent = f"{values[-1]:.1%}".replace("%", " %")
            series(name, values, percent, style, low=0.0, high=top)
        text.append("gradient norm ‖ΣdWl‖/m\n", muted)
        for layer in range(len(m[-1].grad_norms)):
            norms = [x.grad_norms[layer] for x in m]
            series(f"L{layer + 1}", norms, f"{norms[-1]:.4g}", "charts--gradient", low=0.0)
        return text
