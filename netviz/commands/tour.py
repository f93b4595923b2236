"""``netviz tour``: the terminal walkthrough, over a live session that records a trace; on the
recipe's first weights or saved ones (``--weights``), and on a data set's example or a picture
of the learner's own digit (``--image``)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from ..safe import literal
from ..training.recording import RecordOptions
from ..training.run import RunSpec
from .options import say, say_traces

SHOWN = 28  # a preprocessing step is shown at most this many pixels a side


def tour(
    spec: RunSpec,
    trace: str | None,
    record: RecordOptions | None,
    goto: str | None = None,
    image: str | None = None,
    label: int | None = None,
    weights: str | None = None,
    alpha: float | None = None,
) -> int:
    """Build the session (bad data, options, weights or image fail here, before the app
    starts), run the app, then finish the trace and say where it is."""
    from ..errors import NetvizError
    from ..session.live import Session

    if label is not None and image is None:
        raise NetvizError("--label says which digit an --image is: give the image too")
    start = None
    if weights is not None:
        spec, start = _from_weights(spec, weights, alpha)
    digit = None
    if image is not None:
        from ..data.images import read_digit

        digit = read_digit(image)  # a bad file is refused before the app starts
    session = Session(spec, trace=trace, record=record, start=start, notice=say)
    intro = None
    try:
        if goto:
            try:
                session.goto(goto)
            except ValueError as e:
                raise NetvizError(f"--goto {e}") from None
        if digit is not None:
            try:
                session.own_digit(digit.pixels, label, source=Path(image).name)
            except ValueError as e:
                raise NetvizError(f"--label {e}") from None
            from ..tui.preprocess import PreprocessScreen

            intro = PreprocessScreen(Path(image).name, _shown_steps(digit))
        from ..tui.app import run_tour

        status = run_tour(session, intro)
    finally:  # also when --goto was refused: the trace is closed cleanly either way
        session.close()
    say_traces(session)
    return status


def _from_weights(spec: RunSpec, weights: str, alpha: float | None):
    """The run spec with the saved weights' recipe: their preset (when it is one netviz
    knows), α (``--lr`` given wins), activation, scaling, sizes and dtype; and the weights
    with where they came from. The note is read as untrusted: only checked values are used."""
    import math

    from ..core.presets import PRESETS
    from ..training.weights import load_weights
    from .predict import recipe_of

    params, meta = load_weights(weights)
    note = meta.get("preset", {})
    activation, scale = recipe_of(weights, note)
    name = note if isinstance(note, str) else note.get("name")
    base = PRESETS.get(name, spec.preset) if isinstance(name, str) else spec.preset
    saved = note.get("alpha") if isinstance(note, dict) else None
    if not isinstance(saved, (int, float)) or isinstance(saved, bool) or not math.isfinite(saved):
        saved = None
    recipe = base.with_(
        alpha=alpha or (saved if saved and saved > 0 else None),
        activation=activation,
        scale_pixels=scale,
        sizes=params.sizes,
        dtype=str(params.dtype),
    )
    return replace(spec, preset=recipe), (params, literal(weights))


def _shown_steps(digit) -> list[tuple[str, object]]:
    """Each preprocessing step with its title, averaged down to fit 28×28 to be drawn."""
    import math

    from ..data.images import STEP_TITLES, block_mean

    shown = []
    for name, image in digit.steps:
        k = max(1, math.ceil(max(image.shape) / SHOWN))
        shown.append((STEP_TITLES[name], block_mean(image, k) if k > 1 else image))
    return shown
