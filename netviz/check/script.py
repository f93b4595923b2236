"""Run a learner's script as they would run it, and report each assignment the checker follows.

The script runs as ``__main__``, with their arguments in ``sys.argv``, their folder first on
``sys.path`` and the caller's working folder: it is their own code with their own rights,
exactly like ``python SCRIPT.py``. Before it runs, its syntax tree gets one call after each
statement that assigns a recognised name (``W1 = …``, ``dw1 += …``, ``y[label] = 1``, ``a, b =
f()``, ``np.add(dw1, g, out=dw1)``) and at the top of each ``for`` and ``with`` body that binds
one: the call hands the checker the name, its value and the statement's line. Nothing else
changes: line numbers and tracebacks are the script's own, and statements that assign nothing
recognised run at full speed (a line tracer cost 2–3× the script's own time).
"""

from __future__ import annotations

import ast
import builtins
import sys
import traceback
import types
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from .names import canonical

HOOK = "__netviz_check_sees__"  # the name of the call put into the script


class StopScript(BaseException):  # noqa: N818 - not an error: the checker has seen enough
    """Raised inside the script to end it; a BaseException, so ``except Exception`` in the
    learner's code does not swallow it."""


@dataclass(slots=True)
class Assigned:
    """One recognised assignment: the learner's ``variable`` (netviz's ``name`` for it) got
    ``value`` at ``line`` of the script."""

    name: str
    variable: str
    value: object
    line: int


@dataclass(frozen=True)
class Crash:
    """The script raised: its exception and the script's own line where it surfaced."""

    error: BaseException
    line: int | None
    text: str  # "ValueError: shapes (16,784) and (785,1) not aligned"


class Target(NamedTuple):
    """An assignment target: the name netviz recognises (``W1`` of ``self.W1`` or
    ``params["W1"]``), the learner's text for it, and the expression that reads it back."""

    key: str
    shown: str
    expr: ast.expr
    node: ast.AST | None = None  # the target as written (its text is shown as the learner wrote it)


def _load(node: ast.expr) -> ast.expr:
    """A copy of a target expression that reads its value (``self.W1``, ``p["W1"]``)."""
    return ast.parse(ast.unparse(node), mode="eval").body


def _targets(node: ast.AST) -> list[Target]:
    """What an assignment target binds or writes into: a name, an attribute (``self.W1``), a
    string key (``params["W1"]``), or the array a subscript writes into (``W1[:]``, ``y[k]``)."""
    if isinstance(node, ast.Name):
        return [Target(node.id, node.id, ast.Name(node.id, ast.Load()))]
    if isinstance(node, (ast.Tuple, ast.List)):
        return [t for e in node.elts for t in _targets(e)]
    if isinstance(node, ast.Attribute):
        return [Target(node.attr, ast.unparse(node), _load(node), node)]
    if isinstance(node, ast.Subscript):
        key = node.slice
        if (
            isinstance(key, ast.Constant)
            and isinstance(key.value, str)
            and key.value.isidentifier()
        ):
            return [Target(key.value, ast.unparse(node), _load(node), node)]
        return _targets(node.value)
    if isinstance(node, ast.Starred):
        return _targets(node.value)
    return []


def _assigns(node: ast.stmt) -> list[Target]:
    """What a simple statement assigns (after it has run)."""
    if isinstance(node, ast.Assign):
        return [t for target in node.targets for t in _targets(target)]
    if isinstance(node, (ast.AugAssign, ast.AnnAssign)) and node.value is not None:
        return _targets(node.target)
    if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
        return [t for k in node.value.keywords if k.arg == "out" for t in _targets(k.value)]
    return []


def _binds(node: ast.stmt) -> list[Target]:
    """What a ``for``, a ``with`` or a function's parameters bind at the top of its body
    (``def train(X, Y, alpha)`` called with 0.1 tells α)."""
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        a = node.args
        names = [p.arg for p in (*a.posonlyargs, *a.args, *a.kwonlyargs)]
        return [Target(n, n, ast.Name(n, ast.Load())) for n in names]
    if isinstance(node, (ast.For, ast.AsyncFor)):
        return _targets(node.target)
    if isinstance(node, (ast.With, ast.AsyncWith)):
        return [t for i in node.items if i.optional_vars for t in _targets(i.optional_vars)]
    return []


def assigned_names(source: str, filename: str = "<script>") -> dict[int, tuple[str, ...]]:
    """For each statement's first line, the names it assigns as netviz reads them (targets of
    ``=``, ``+=``, ``for`` and ``with … as``; ``W1[:] = …`` assigns W1, ``self.W1 = …`` and
    ``params["W1"] = …`` W1, and so does a call's ``out=W1``)."""
    found: dict[int, list[str]] = {}
    for node in ast.walk(ast.parse(source, filename)):
        if isinstance(node, ast.stmt):
            names = [t.key for t in _assigns(node) + _binds(node)]
            if names:
                found.setdefault(node.lineno, []).extend(names)
    return {line: tuple(dict.fromkeys(names)) for line, names in found.items()}


class _Instrument(ast.NodeTransformer):
    """Puts ``HOOK(line, ((variable, name, value), …))`` after each recognised assignment."""

    def __init__(self, given: dict[str, str], source: str = "") -> None:
        self.given, self.source = given, source

    def _call(self, node: ast.stmt, targets: list[Target]) -> ast.stmt | None:
        targets = [
            t._replace(shown=ast.get_source_segment(self.source, t.node) or t.shown)
            if t.node is not None
            else t
            for t in targets
        ]
        unique = {t.shown: t for t in targets}.values()
        known = [(t, c) for t in unique if (c := canonical(t.key, self.given))]
        if not known:
            return None
        items = [
            ast.Tuple([ast.Constant(t.shown), ast.Constant(c), t.expr], ast.Load())
            for t, c in known
        ]
        call = ast.Call(
            ast.Name(HOOK, ast.Load()),
            [ast.Constant(node.lineno), ast.Tuple(items, ast.Load())],
            [],
        )
        call = ast.Expr(call)
        for part in ast.walk(call):  # the script's own line, for anything that would point here
            ast.copy_location(part, node)
        return call

    def _body(self, statements: list[ast.stmt]) -> list[ast.stmt]:
        out: list[ast.stmt] = []
        for node in statements:
            node = self.visit(node)
            out.append(node)
            call = self._call(node, _assigns(node))
            if call is not None:
                out.append(call)
        return out

    def generic_visit(self, node: ast.AST) -> ast.AST:
        for field in ("body", "orelse", "finalbody"):
            block = getattr(node, field, None)
            if isinstance(block, list) and block and isinstance(block[0], ast.stmt):
                setattr(node, field, self._body(block))
        for handler in getattr(node, "handlers", []):
            handler.body = self._body(handler.body)
        for case in getattr(node, "cases", []):
            case.body = self._body(case.body)
        bound = self._call(node, _binds(node)) if isinstance(node, ast.stmt) else None
        if bound is not None:
            node.body.insert(0, bound)
        return node


def instrumented(source: str, filename: str, given: dict[str, str] | None = None):
    """The script compiled with the checker's calls in it."""
    tree = _Instrument(given or {}, source).visit(ast.parse(source, filename))
    return compile(ast.fix_missing_locations(tree), filename, "exec")


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
    filename = str(path)
    code = instrumented(path.read_text(encoding="utf-8"), filename, given)

    def sees(line: int, values: tuple) -> None:
        for variable, name, value in values:
            see(Assigned(name, variable, value, line))

    main = types.ModuleType("__main__")
    main.__dict__.update({"__file__": filename, "__builtins__": builtins, HOOK: sees})
    saved = sys.argv, list(sys.path), sys.modules.get("__main__")
    sys.argv = [filename, *args]
    sys.path.insert(0, str(path.parent))
    sys.modules["__main__"] = main
    try:
        exec(code, main.__dict__)  # noqa: S102 - the learner's own script, run as they would
    except StopScript:
        return None
    except SystemExit as done:  # the script's own sys.exit(): it ended
        return None if done.code in (None, 0) else _crash(done, filename)
    except Exception as error:  # noqa: BLE001 - the learner's error, reported as theirs
        return _crash(error, filename)
    finally:
        sys.argv, sys.path[:] = saved[0], saved[1]
        if saved[2] is not None:
            sys.modules["__main__"] = saved[2]
    return None


def _crash(error: BaseException, filename: str) -> Crash:
    """The error with the deepest line of the script in its traceback."""
    line = None
    for frame in traceback.extract_tb(error.__traceback__):
        if frame.filename == filename:
            line = frame.lineno
    text = "".join(traceback.format_exception_only(type(error), error)).strip()
    return Crash(error, line, text.splitlines()[-1] if text else type(error).__name__)
