"""``netviz export heatmap|animation|curves|card``: figures from a trace file, for slides.

Each command checks its output path (format, folder) before it reads or draws anything, writes
atomically (a failure leaves no file), and prints the path of each file written, one a line.
"""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path

from ..export.figures import check_format
from ..files import check_writable
from ..safe import literal
from ..trace import TraceReader

FIGURE_SUFFIXES = [".png", ".svg", ".pdf"]


def heatmap(
    file: str,
    *,
    at: str | None,
    epoch: int | None,
    layer: int | None,
    what: str,
    out: str | None,
    output: int | None = None,
) -> int:
    """One layer's weights, gradient or update at an address or epoch (default: the last
    epoch), to ``out`` or to ``<trace stem>_<address>_L<layer>_<what>.png`` here; or (``what``
    input, at an op address) the example's input gradient dC/dx = W1ᵀ·dZ1, or with ``output``
    = k that of digit k's score, to ``<trace stem>_<address>_input[_score<k>].png``."""
    from ..export import heatmap as draw
    from ..export.gather import heatmap_name, shown_at

    _check_out(out, FIGURE_SUFFIXES, "export heatmap")
    with TraceReader(file) as reader:
        shown = shown_at(reader, at=at, epoch=epoch, layer=layer, what=what, output=output)
        _report(draw(reader, shown, out or heatmap_name(reader, shown)))
    return 0


def animation(file: str, *, what: str, layer: int, epochs: str | None, out: str) -> int:
    """A GIF of a layer's weights or gradient, one frame per epoch of ``epochs`` (``A:B``),
    on one colour scale; progress on stderr while it renders (on a terminal)."""
    from ..export.animation import epoch_span, print_progress, write_animation
    from ..export.gather import trace_layer

    _check_out(out, [".gif"], "export animation")
    with TraceReader(file) as reader:
        trace_layer(reader, layer)
        span = epoch_span(reader, what, epochs)
        write_animation(reader, what, layer, span, out, progress=print_progress)
    _report(Path(out))
    return 0


def curves(file: str, *, compare: list[str], out: str) -> int:
    """Cost and train/test accuracy per epoch of ``file`` and the ``compare`` runs."""
    from ..export.figures import save
    from ..export.gather import curves_figure

    _check_out(out, FIGURE_SUFFIXES, "export curves")
    with ExitStack() as stack:
        readers = [stack.enter_context(TraceReader(f)) for f in [file, *compare]]
        _report(save(curves_figure(readers), out))
    return 0


def card(file: str, *, at: str, out: str | None) -> int:
    """The step card at ``at`` as PNG, or as Markdown with its PNG beside it."""
    from ..export.card import card_at, card_name, write_card

    _check_out(out, [".png", ".md"], "export card")
    with TraceReader(file) as reader:
        found = card_at(reader, at)
        for path in write_card(reader, found, out or card_name(reader, found.address)):
            _report(path)
    return 0


def _check_out(out: str | None, suffixes: list[str], command: str) -> None:
    """Refuse an output path of the wrong format or in a missing folder before any work."""
    if out is not None:
        check_format(check_writable(out), suffixes, command)


def _report(path: Path) -> None:
    print(literal(path))
