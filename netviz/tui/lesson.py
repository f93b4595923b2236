"""``netviz lesson``: the tour, walking a lesson's stops, asking before it shows.

At each stop the tour goes to the stop's address and the lesson panel shows its text. A stop
with a question about the value its op makes asks *before* that op: the cursor waits one op
earlier, where the value is "not computed yet", and moves on when the learner has answered
(Enter) or asked to see it (Enter on an empty answer). The right answer is computed from the
run (:mod:`netviz.lessons.questions`); each answer is kept in the trace.
"""

from __future__ import annotations

import time
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Vertical
from textual.widgets import Input, Static

from ..core.steps import YHAT
from ..lessons.compute import against
from ..lessons.format import Lesson, Question, Stop
from ..lessons.questions import Right, givens, number, right_answer, score
from ..numbers import fmt
from ..session.history import History
from .app import NetvizApp
from .keys import KEYS, LESSON_BINDINGS, LESSON_KEYS, MOVES


class LessonPanel(Vertical):
    """The lesson's text, the question and the feedback, under the tour."""

    def compose(self) -> ComposeResult:
        yield Static(id="lesson-head", markup=False)
        # the feedback first: at 80×24 the panel's last lines are cut, and by then the stop's
        # text has been read
        yield Static(id="lesson-feedback", markup=False)
        yield Static(id="lesson-text", markup=False)
        yield Input(
            id="lesson-answer", placeholder="your answer, then Enter (Enter alone: show me)"
        )
        yield Static(id="lesson-unread", markup=False)  # an answer that cannot be read


class LessonApp(NetvizApp):
    """The tour with a lesson panel; ``l`` / ``L`` move between stops, ``a`` answers."""

    BINDINGS: ClassVar[list[BindingType]] = [*NetvizApp.BINDINGS, *LESSON_BINDINGS]
    AUTO_FOCUS = None  # the answer box takes focus only when a question waits

    def __init__(self, session: History, lesson: Lesson, close_session: bool = False) -> None:
        super().__init__(session, close_session)
        self.lesson, self.stop_index = lesson, 0
        self.panel = LessonPanel(id="lesson")
        self.pending: tuple[Stop, Right, float] | None = None  # asked, its answer, when
        self.answers: list[dict] = []
        self._cost_before: float | None = None  # an up-or-down stop's cost, before its epoch

    def compose(self) -> ComposeResult:
        for widget in super().compose():
            if widget is self.timeline:  # the panel above the timeline and the keys
                yield self.panel
            yield widget

    def on_mount(self) -> None:
        super().on_mount()
        self.go(0)

    def key_help(self) -> list[tuple[str, str]]:
        """The tour's keys, then the lesson's (``l`` / ``L``, ``a``)."""
        return [*super().key_help(), *self.help_rows(LESSON_KEYS)]

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if self.pending is not None and action in MOVES:
            return None  # dimmed while a question waits; on_key says why
        if self.inspector.masked and action == "select_mode":
            return None  # the card would compute the hidden value
        return super().check_action(action, parameters)

    def on_key(self, event) -> None:
        """A moving key while a question waits: the answer first, or the value would show."""
        if self.pending is None or len(self.screen_stack) > 1:
            return super().on_key(event)
        held = MOVES | ({"select_mode"} if self.inspector.masked else set())
        if any(event.key == key.key and key.name in held for key in KEYS):
            self.notify("Answer first (Enter alone shows the answer; a to type it).",
                        markup=False)  # fmt: skip

    # --- stops ---------------------------------------------------------------------------------
    def go(self, index: int) -> None:
        """Move to stop ``index``: there, or one op before it when it asks about its value."""
        self.stop_index = index = max(0, min(len(self.lesson.stops) - 1, index))
        stop = self.lesson.stops[index]
        self.session.reach(stop.at)
        question, right = stop.question, None
        masked: frozenset[str] = frozenset()
        if question is not None and question.kind != "updown":
            right = right_answer(question, self.session.arrays())
            here = self.session.snapshot()
            if here.op is not None and question.name in here.op.outputs:
                # ask before the value is made: one op back; at a pass's first op (Z1 of a new
                # example) there is none in this pass, so the op shows with its value hidden
                if here.op_index:
                    self.session.step(-1)
                else:
                    masked = frozenset({question.name})
        elif question is not None:  # up or down: the next epoch tells
            before = self.session.snapshot().epoch_metrics
            self.pending = (stop, Right("?", "?"), time.monotonic())
            self._cost_before = None if before is None else before.cost
        self.inspector.masked = masked
        self.snapshot = self.session.snapshot()
        if right is not None:
            self.pending = (stop, right, time.monotonic())
        elif question is None:
            self.pending = None
        self._show(stop)

    def _show(self, stop: Stop, feedback: str = "") -> None:
        n, lesson = len(self.lesson.stops), self.lesson
        head = f"lesson · {lesson.title} · stop {self.stop_index + 1} of {n} · l next · L back"
        self.query_one("#lesson-head", Static).update(head)
        asked = self.pending is not None and self.pending[0] is stop
        text = stop.text + (f"\n▸ {stop.question.text}" if asked and stop.question else "")
        if asked and stop.question.kind in ("number", "compute"):
            given = givens(stop.question, self.session.arrays())
            if given:
                text += "\n  given: " + " · ".join(f"{n} = {fmt(v)}" for n, v in given)
        self.query_one("#lesson-text", Static).update(text)
        for name, said in (("#lesson-feedback", feedback), ("#lesson-unread", "")):
            shown = self.query_one(name, Static)
            shown.update(said)
            shown.display = bool(said)
        answer = self.query_one("#lesson-answer", Input)
        answer.display = asked
        if asked:
            answer.value = ""
            answer.focus()
        elif answer.has_focus:  # no question here: the tour's keys are the learner's again
            self.set_focus(None)
        self.panel.refresh(layout=True)  # its height follows what it now holds

    def action_lesson(self, delta: int) -> None:
        if self.pending is not None:
            self.notify("Answer first (Enter alone shows the answer).", markup=False)
            return
        if 0 <= self.stop_index + delta < len(self.lesson.stops):
            self.go(self.stop_index + delta)
        elif delta > 0:
            self.notify("That was the lesson's last stop.", markup=False)

    def action_answer(self) -> None:
        if self.pending is not None:
            self.query_one("#lesson-answer", Input).focus()

    # --- answers -------------------------------------------------------------------------------
    @on(Input.Submitted, "#lesson-answer")
    def _answered(self, event: Input.Submitted) -> None:
        if self.pending is None:
            return  # nothing is asked
        stop, right, asked_at = self.pending
        question = stop.question
        typed = event.value.strip()
        if typed:
            try:  # an answer that cannot be read is not scored: type again
                score(question, typed, right if question.kind != "updown" else Right("up", ""))
            except ValueError as e:
                shown = self.query_one("#lesson-unread", Static)
                shown.update(str(e))
                shown.display = True
                return
        if question.kind == "updown":  # the next epoch tells
            self.session.run_epoch(follow=False)
            after = self.session.snapshot().metrics[-1].cost
            costs = (self._cost_before if self._cost_before is not None else after, after)
            right = right_answer(question, {}, costs)
        if typed:
            verdict = score(question, typed, right)
            ok, feedback = verdict.right, verdict.feedback
        else:
            ok, feedback = None, f"Shown, not scored: {right.shown}."
        lesson, place = stop.origin or (self.lesson.name, self.stop_index + 1)
        self.answers.append({"lesson": lesson, "stop": place, "at": stop.at,
                             "question": question.asked, "answer": typed, "right": ok,
                             "seconds": round(time.monotonic() - asked_at, 1)})  # fmt: skip
        self.session.goto(stop.at)  # now see it
        self.inspector.masked = frozenset()
        self.snapshot = self.session.snapshot()
        if question.kind == "compute" and typed:  # yours against each factor of the right one
            try:
                card = self._asked_card(question)
                feedback += "\n" + "\n".join(against(card, number(typed), ok))
            except ValueError as e:  # no card for that entry: the verdict alone, and why
                feedback += f"\n(no card to set yours against: {e})"
        self.pending = None
        self.set_focus(None)
        self._show(stop, feedback + "  (l: next stop)")

    def _asked_card(self, question: Question):
        """The card of the entry a compute question asks about, in the pass shown."""
        last = f"A{len(self.snapshot.layers) - 1}"  # the output layer's A is ŷ
        name = YHAT if question.name in ("yhat", "y_hat", last) else question.name
        return self.session.chain_rule(name, question.index)


def run_lesson(session: History, lesson: Lesson) -> list[dict]:
    """Run the lesson until the learner quits; its answers."""
    app = LessonApp(session, lesson)
    app.run()
    with app.epoch_lock:
        pass
    return app.answers
