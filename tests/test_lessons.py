"""Lesson files and their questions (issue 14's engine): bad files refused in one line, every
right answer computed from the run and checked against an independent computation, answers
scored, and the shipped course answerable on a live run."""

from __future__ import annotations

import numpy as np
import pytest

from netviz.core.network import as_inputs, forward
from netviz.core.presets import PRESETS
from netviz.lessons.format import LessonError, Question, find, lessons, load
from netviz.lessons.questions import right_answer, score, verify
from netviz.session.live import Session
from netviz.training.run import RunSpec

GOOD = """title = "Z1"

[[stop]]
at = "e0/x0/fwd/L1/Z"
text = "Look at Z1."
question = { kind = "number", ask = "Z1[7]", text = "What is Z1[7]?", tolerance = 0.05 }
"""


@pytest.fixture(scope="module")
def session(tmp_path_factory):
    spec = RunSpec(PRESETS["seed"], train_size=200, test_size=50)
    s = Session(spec, trace=tmp_path_factory.mktemp("lesson") / "t.nvtrace")
    yield s
    s.close()


def write(tmp_path, text: str, name: str = "lesson.toml"):
    path = tmp_path / name
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("title = ", "not TOML"),
        ('title = "t"\n', "at least one [[stop]]"),
        ('titel = "t"\n', "unknown key 'titel'"),
        ('title = "t"\npreset = "fast"\n[[stop]]\nat = "e0"\ntext = "x"\n', "preset 'fast'"),
        ('title = "t"\n\n[[stop]]\nat = "e0/x0/fwd/L9"\ntext = "x"\n', ":3: at = "),
        ('title = "t"\n[[stop]]\nat = "e4"\ntext = "x"\n', ":2: at = 'e4': a lesson reaches"),
        ('title = "t"\n[[stop]]\nat = "e1"\n', ":2: text must be"),
        ('title = "t"\n[[stop]]\nat = "e1"\ntext = "x"\nanswer = 3\n', "unknown key 'answer'"),
        (GOOD.replace('kind = "number"', 'kind = "guess"'), "kind 'guess'"),
        (GOOD.replace("tolerance = 0.05", "tolerance = 5"), "tolerance between 0 and 1"),
        (GOOD.replace('ask = "Z1[7]"', 'ask = "Z1"'), "asks about one entry"),
        (GOOD.replace('ask = "Z1[7]"', 'ask = "Z1[7"'), "ask = 'Z1[7':"),
        (GOOD.replace("}", ", answer = -3 }"), "unknown key 'answer' in a question"),
        (GOOD.replace('kind = "number"', 'kind = "updown"'), "updown question is asked at an"),
        (GOOD.replace('"number", ask = "Z1[7]"', '"compute", ask = "W1[7, 0]"'), "of Z, A, ŷ or a"),
        (
            GOOD.replace('"number"', '"compute"').replace(", tolerance = 0.05", ""),
            "a compute question needs a tolerance",
        ),  # fmt: skip
    ],
)
def test_a_bad_lesson_file_is_refused_in_one_line_naming_it(tmp_path, text, message):
    path = write(tmp_path, text)
    with pytest.raises(LessonError) as refused:
        load(path)
    said = str(refused.value)
    assert said.startswith(str(path)) and message in said and "\n" not in said


def test_a_good_file_reads_back_its_stops_and_questions(tmp_path):
    lesson = load(write(tmp_path, GOOD, "03-z.toml"))
    assert (lesson.name, lesson.title, lesson.preset) == ("z", "Z1", "seed")
    (stop,) = lesson.stops
    assert (stop.at, stop.line) == ("e0/x0/fwd/L1/Z", 3)
    assert stop.question == Question("number", "Z1", (7,), "What is Z1[7]?", 0.05)


def test_right_answers_are_computed_from_the_run(session):
    """Each kind's answer against a computation of its own: the forward pass by the core on
    the example's pixels, not the session's recorded ops."""
    session.goto("e0/x0/fwd/L3/A")
    values = session.arrays()
    params, hidden = session._params, session._run.hidden
    x = as_inputs(session._run.train.images[:1])
    cache = forward(params, x, hidden)
    z17 = float(params.W[0][7] @ x[:, 0] + params.b[0][7])
    assert right_answer(Question("number", "Z1", (7,), "?", 0.01), values).value == pytest.approx(
        z17, rel=1e-12
    )
    assert right_answer(Question("sign", "Z1", (7,), "?"), values).value == (
        "+" if z17 > 0 else "−"
    )
    assert right_answer(Question("shape", "W1", (), "?"), values).value == (16, 784)
    digit = int(np.argmax(cache["A3"][:, 0]))
    assert right_answer(Question("index", "ŷ", (), "?"), values).value == digit
    assert right_answer(Question("index", "A3", (), "?"), values).value == digit
    with pytest.raises(LookupError, match="not computed at this stop"):
        right_answer(Question("number", "dZ3", (0,), "?", 0.1), values)


def test_answers_are_scored_with_the_real_numbers():
    number = Question("number", "Z1", (7,), "?", 0.05)
    from netviz.lessons.questions import Right

    right = Right(-500.0, "Z1[7] = -500")
    assert score(number, "-490", right).right and not score(number, "-400", right).right
    assert "20.0 % off" in score(number, "-400", right).feedback
    tiny = Right(3e-95, "A1(1−A1)[2] = 3e-95")  # a saturated neuron: 0 is right, 1e-3 is not
    assert score(number, "0", tiny).right and not score(number, "0.001", tiny).right
    with pytest.raises(ValueError, match="type a number"):
        score(number, "lots", right)
    sign = Question("sign", "Z1", (7,), "?")
    assert (
        score(sign, "negative", Right("−", "−")).right
        and not score(sign, "+", Right("−", "−")).right
    )
    shape = Question("shape", "W1", (), "?")
    for typed in ("(16, 784)", "16x784", "[16,784]"):
        assert score(shape, typed, Right((16, 784), "(16, 784)")).right
    assert not score(shape, "(784, 16)", Right((16, 784), "(16, 784)")).right
    for typed in ("(784, 1)", "(784,)", "784"):  # a column, written as a vector
        assert score(shape, typed, Right((784, 1), "(784, 1)")).right
    way = Question("updown", "cost", (), "?")
    assert score(way, "Down", Right("down", "down")).right
    with pytest.raises(ValueError, match="up or down"):
        score(way, "sideways", Right("down", "down"))


def test_a_question_the_run_cannot_answer_is_refused_before_the_lesson(session, tmp_path):
    text = GOOD.replace('ask = "Z1[7]"', 'ask = "Z1[99]"')
    lesson = load(write(tmp_path, text))

    def values_at(address):
        session.goto(address)
        return session.arrays()

    with pytest.raises(LessonError, match=r"lesson.toml:3: Z1\[99\] at e0/x0/fwd/L1/Z: .*outside"):
        verify(lesson, values_at)


def test_the_shipped_course_loads_and_every_question_is_answerable(tmp_path):
    """Each lesson on a fresh run of its own preset, its stops in order, epochs run as a stop
    needs them: every question's right answer comes from that run."""
    files = lessons()
    assert len(files) >= 11, files
    course = [load(path) for path in files]
    first = course[0].stops[0].question
    assert first is not None and first.kind in ("number", "index", "sign", "shape")
    for k, lesson in enumerate(course):
        spec = RunSpec(PRESETS[lesson.preset], train_size=200, test_size=50)
        with Session(spec, trace=tmp_path / f"{k}.nvtrace") as run:

            def values_at(address, run=run):
                run.reach(address)
                return run.arrays()

            verify(lesson, values_at)
            for stop in lesson.stops:  # a compute question's card is the right answer's entry
                q = stop.question
                if q is not None and q.kind == "compute":
                    run.reach(stop.at)
                    card = run.chain_rule(q.name, q.index)
                    assert card.value == right_answer(q, run.arrays()).value, stop.at
    assert any(s.question and s.question.kind == "compute" for c in course for s in c.stops)
    assert find("02") == files[1] and find(files[1].stem.partition("-")[2]) == files[1]


def test_review_asks_exactly_the_missed_stops_in_the_order_a_run_reaches_them():
    from netviz.lessons.review import missed, review

    answers = [
        {"lesson": "layer-one", "stop": 2, "right": False},
        {"lesson": "digit", "stop": 1, "right": True},
        {"lesson": "digit", "stop": 2, "right": None},  # shown, not answered: missed
        {"lesson": "layer-one", "stop": 1, "right": False},
        {"lesson": "layer-one", "stop": 1, "right": True},  # right the second time
        {"lesson": "update", "stop": 1, "right": False},
        {"lesson": "scaling", "stop": 2, "right": False},  # another preset: its own review
        {"lesson": "gone", "stop": 1, "right": False},  # no such lesson any more
        "junk",
        {"lesson": "digit", "stop": "2", "right": False},
    ]
    stops = missed(answers)
    assert stops == [("layer-one", 2), ("digit", 2), ("update", 1), ("scaling", 2), ("gone", 1)]
    again = review(stops)
    expected = [
        load(find("layer-one")).stops[1],
        load(find("digit")).stops[1],
        load(find("update")).stops[0],
    ]
    expected.sort(key=lambda s: int(s.at[1:].split("/")[0]))
    assert [(s.at, s.text) for s in again.stops] == [(s.at, s.text) for s in expected]
    assert again.title.startswith("Review: 3 questions")
    assert again.stops[0].origin in {("layer-one", 2), ("digit", 2)}  # answers name the source
    assert review([("gone", 1)]) is None


def test_review_with_nothing_missed_says_so(capsys, tmp_path):
    from helpers import run_cli

    spec = RunSpec(PRESETS["seed"], train_size=60, test_size=20)
    with Session(spec, trace=tmp_path / "a.nvtrace") as run:
        run.keep_answers([{"lesson": "digit", "stop": 1, "right": True}])
    status, out, _ = run_cli(capsys, "lesson", "--review", str(tmp_path))
    assert status == 0 and "nothing to review" in out
