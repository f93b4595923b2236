"""A layer's weights or gradients over epochs: one GIF frame per epoch, one colour scale for all.

The weights of each epoch are rebuilt forward from the first one asked for, with training's own
rule W ← W − α·ΣdW/m on the recorded sums (what ``TraceReader.weights`` does from a checkpoint),
so a 500-frame animation replays 500 updates, not 500 rebuilds.
"""

from __future__ import annotations

import bisect
import re
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np

from ..core.network import update
from ..errors import NetvizError
from ..files import atomic_writer
from ..safe import shown
from ..trace import TraceReader
from .figures import TITLE_SIZE
from .gather import (
    epoch_gradient,
    rows_name,
    run_name,
    started_from,
    trace_layer,
    weights_label,
)

ANIMATION_DPI = 80  # a 16-tile frame is 640×704 pixels
FRAME_MS = 200  # per frame, up to 50 frames; longer animations go faster, to last ~10 s
LAST_FRAME_MS = 1500  # the final state stays on screen a moment before the loop restarts
# ASCII digits only, at most 18 of them; the parts are fixed text or single classes, so a long
# string fails in linear time.
EPOCHS_TEXT = re.compile(r"\s*([0-9]{0,18})\s*:\s*([0-9]{0,18})\s*|\s*([0-9]{1,18})\s*")


def epoch_span(reader: TraceReader, what: str, text: str | None) -> range:
    """The epochs ``A:B`` (both included; ``A:`` and ``:B`` leave an end open, ``A`` alone is
    one epoch) if the trace holds them all; by default every epoch it holds (from 0 for
    weights: the initial ones). Checked against the epochs held without listing the span, so
    ``1:99999999999`` is refused at once."""
    recorded = reader.epochs()
    start = recorded[0] - 1 if recorded else 0  # a fork's first weights: after its fork epoch
    held = ([start] if what == "weight" else []) + recorded
    if not held:
        raise NetvizError(f"{reader.path}: no epochs recorded, so there is nothing to animate")
    first, last = held[0], held[-1]
    if text is not None:
        match = EPOCHS_TEXT.fullmatch(text) if len(text) <= 100 else None
        if match is None:
            raise NetvizError(f"--epochs '{shown(text)}': expected A:B (like 1:40), A: or :B")
        a, b, single = match.groups()
        first, last = (int(single),) * 2 if single else (int(a or first), int(b or last))
        if first > last:
            raise NetvizError(f"--epochs '{shown(text)}': the first epoch comes after the last")
    missing = _first_missing(held, first, last)
    if missing is not None:
        raise NetvizError(
            f"{reader.path}: epoch {missing} was not recorded (this trace holds epochs "
            f"{held[0]}–{held[-1]} for --what {what})"
        )
    return range(first, last + 1)


def _first_missing(held: list[int], first: int, last: int) -> int | None:
    """The first epoch from ``first`` to ``last`` not in ``held`` (sorted, no repeats), or None;
    in time that grows with ``held``, not with the span."""
    if first < held[0]:
        return first
    start = bisect.bisect_left(held, first)
    expected = first
    for epoch in held[start:]:
        if epoch > last or epoch != expected:
            break
        expected += 1
    return None if expected > last else expected


def frames(reader: TraceReader, what: str, layer: int, epochs: range) -> Iterator[np.ndarray]:
    """Layer ``layer``'s (n_l, n_{l−1}) matrix for each epoch: W after it, or its ΣdW/m."""
    if what == "grad":
        for e in epochs:
            _, m, dW = epoch_gradient(reader, e)
            yield dW[layer - 1] / m
        return
    params = reader.weights(epochs.start)
    yield params.W[layer - 1]
    for e in epochs[1:]:
        sums = reader.epoch_sums(e)
        if sums is None:  # --record minimal: no ΣdW, but a checkpoint every epoch
            params = reader.weights(e)
        else:
            alpha, m, dW, db = sums
            params = update(params, dW, db, alpha, m)
        yield params.W[layer - 1]


def frame_label(what: str, layer: int, epoch: int, start: str = "") -> str:
    if what == "grad":
        return f"∂C/∂W{layer} = ΣdW{layer}/m in epoch {epoch}, at the weights it started from"
    label = weights_label(f"W{layer}", epoch, start)
    return f"{label} (epoch 0)" if epoch == 0 else label


def durations(count: int) -> list[int]:
    """Milliseconds per frame: 200 each up to 50 frames, then ~10 s in all (at least 40 ms);
    the last frame held 1.5 s."""
    each = FRAME_MS if count <= 50 else max(40, 10 * round(1000 / count))
    return [each] * (count - 1) + [LAST_FRAME_MS]


def write_animation(
    reader: TraceReader,
    what: str,
    layer: int,
    epochs: range,
    path: str | Path,
    *,
    progress: Callable[[int, int], None] | None = None,
    on_frame: Callable[[object, int], None] | None = None,
) -> int:
    """Write the GIF of ``frames`` to ``path`` atomically; the number of frames.

    The colour scale is ±(largest |value| over every frame), fixed before the first is drawn.
    ``progress(i, n)`` is called after frame i of n; ``on_frame(figure, epoch)`` sees each
    frame's Figure just drawn (tests read its images and norm).
    """
    from .figures import BAD, CMAP, images_of, layer_figure, rgb_pixels, symmetric_limit
    from .gif import palette, write_gif

    trace_layer(reader, layer)
    limit = max(symmetric_limit(a) for a in frames(reader, what, layer, epochs))  # pass 1
    first = next(frames(reader, what, layer, epochs[:1]))
    subtitle = (
        f"{run_name(reader)} · layer {layer} ({first.shape[0]}×{first.shape[1]}) · "
        f"colour scale ±{limit:.3g} fixed over epochs {epochs.start}–{epochs[-1]}"
    )
    start = started_from(reader)
    title = f"{frame_label(what, layer, epochs.start, start)}\n{subtitle}"
    fig = layer_figure(first, layer, title, limit, rows_name=rows_name(reader, layer),
                       dpi=ANIMATION_DPI)  # fmt: skip
    images = images_of(fig)
    # The same call returns the figure's title Text, to change in place frame by frame.
    heading = fig.suptitle(title, fontsize=TITLE_SIZE, parse_math=False)

    def rendered() -> Iterator[np.ndarray]:
        matrices = frames(reader, what, layer, epochs)
        for i, (epoch, matrix) in enumerate(zip(epochs, matrices, strict=True)):
            _set_frame(images, matrix)
            heading.set_text(f"{frame_label(what, layer, epoch, start)}\n{subtitle}")
            pixels = rgb_pixels(fig)
            fig.set_layout_engine("none")  # laid out once: every frame keeps the first's places
            if on_frame:
                on_frame(fig, epoch)
            if progress:
                progress(i + 1, len(epochs))
            yield pixels

    with atomic_writer(path) as out:
        return write_gif(out, rendered(), durations(len(epochs)), palette(CMAP, BAD))


def _set_frame(images: list, matrix: np.ndarray) -> None:
    """Put ``matrix``'s values into the figure's images (one per tile, or one)."""
    if len(images) == 1:
        images[0].set_data(matrix)
    else:
        side = images[0].get_array().shape[0]
        for image, row in zip(images, matrix, strict=True):
            image.set_data(row.reshape(side, side))


def print_progress(done: int, total: int) -> None:
    """``frame 12/40`` on one line of stderr, rewritten in place (only on a terminal)."""
    if sys.stderr.isatty():
        end = "\n" if done == total else ""
        print(f"\rframe {done}/{total}", end=end, file=sys.stderr, flush=True)
