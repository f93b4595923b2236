"""``netviz lesson``: list the course, or walk a lesson in the tour (asking before it shows)."""

from __future__ import annotations

import tempfile
from pathlib import Path

from ..safe import literal


def list_lessons() -> int:
    """One line per lesson of the shipped course: its name, title, stops and questions."""
    from ..lessons.format import lessons, load

    for path in lessons():
        lesson = load(path)
        asked = sum(1 for s in lesson.stops if s.question is not None)
        order = path.stem.partition("-")[0]
        print(f"{order}  {lesson.name:<18} {lesson.title}  ({len(lesson.stops)} stops, {asked} "
              f"question{'s' if asked != 1 else ''})")  # fmt: skip
    return 0


def review(folder: str, data: str | None, trace: str | None) -> int:
    """Ask again the questions missed in the lessons whose traces are in ``folder``."""
    from ..lessons.review import missed, review
    from ..trace import TraceError, TraceReader

    answers = []
    for path in sorted(Path(folder).glob("*.nvtrace")):
        try:
            with TraceReader(path) as reader:
                kept = reader.meta.get("answers")
        except TraceError:
            continue  # not readable: nothing to review from it
        answers += kept if isinstance(kept, list) else []
    again = review(missed(answers))
    if again is None:
        print(f"nothing to review: no question was missed in the lessons of {literal(folder)}")
        return 0
    return lesson(again, data, trace)


def lesson(name, data: str | None, trace: str | None) -> int:
    """Walk the lesson ``name`` (a course lesson, a TOML file, or a Lesson) on a live run of
    its preset: the file and every question are checked before the tour starts."""
    from ..core.presets import PRESETS
    from ..errors import NetvizError
    from ..lessons.format import Lesson, find, load
    from ..lessons.questions import verify
    from ..session.live import Session
    from ..training.run import RunSpec

    chosen = name if isinstance(name, Lesson) else load(find(name))
    spec = RunSpec(PRESETS[chosen.preset], **({"data": data} if data else {}))
    with tempfile.TemporaryDirectory() as scratch, Session(spec, trace=Path(scratch) / "t") as dry:

        def values_at(address: str):  # a run of its own, thrown away: the lesson's starts fresh
            dry.reach(address)
            return dry.arrays()

        try:
            verify(chosen, values_at)
        except ValueError as e:
            raise NetvizError(str(e)) from None
    session = Session(spec, trace=trace)
    try:
        from ..tui.lesson import run_lesson

        answers = run_lesson(session, chosen)
        session.keep_answers(answers)
    finally:
        session.close()
    right = sum(1 for a in answers if a["right"])
    print(f"answers: {len(answers)} ({right} right)")
    from .options import say_traces

    say_traces(session)
    return 0
