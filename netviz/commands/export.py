"""``netviz export heatmap|animation|curves|card|html``: figures and pages from a trace file.

Each command checks its output path (format, folder) before it reads or draws anything, writes
atomically (a failure leaves no file), and prints the path of each file written, one a line.
"""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path

from ..errors import NetvizError
from ..export.figures import check_format
from ..files import check_writable
from ..numbers import fmt
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


def html(file: str, *, first: str | None, last: str | None, lesson: str | None, out: str) -> int:
    """The steps from ``first`` to ``last`` (default: all) as one self-contained web page,
    with the stops of ``lesson`` (a course lesson's name or a TOML file) at their addresses;
    says what the page holds, then its path."""
    from ..export.html import choose, size_text, write_page

    _check_out(out, [".html", ".htm"], "export html")
    chosen = None
    if lesson is not None:
        from ..lessons.format import find, load

        chosen = load(find(lesson))  # an unknown lesson is refused before the trace is read
    with TraceReader(file) as reader:
        choice = choose(reader, first, last)
        notes, said = ([], []) if chosen is None else lesson_notes(reader, chosen, choice)
        path = write_page(reader, out, choice, notes, said)
    for line in [*choice.lines(), *said]:
        print(literal(line))
    print(f"page: {size_text(path.stat().st_size)}")
    _report(path)
    return 0


def lesson_notes(reader, lesson, choice) -> tuple[list, list[str]]:
    """(the lesson's stops that are steps of the page, as Notes with their right answers
    computed from the trace; the lesson's title and what was left out, a line each). A
    NetvizError when none of its stops is on the page."""
    from ..export.html import Note
    from ..lessons.questions import givens, right_answer

    on_page = {s.address for s in choice.steps}
    notes, missing = [], []
    for k, stop in enumerate(lesson.stops, 1):
        heading = f"lesson {lesson.name} · stop {k} of {len(lesson.stops)}"
        if stop.at not in on_page:
            missing.append(f"stop {k} ({stop.at})")
            continue
        question, given, answer = stop.question, "", ""
        if question is not None:
            values = {} if question.kind == "updown" else _stop_values(reader, stop.at)
            try:
                right = right_answer(question, values, _costs(reader, stop.at))
                answer = right.shown
            except LookupError as e:
                answer = f"not answerable from this trace: {e}"
            if question.kind in ("number", "compute"):
                given = " · ".join(f"{n} = {fmt(v)}" for n, v in givens(question, values))
        notes.append(Note(stop.at, heading, stop.text, question.text if question else "", given,
                          answer))  # fmt: skip
    if not notes:
        raise NetvizError(
            f"lesson {lesson.name}: none of its {len(lesson.stops)} stops is a step of this page "
            f"({', '.join(s.at for s in lesson.stops[:4])}{', …' if len(lesson.stops) > 4 else ''})"
        )
    said = [f"lesson {lesson.name}: {lesson.title}",
            f"lesson {lesson.name}: {len(notes)} of {len(lesson.stops)} stops on the page"
            + (f"; not in these steps: {', '.join(missing)}" if missing else "")]  # fmt: skip
    preset = reader.meta.get("preset")
    preset = preset.get("name") if isinstance(preset, dict) else preset
    if isinstance(preset, str) and preset != lesson.preset:
        said.append(f"lesson {lesson.name} is written for the {lesson.preset} preset; this run is "
                    "another: its texts may not fit the numbers")  # fmt: skip
    return notes, said


def _stop_values(reader, address: str) -> dict:
    """What a watch sees at an op (the pass's context and every output so far, with yhat and
    alpha): the values a lesson's question is answered from, as in the tour."""
    from ..core.steps import Op
    from ..debug.passes import op_tensors

    step = reader.step(address)
    if step.kind != "op":
        return {}
    ops = reader.pass_ops(step.epoch, step.example)
    whole = tuple(Op(s.phase, s.layer, s.op, s.equation or "", i, o) for s, i, o, _ in ops)
    index = next(k for k, item in enumerate(ops) if item[0].step == step.step)
    return dict(op_tensors(whole, index))


def _costs(reader, address: str) -> tuple[float, float] | None:
    """(cost before, cost after) epoch ``eK``'s update: its metrics row and the next one's (or
    the final figures, after the run's last epoch); None at an op or where either is missing."""
    step = reader.step(address)
    if step.kind != "epoch":
        return None
    rows = {r["epoch"]: r["cost"] for r in reader.metric_rows(after=step.epoch - 1)[:2]}
    after = rows.get(step.epoch + 1)
    final = reader.final()
    if after is None and final is not None and final.epoch == step.epoch:
        after = final.cost
    before = rows.get(step.epoch)
    return None if before is None or after is None else (before, after)
