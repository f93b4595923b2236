"""A lesson file: TOML (the standard library's ``tomllib``), checked as it is read.

    title = "Z1 = W1·x + b1"
    preset = "seed"                      # optional; the run the lesson steps through

    [[stop]]
    at = "e0/x0/fwd/L1/Z"                # where the tour goes
    text = "What to look at, and why."
    question = { kind = "number", ask = "Z1[7]", text = "What is Z1[7]?", tolerance = 0.05 }

A bad file is refused with one line naming the file, the line and what is wrong. The right
answers are never in the file: :mod:`.questions` computes them from the run.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from ..core.presets import PRESETS
from ..errors import NetvizError
from ..safe import literal, shown
from ..trace.schema import parse_address

COURSE = Path(__file__).parent / "course"
KINDS = ("number", "compute", "sign", "shape", "index", "updown")
# an entry with a card (netviz.debug.chain): a compute question's feedback sets it out
CARDS = re.compile(r"(?:Z\d+|A\d+|ŷ|yhat|d[WbZA]\d+)")
MAX_EPOCH = 3  # a lesson's stops reach at most the weights after 3 epochs (seconds of training)
MAX_TITLE, MAX_TEXT = 70, 600
ENTRY = re.compile(r"(?P<name>[A-Za-zŷ][A-Za-z0-9]*)(?:\[(?P<index>\d+(?:\s*,\s*\d+)?)\])?")


class LessonError(NetvizError):
    """A lesson file that cannot be used; the message names the file and the line."""


@dataclass(frozen=True)
class Question:
    """What is asked at a stop: ``kind`` (number, sign, shape, index, updown), the value asked
    about (``name`` and ``index``: ``Z1[7]`` is ("Z1", (7,))), the question as shown, and for a
    number the relative tolerance."""

    kind: str
    name: str
    index: tuple[int, ...]
    text: str
    tolerance: float = 0.0

    @property
    def asked(self) -> str:
        """``Z1[7]``, ``dW3[5, 2]``, ``ŷ``: the value as the lesson names it."""
        return self.name + (f"[{', '.join(map(str, self.index))}]" if self.index else "")


@dataclass(frozen=True)
class Stop:
    at: str
    text: str
    question: Question | None
    line: int  # of its [[stop]] header, for messages
    origin: tuple[str, int] | None = None  # a review's stop: the (lesson, stop) it comes from


@dataclass(frozen=True)
class Lesson:
    name: str  # the file's name without its order prefix and suffix: "layer-one"
    title: str
    preset: str
    stops: tuple[Stop, ...]
    path: Path


def lessons() -> list[Path]:
    """The shipped course's lesson files, in order."""
    return sorted(COURSE.glob("*.toml"))


def find(name: str) -> Path:
    """A lesson by its name (``layer-one``, ``02``, ``02-layer-one``) or a file path."""
    path = Path(name)
    if path.suffix == ".toml" or path.exists():
        if not path.is_file():
            raise LessonError(f"{literal(name)}: no such lesson file")
        return path
    for file in lessons():
        order, _, short = file.stem.partition("-")
        if name in (file.stem, short, order):
            return file
    known = ", ".join(f.stem.partition("-")[2] for f in lessons())
    raise LessonError(f"'{shown(name)}': no such lesson (the course: {known})")


def load(path: Path) -> Lesson:
    """Read and check the lesson at ``path``; LessonError names the line and the problem."""
    where = literal(path)
    try:
        text = path.read_text(encoding="utf-8")
        data = tomllib.loads(text)
    except OSError as e:
        raise LessonError(f"{where}: cannot read it ({e.strerror or e})") from None
    except UnicodeDecodeError:
        raise LessonError(f"{where}: not UTF-8 text") from None
    except tomllib.TOMLDecodeError as e:
        raise LessonError(f"{where}: not TOML ({e})") from None
    headers = [n for n, line in enumerate(text.splitlines(), 1) if line.strip() == "[[stop]]"]

    def fail(problem: str, line: int | None = None) -> LessonError:
        return LessonError(f"{where}{f':{line}' if line else ''}: {problem}")

    unknown = set(data) - {"title", "preset", "stop"}
    if unknown:
        raise fail(f"unknown key '{shown(sorted(unknown)[0])}' (keys: title, preset, [[stop]])")
    title = data.get("title")
    if not isinstance(title, str) or not title.strip() or len(title) > MAX_TITLE:
        raise fail(f"title must be a line of text of at most {MAX_TITLE} characters")
    preset = data.get("preset", "seed")
    if preset not in PRESETS:
        raise fail(f"preset '{shown(preset)}' is not one of {', '.join(PRESETS)}")
    stops = data.get("stop")
    if not isinstance(stops, list) or not stops:
        raise fail("a lesson needs at least one [[stop]]")
    read = []
    for k, stop in enumerate(stops):
        line = headers[k] if k < len(headers) else None
        read.append(_stop(stop, line, fail))
    short = path.stem.partition("-")[2] if path.stem[:2].isdigit() else path.stem
    return Lesson(short, title.strip(), preset, tuple(read), path)


def _stop(stop: object, line: int | None, fail) -> Stop:
    if not isinstance(stop, dict):
        raise fail("a stop is a [[stop]] table", line)
    unknown = set(stop) - {"at", "text", "question"}
    if unknown:
        raise fail(
            f"unknown key '{shown(sorted(unknown)[0])}' in a stop (at, text, question)", line
        )
    at, text = stop.get("at"), stop.get("text")
    where = parse_address(at) if isinstance(at, str) else None
    if where is None:
        raise fail(f"at = '{shown(str(at))}' is not an address (e0/x0/fwd/L1/Z, or e1)", line)
    if where["epoch"] > MAX_EPOCH:
        raise fail(f"at = '{shown(at)}': a lesson reaches epochs 0–{MAX_EPOCH} only", line)
    if not isinstance(text, str) or not text.strip() or len(text) > MAX_TEXT:
        raise fail(f"text must be text of at most {MAX_TEXT} characters", line)
    question = stop.get("question")
    if question is not None:
        question = _question(question, where, line, fail)
    return Stop(at.strip(), " ".join(text.split()), question, line or 0)


def _question(q: object, where: dict, line: int | None, fail) -> Question:
    if not isinstance(q, dict):
        raise fail("question is a table: { kind = …, ask = …, text = … }", line)
    unknown = set(q) - {"kind", "ask", "text", "tolerance"}
    if unknown:
        raise fail(f"unknown key '{shown(sorted(unknown)[0])}' in a question", line)
    kind, ask, text = q.get("kind"), q.get("ask"), q.get("text")
    if kind not in KINDS:
        raise fail(f"question kind '{shown(str(kind))}' is not one of {', '.join(KINDS)}", line)
    match = ENTRY.fullmatch(ask.strip()) if isinstance(ask, str) else None
    if match is None:
        raise fail(
            f"ask = '{shown(str(ask))}': name a value (Z1, ŷ, cost) or an entry (Z1[7])", line
        )
    if not isinstance(text, str) or not text.strip():
        raise fail("a question needs its text", line)
    index = tuple(int(i) for i in (match["index"] or "").replace(" ", "").split(",") if i)
    needs_entry = kind in ("number", "compute", "sign") and match["name"] != "cost"
    if needs_entry and not index:
        raise fail(f"a {kind} question asks about one entry, like Z1[7]", line)
    if kind == "compute" and not CARDS.fullmatch(match["name"]):
        raise fail("a compute question asks about an entry of Z, A, ŷ or a gradient, whose "
                   "factors the feedback shows (Z1[7], dZ2[3], dW3[5, 2])", line)  # fmt: skip
    if kind in ("shape", "index") and index:
        raise fail(f"a {kind} question asks about a whole array, like ŷ", line)
    if kind == "updown" and (where["example"] is not None or match["name"] != "cost"):
        raise fail('an updown question is asked at an epoch (at = "e1") about the cost', line)
    numeric = kind in ("number", "compute")
    tolerance = q.get("tolerance", None if numeric else 0.0)
    if numeric and (
        not isinstance(tolerance, (int, float)) or isinstance(tolerance, bool)
        or not 0 < tolerance < 1
    ):  # fmt: skip
        raise fail(f"a {kind} question needs a tolerance between 0 and 1 (0.05: 5 %)", line)
    return Question(kind, match["name"], index, " ".join(text.split()), float(tolerance or 0))
