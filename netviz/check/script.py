"""Run a learner's script as they would run it, and report each assignment the checker follows.

The script runs as ``__main__`` (``runpy``), with their arguments in ``sys.argv`` and the
caller's working folder: it is their own code with their own rights, exactly like ``python
SCRIPT.py``. A line tracer (``sys.settrace``) follows only frames of the script's own file. Its
statements are read once (``ast``) for the names each line assigns (``W1 = …``, ``dw1 += …``,
``W1[:] = …``, ``for i in …``, ``a, b = f()``); when the next line starts, or the frame
returns, the names the finished line assigned are read from the frame and handed on with that
line's number. Lines that assign nothing recognised cost one dictionary lookup.
"""

from __future__ import annotations

import ast
import runpy
import sys
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

from .names import canonical


class StopScript(BaseException):  # noqa: N818 - not an error: the checker has seen enough
    """Raised inside the script to end it; a BaseException, so ``except Exception`` in the
    learner's code does not swallow it."""


@dataclass(frozen=True)
class Assigned:
    """One recognised assignment: the learner's ``variable`` (netviz's ``name`` for it) got
    ``value`` at ``line`` of the script, in function ``scope`` (``<module>`` at top level)."""

    name: str
    variable: str
    value: object
    line: int
    scope: str


@dataclass(frozen=True)
class Crash:
    """The script raised: its exception and the script's own line where it surfaced."""

    error: BaseException
    line: int | None
    text: str  # "ValueError: shapes (16,784) and (785,1) not aligned"


def assigned_names(source: str, filename: str = "<script>") -> dict[int, tuple[str, ...]]:
    """For each statement's first line, the plain names it assigns (targets of ``=``, ``+=``,
    annotated assignments, ``for`` loops and ``with … as``; ``W1[:] = …`` assigns W1, and so
    does a call's ``out=W1``)."""
    return {start: names for start, (names, _) in _statements(source, filename).items()}


def _statements(source: str, filename: str) -> dict[int, tuple[tuple[str, ...], int]]:
    """{first line: (names assigned, last line of the assignment)}; a ``for`` or ``with``
    statement's assignment is its header line only."""
    found: dict[int, tuple[list[str], int]] = {}

    def targets(node: ast.AST) -> list[str]:
        if isinstance(node, ast.Name):
            return [node.id]
        if isinstance(node, (ast.Tuple, ast.List)):
            return [n for e in node.elts for n in targets(e)]
        if isinstance(node, (ast.Subscript, ast.Attribute, ast.Starred)):  # W1[:] = …
            return targets(node.value)
        return []

    for node in ast.walk(ast.parse(source, filename)):
        names: list[str] = []
        end = node.lineno if hasattr(node, "lineno") else 0
        if isinstance(node, ast.Assign):
            names, end = [n for t in node.targets for n in targets(t)], node.end_lineno
        elif isinstance(node, (ast.AugAssign, ast.AnnAssign)) and node.value is not None:
            names, end = targets(node.target), node.end_lineno
        elif isinstance(node, (ast.For, ast.AsyncFor)):
            names = targets(node.target)
        elif isinstance(node, (ast.With, ast.AsyncWith)):
            names = [n for i in node.items if i.optional_vars for n in targets(i.optional_vars)]
        elif isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
            # np.add(dw1, g, out=dw1) writes dw1 in place, as dw1 += g would
            names = [n for k in node.value.keywords if k.arg == "out" for n in targets(k.value)]
            end = node.end_lineno
        if names:
            before, last = found.get(node.lineno, ([], node.lineno))
            found[node.lineno] = (before + names, max(last, end or node.lineno))
    return {line: (tuple(dict.fromkeys(n)), end) for line, (n, end) in found.items()}


def run_script(
    path: Path,
    args: list[str],
    see: Callable[[Assigned], None],
    given: dict[str, str] | None = None,
) -> Crash | None:
    """Run ``path`` as ``__main__`` with ``args`` as ``sys.argv[1:]``, calling ``see`` for each
    recognised assignment (it may raise :class:`StopScript` to end the run). None when the
    script ended or was stopped; a :class:`Crash` when it raised."""
    path = path.resolve()
    source = path.read_text(encoding="utf-8")
    filename = str(path)
    watched: dict[int, tuple[tuple[str, str], ...]] = {}  # first line: (variable, name)
    statement: dict[int, int] = {}  # any line of a watched assignment: its first line
    multiline: set[int] = set()  # first lines of assignments written over several lines
    for line, (names, end) in _statements(source, filename).items():
        known = tuple((n, c) for n in names if (c := canonical(n, given or {})) is not None)
        if known:
            watched[line] = known
            statement.update((k, line) for k in range(line, end + 1))
            if end > line:
                multiline.add(line)
    last_line: dict[FrameType, int] = {}

    def report(frame: FrameType, line: int, now: int | None) -> None:
        """The assignment ``line`` belongs to has finished, unless ``now`` is still inside it (a
        statement over several lines raises line events on its lines as it runs)."""
        start = statement.get(line)
        if start is None or (
            start in multiline and now is not None and statement.get(now) == start
        ):
            return
        names = watched[start]
        line = start
        values = frame.f_locals
        for variable, name in names:
            if variable in values:
                see(Assigned(name, variable, values[variable], line, frame.f_code.co_name))

    def local(frame: FrameType, event: str, arg: object):
        if event == "line":
            previous = last_line.get(frame)
            last_line[frame] = frame.f_lineno
            if previous is not None:
                report(frame, previous, frame.f_lineno)
        elif event == "return":
            previous = last_line.pop(frame, None)
            if previous is not None:
                report(frame, previous, None)
        elif event == "exception":
            last_line.pop(frame, None)  # the line did not finish: it assigned nothing
        return local

    def calls(frame: FrameType, event: str, arg: object):
        if frame.f_code.co_filename == filename:
            return local
        return None

    saved_argv, saved_path0 = sys.argv, sys.path[0] if sys.path else None
    sys.argv = [str(path), *args]
    sys.path.insert(0, str(path.parent))
    previous_trace = sys.gettrace()
    sys.settrace(calls)
    try:
        runpy.run_path(filename, run_name="__main__")
    except StopScript:
        return None
    except SystemExit as done:  # the script's own sys.exit(): it ended
        if done.code in (None, 0):
            return None
        return _crash(done, filename)
    except Exception as error:  # noqa: BLE001 - the learner's error, reported as theirs
        return _crash(error, filename)
    finally:
        sys.settrace(previous_trace)
        sys.argv = saved_argv
        if sys.path and sys.path[0] == str(path.parent):
            del sys.path[0]
        del saved_path0
    return None


def _crash(error: BaseException, filename: str) -> Crash:
    """The error with the deepest line of the script in its traceback."""
    line = None
    for frame in traceback.extract_tb(error.__traceback__):
        if frame.filename == filename:
            line = frame.lineno
    text = "".join(traceback.format_exception_only(type(error), error)).strip()
    return Crash(error, line, text.splitlines()[-1] if text else type(error).__name__)
