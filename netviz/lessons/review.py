"""A delayed re-quiz: the questions a learner missed in earlier lessons, asked again.

Each answer a lesson keeps names its lesson and stop (:mod:`netviz.tui.lesson`); a stop counts
as missed when its last answer was wrong or shown without one. The review is a lesson of its
own: those stops, in the order a run reaches them (epoch by epoch), from lessons of one preset.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace

from .format import Lesson, LessonError, find, load


def missed(answers: Iterable[Mapping]) -> list[tuple[str, int]]:
    """(lesson, stop) of every stop whose last answer was not right, in first-seen order."""
    last: dict[tuple[str, int], bool] = {}
    for a in answers:
        if isinstance(a, Mapping) and isinstance(a.get("lesson"), str):
            stop = a.get("stop")
            if isinstance(stop, int) and not isinstance(stop, bool):
                last[a["lesson"], stop] = a.get("right") is True
    return [key for key, right in last.items() if not right]


def review(stops: list[tuple[str, int]], preset: str = "seed") -> Lesson | None:
    """The review lesson of the missed ``stops`` whose lesson runs ``preset``; None if none.
    Stops of lessons that are gone (renamed, or a file elsewhere) are left out."""
    chosen = []
    for name, number in stops:
        try:
            lesson = load(find(name))
        except LessonError:
            continue
        if lesson.preset == preset and 1 <= number <= len(lesson.stops):
            stop = replace(lesson.stops[number - 1], origin=(lesson.name, number))
            chosen.append((lesson, stop))
    if not chosen:
        return None

    def reached(item) -> tuple[int, int]:  # epoch by epoch: a run cannot go back
        at = item[1].at[1:].split("/")
        return int(at[0]), 0 if len(at) == 1 else 1

    chosen.sort(key=reached)
    first = chosen[0][0]
    title = f"Review: {len(chosen)} question{'s' if len(chosen) != 1 else ''} missed before"
    return replace(first, name="review", title=title, stops=tuple(s for _, s in chosen))
