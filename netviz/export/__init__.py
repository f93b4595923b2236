"""Figures from a trace file: heatmaps, animations over epochs, cost curves and step cards.

``figures`` draws from numpy arrays and knows nothing of traces; ``gather``, ``animation`` and
``card`` read what to draw from a :class:`~netviz.trace.TraceReader` and name the files after
the run and the address. matplotlib (and pandas, for curves) are imported only when a figure
is drawn, so importing this package is cheap.
"""

from __future__ import annotations

from pathlib import Path

from ..core.steps import one_step
from ..trace import TraceReader, parse_address
from .card import card_at, card_name, write_card
from .gather import Shown, epoch_matrix, heatmap_name, input_at, pass_matrix, shown_at

__all__ = ["Shown", "heatmap", "input_at", "shown_at", "view"]


def heatmap(reader: TraceReader, shown: Shown, path: str | Path) -> Path:
    """Draw ``shown`` (see :func:`shown_at`; an input gradient, see :func:`input_at`) and write
    it to ``path`` (.png, .svg or .pdf)."""
    from .figures import save
    from .gather import heatmap_figure

    return save(heatmap_figure(reader, shown), path)


def view(reader: TraceReader, address: str, folder: Path | str = ".") -> Path:
    """Export what the inspector shows at ``address`` into ``folder``; the path written.

    - an epoch (``e12``): the heatmap of that epoch's layer-1 gradient ΣdW1/m (of its weights
      W1, when the trace was recorded without ΣdW);
    - an op whose output is a layer's dW (``…/bwd/L2/dW``) or its one-example step W′
      (``…/upd/L2/W``): the heatmap of that matrix;
    - any other op: the step card (its equation, numbers, W, dW and update, the digit) as PNG.

    Files are named after the run and the address, like ``<trace>_e12_L1_grad.png``.
    """
    parts = parse_address(address)
    step = None if parts is not None and parts["example"] is None else reader.step(address)
    if step is None or step.kind == "epoch":
        epoch = parts["epoch"] if step is None else step.epoch
        what = "grad" if reader.epoch_sums(epoch) is not None else "weight"
        shown = epoch_matrix(reader, epoch, 1, what)
    elif step.layer is not None and f"dW{step.layer}" in step.outputs:
        shown = pass_matrix(reader, step, step.layer, "grad")
    elif step.layer is not None and {f"W{step.layer}", one_step(f"W{step.layer}")} & set(
        step.outputs
    ):
        shown = pass_matrix(reader, step, step.layer, "weight")
    else:
        card = card_at(reader, step.address)
        return write_card(reader, card, Path(folder) / card_name(reader, card.address))[0]
    return heatmap(reader, shown, Path(folder) / heatmap_name(reader, shown))
