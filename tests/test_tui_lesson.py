"""A lesson walked in the tour as a learner does, with Textual's Pilot: each stop's text, a
question asked before its value is on screen, answered right, wrong, unreadably and with "show
me", and the answers kept in the trace."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import pilot_test, run_cli, screen_text
from textual.widgets import Input

from netviz.core.presets import PRESETS
from netviz.lessons.format import find, load
from netviz.numbers import fmt
from netviz.session.live import Session
from netviz.trace import TraceReader
from netviz.training.run import RunSpec
from netviz.tui.lesson import LessonApp

SIZE = (120, 40)
SPEC = RunSpec(PRESETS["seed"], train_size=300, test_size=100)


@pytest.fixture
def session(tmp_path):
    with Session(SPEC, trace=tmp_path / "t.nvtrace") as s:
        yield s


async def answer(pilot, app, text: str) -> None:
    app.query_one("#lesson-answer", Input).value = text
    await pilot.press("enter")
    await pilot.pause()


@pilot_test
async def test_a_lesson_from_start_to_end(session):
    lesson = load(find("layer-one"))
    app = LessonApp(session, lesson)
    async with app.run_test(size=SIZE) as pilot:
        text = screen_text(app)
        assert "stop 1 of 3" in text and "What shape is W1?" in text
        await answer(pilot, app, "(16, 784)")
        assert "Right: (16, 784)" in screen_text(app)
        await pilot.press("l")  # stop 2 asks about Z1[7] of example 1, its pass's first op:
        stop = lesson.stops[1]  # shown there, with Z1's values hidden until the answer
        assert session.snapshot().address == stop.at
        text = screen_text(app)
        assert "Guess Z1[7]" in text and "hidden until you answer" in text
        assert "example 1 of" in text  # the digit asked about, not the one before it
        z = session.arrays()["Z1"][7, 0]
        assert fmt(float(z)) not in text
        app.set_focus(None)
        await pilot.press("k")  # the card would compute it: held too
        assert not app.selecting
        await pilot.press("a")
        await answer(pilot, app, "lots")  # cannot be read: not scored, asked again
        assert "type a number" in screen_text(app) and len(app.answers) == 1
        await answer(pilot, app, "5")
        assert session.snapshot().address == stop.at  # now shown
        assert "hidden until you answer" not in screen_text(app)
        assert f"Not quite: Z1[7] = {fmt(float(z))}" in screen_text(app)
        await pilot.press("l")
        assert "stop 3 of 3" in screen_text(app)
        assert not app.query_one("#lesson-answer", Input).display  # no question here
        await pilot.press("l")  # past the last stop: said, nothing moves
        assert session.snapshot().address == lesson.stops[2].at
    rights = [a["right"] for a in app.answers]
    assert rights == [True, False]
    assert app.answers[1]["answer"] == "5" and np.isfinite(app.answers[1]["seconds"])


@pilot_test
async def test_you_compute_it_sets_your_number_against_each_factor(session):
    """Lesson chain-rule's dZ2[3], typed as dA2[3] alone (the slope forgotten): the feedback
    lists each factor, what yours needs it to be, and names the slip."""
    lesson = load(find("chain-rule"))
    app = LessonApp(session, lesson)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("l")
        assert "What is dZ2[3]" in screen_text(app)
        asked = session.arrays()  # one op before dZ2: dA2 is made, dZ2 is not
        assert "dZ2" not in asked
        dA, A = float(asked["dA2"][3, 0]), float(asked["A2"][3, 0])
        assert f"given: A2[3] = {fmt(A)} · dA2[3] = {fmt(dA)}" in screen_text(app)
        await answer(pilot, app, repr(dA))
        text = screen_text(app)
        assert "Not quite" in text and "dZ2[3] = A2[3](1−A2[3])·dA2[3]" in text
        assert (
            f"yours needs {fmt(1.0)}" in text and f"yours needs {fmt(dA / (A * (1 - A)))}" in text
        )
        assert "Likely: A2[3](1−A2[3]) left out." in text
        assert app.answers[0]["answer"] == repr(dA)
    assert app.answers[0]["right"] is False


@pilot_test
async def test_a_waiting_question_holds_the_tour_until_it_is_answered(session):
    """With the focus off the answer box, the moving keys do not step to the value asked about;
    they say to answer first. After the answer they move again."""
    posted = []
    app = LessonApp(session, load(find("chain-rule")))
    async with app.run_test(size=SIZE, message_hook=posted.append) as pilot:
        await pilot.press("l")
        where = session.snapshot().address
        app.set_focus(None)
        for key in ("s", "r", "right_square_bracket", "e", "space", "G"):
            await pilot.press(key)
            await pilot.pause()
            assert session.snapshot().address == where, key
        said = [m.notification.message for m in posted if hasattr(m, "notification")]
        assert said and all(m.startswith("Answer first") for m in said)
        assert session.snapshot().metrics == ()  # no epoch ran
        await pilot.press("a")  # back to the answer box
        await answer(pilot, app, "")
        await pilot.press("s")
        await pilot.pause()
        assert session.snapshot().address != where


@pilot_test
async def test_enter_alone_shows_the_answer_without_scoring_it(session):
    lesson = load(find("digit"))
    app = LessonApp(session, lesson)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("l")  # a question is waiting: the stop does not change
        assert "stop 1 of 3" in screen_text(app)
        await answer(pilot, app, "")
        assert "Shown, not scored: (784, 1)" in screen_text(app)
    assert app.answers[0]["right"] is None


def test_netviz_lesson_lists_the_course_and_refuses_a_bad_file(capsys, tmp_path):
    status, out, _ = run_cli(capsys, "lesson", "--list")
    assert status == 0 and len(out.splitlines()) >= 11 and "layer-one" in out
    bad = tmp_path / "bad.toml"
    bad.write_text('title = "t"\n[[stop]]\nat = "e9"\ntext = "x"\n')
    status, _, err = run_cli(capsys, "lesson", str(bad))
    assert status == 2 and f"{bad}:2: at = 'e9'" in err and len(err.strip().splitlines()) == 1


def test_answers_are_kept_in_the_trace_and_counted_by_trace_info(capsys, session):
    path = session.trace_path
    kept = [{"stop": 1, "question": "x", "answer": "784", "right": True},
            {"stop": 2, "question": "x[0]", "answer": "", "right": None}]  # fmt: skip
    session.keep_answers(kept)
    session.close()
    with TraceReader(path) as reader:
        assert [a["right"] for a in reader.meta["answers"]] == [True, None]
    status, out, _ = run_cli(capsys, "trace", "info", str(path))
    assert status == 0 and "2 (1 right)" in out


def test_trace_answers_gives_a_teacher_a_table(capsys, session, tmp_path):
    import csv

    path = session.trace_path
    kept = [{"lesson": "digit", "stop": 1, "at": "e0/x0/fwd/L1/Z", "question": "x",
             "answer": "(784, 1)", "right": True, "seconds": 4.2},
            {"lesson": "digit", "stop": 2, "at": "e0/x0/fwd/L1/Z", "question": "x[0]",
             "answer": "", "right": None, "seconds": 1.0}]  # fmt: skip
    session.keep_answers(kept)
    session.close()
    out = tmp_path / "answers.csv"
    status, said, _ = run_cli(capsys, "trace", "answers", str(path), "-o", str(out))
    assert status == 0 and "wrote 2 answers (1 right)" in said
    rows = list(csv.DictReader(out.open()))
    assert [(r["stop"], r["answer"], r["right"]) for r in rows] == [
        ("1", "(784, 1)", "yes"),
        ("2", "", "shown"),
    ]


def test_trace_answers_of_a_trace_without_any_is_one_line(capsys, session):
    path = session.trace_path
    session.close()
    status, _, err = run_cli(capsys, "trace", "answers", str(path))
    assert status == 2 and "no answers in this trace" in err and len(err.strip().splitlines()) == 1


@pilot_test
async def test_the_help_lists_the_lessons_keys(session):
    app = LessonApp(session, load(find("digit")))
    async with app.run_test(size=SIZE) as pilot:
        await answer(pilot, app, "")
        await pilot.press("question_mark")
        text = screen_text(app)
        assert "the lesson's next stop" in text and "type your answer" in text


@pilot_test
async def test_a_stop_without_a_question_leaves_the_keys_to_the_tour(session):
    lesson = load(find("chain-rule"))
    assert lesson.stops[0].question is None
    app = LessonApp(session, lesson)
    async with app.run_test(size=SIZE) as pilot:
        assert not app.query_one("#lesson-answer", Input).has_focus
        at = session.snapshot().address
        await pilot.press("a", "enter")  # nothing is asked: no answer is taken, nothing breaks
        await pilot.press("s")
        assert session.snapshot().address != at and app.answers == []


# Every kind of question, answered right, wrong and with "show me": (stop, question, the right
# answer as typed and a wrong one, from the values a twin run shows at the stop).
def _typed(kind: str, v, costs) -> tuple[str, str]:
    if kind == "number":
        z = float(v["Z2"][3, 0])
        return repr(z), repr(3 * z + 1)
    if kind == "compute":
        d = float(v["dZ3"][5, 0] * v["A2"][2, 0])  # dW3[5, 2] = dZ3[5]·A2[2]
        return repr(d), repr(2 * d)
    if kind == "sign":
        z = float(v["Z2"][5, 0])
        return ("+", "-") if z > 0 else ("-", "+")
    if kind == "shape":
        return "(16, 16)", "(16, 784)"
    if kind == "index":
        k = int(np.argmax(v["ŷ"][:, 0]))
        return str(k), str((k + 1) % 10)
    way = "down" if costs[1] < costs[0] else "up"
    return way, {"down": "up", "up": "down"}[way]


KIND_STOPS = {
    "number": ("e0/x0/fwd/L2/Z", 'kind = "number", ask = "Z2[3]", tolerance = 0.01'),
    "compute": ("e0/x0/bwd/L3/dW", 'kind = "compute", ask = "dW3[5, 2]", tolerance = 0.01'),
    "sign": ("e0/x0/fwd/L2/Z", 'kind = "sign", ask = "Z2[5]"'),
    "shape": ("e0/x0/fwd/L2/Z", 'kind = "shape", ask = "W2"'),
    "index": ("e0/x0/fwd/L3/A", 'kind = "index", ask = "ŷ"'),
    "updown": ("e1", 'kind = "updown", ask = "cost"'),
}


@pytest.mark.parametrize("how", ["right", "wrong", "show"])
@pytest.mark.parametrize("kind", list(KIND_STOPS))
@pilot_test
async def test_each_kind_of_question_answered_right_wrong_and_shown(tmp_path, kind, how):
    at, question = KIND_STOPS[kind]
    path = tmp_path / "kinds.toml"
    path.write_text(f'title = "kinds"\n\n[[stop]]\nat = "{at}"\ntext = "Look."\n'
                    f'question = {{ {question}, text = "Your answer?" }}\n')  # fmt: skip
    with Session(SPEC, trace=tmp_path / "twin.nvtrace") as twin:  # the same run, computed apart
        twin.reach(at)
        costs = None
        if kind == "updown":
            before = twin.snapshot().epoch_metrics.cost
            twin.run_epoch()
            costs = (before, twin.snapshot().metrics[-1].cost)
        right, wrong = _typed(kind, twin.arrays(), costs)
    with Session(SPEC, trace=tmp_path / "t.nvtrace") as session:
        app = LessonApp(session, load(path))
        async with app.run_test(size=SIZE) as pilot:
            await answer(pilot, app, {"right": right, "wrong": wrong, "show": ""}[how])
            text = screen_text(app)
            said = {"right": "Right", "wrong": "Not quite", "show": "Shown, not scored"}[how]
            assert said in text, text
            if kind == "compute" and how == "wrong":
                assert "yours needs" in text  # each factor set against the typed number
            if kind == "compute" and how == "right":  # the factors listed, none needing more
                assert "dZ3[5]" in text and "yours needs" not in text
            if kind != "updown":
                assert session.snapshot().address == at  # now the value is on screen
        want = {"right": True, "wrong": False, "show": None}[how]
        assert [a["right"] for a in app.answers] == [want]
        assert app.answers[0]["answer"] == (
            "" if how == "show" else (right if how == "right" else wrong)
        )


@pilot_test
async def test_a_compute_question_about_the_last_layers_a_is_about_yhat(session, tmp_path):
    path = tmp_path / "a3.toml"
    path.write_text('title = "A3"\n\n[[stop]]\nat = "e0/x0/fwd/L3/A"\ntext = "Look."\n'
                    'question = { kind = "compute", ask = "A3[2]", text = "A3[2]?", '
                    "tolerance = 0.05 }\n")  # fmt: skip
    app = LessonApp(session, load(path))
    async with app.run_test(size=SIZE) as pilot:
        await answer(pilot, app, "0.5")
        text = screen_text(app)
        assert "Not quite" in text and "ŷ[2] = exp(Z3[2] − m) / Σ_k exp(Z3[k] − m)" in text


@pilot_test
async def test_a_watch_does_not_show_a_hidden_value(session):
    session.add_watch("Z1[7]")
    app = LessonApp(session, load(find("layer-one")))
    async with app.run_test(size=SIZE) as pilot:
        await answer(pilot, app, "(16, 784)")
        await pilot.press("l")  # Z1 of example 1, hidden
        text = screen_text(app)
        assert "Z1[7] = hidden until you answer" in text
        z = session.arrays()["Z1"][7, 0]
        assert fmt(float(z)) not in text
