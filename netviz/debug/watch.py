"""Watches: small expressions over one step's tensors, parsed into a safe language, never eval'd.

    norm(dW1)/norm(W1)    argmax(ŷ)     mean(A1 > 0.99)     dZ2[3]     W1[2, 5]     A1[0:4]
    max(abs(dZ1))         -cost         sum(dW1) / 1000     (A1 > 0.5) & (A1 < 0.9)

Grammar (Python's own syntax, parsed with ``ast`` and checked against an allow-list):

    expr   := number | name | expr OP expr | -expr | +expr | not expr | expr CMP expr [CMP expr …]
            | func(expr) | expr[index, …] | (expr)
    OP     := + - * / // % ** @ & |          (& and | are element-wise and/or: bracket each side)
    CMP    := < <= > >= == !=                 (chains such as 0 < A1 < 1 are element-wise)
    index  := expr | [expr]:[expr][:expr]     (each expr a whole number: dZ2[argmax(ŷ)] works)
    name   := a tensor of this step (Z1, A1, ŷ, dW2, x, y, cost, α…) | pi | e
    number := an int (within int64) or float literal, or True / False
    func   := abs sqrt log exp                                       (element-wise)
            | norm mean sum min max std argmax argmin count size any all  (over the whole array)

Each function takes exactly one argument; ``argmax`` gives the flat index, ``norm`` the Frobenius
/ 2-norm, ``count`` the number of non-zero (true) entries. Arithmetic follows numpy, with
broadcasting: ``1/0`` is inf and ``log(0)`` is -inf, not an error; ``dZ2[3]`` of a (16, 1) column
is a (1,) array.

Refused with a :class:`WatchError` saying what and where (1-based ``column``): attributes,
strings, other calls, keywords, ``and``/``or``, lambdas, comprehensions, literals other than
numbers, ``None`` and ``...`` indices; text over 500 characters or over one line; trees deeper
than 50 or larger than 200 nodes; ``**`` exponents beyond ±100 (constant ones when parsed);
results over 10 million elements, before they are made.
"""

from __future__ import annotations

import ast
import math
import operator
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np

MAX_CHARS, MAX_DEPTH, MAX_NODES, MAX_EXPONENT, MAX_ELEMENTS = 500, 50, 200, 100, 10_000_000
SHOWN = 6  # format_value lists arrays of up to this many numbers in full
Value = int | float | bool | np.ndarray | np.generic


def _size(a) -> int:
    return int(np.size(a))


def _int(f: Callable) -> Callable:
    return lambda a: int(f(a))


# name: (function, element-wise?) — element-wise results are as large as their argument.
_FUNCTIONS: dict[str, tuple[Callable, bool]] = {
    "norm": (lambda a: np.linalg.norm(np.ravel(a)), False),
    "abs": (np.abs, True),
    "sqrt": (np.sqrt, True),
    "log": (np.log, True),
    "exp": (np.exp, True),
    "mean": (np.mean, False),
    "sum": (np.sum, False),
    "min": (np.min, False),
    "max": (np.max, False),
    "std": (np.std, False),
    "argmax": (_int(np.argmax), False),
    "argmin": (_int(np.argmin), False),
    "count": (_int(np.count_nonzero), False),
    "size": (_size, False),
    "any": (np.any, False),
    "all": (np.all, False),
}
FUNCTIONS: tuple[str, ...] = tuple(_FUNCTIONS)
CONSTANTS: Mapping[str, float] = {"pi": math.pi, "e": math.e}

_BINARY: dict[type, Callable] = {
    ast.Add: np.add,
    ast.Sub: np.subtract,
    ast.Mult: np.multiply,
    ast.Div: np.true_divide,
    ast.FloorDiv: np.floor_divide,
    ast.Mod: np.remainder,
    ast.Pow: np.power,
    ast.MatMult: np.matmul,
    ast.BitAnd: np.bitwise_and,  # element-wise and, on comparisons' true/false values
    ast.BitOr: np.bitwise_or,
}
# Exact Python-int arithmetic for int-only operands (2**62 stays exact; numpy's int64 would wrap).
_EXACT = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
          ast.BitAnd: operator.and_, ast.BitOr: operator.or_}  # fmt: skip
_COMPARE: dict[type, Callable] = {
    ast.Lt: np.less,
    ast.LtE: np.less_equal,
    ast.Gt: np.greater,
    ast.GtE: np.greater_equal,
    ast.Eq: np.equal,
    ast.NotEq: np.not_equal,
}
_REFUSED = {
    ast.BoolOp: "'and' / 'or' are not allowed: use & and | with brackets, e.g. (A1 > 0) & (A1 < 1)",
    ast.Lambda: "lambda is not allowed",
    ast.IfExp: "'x if c else y' is not allowed",
    ast.NamedExpr: "assignment (:=) is not allowed",
    ast.Dict: "dictionaries are not allowed",
    ast.Set: "sets are not allowed",
    ast.List: "lists are not allowed",
    ast.Tuple: "tuples are not allowed (a comma only separates indices, as in W1[2, 5])",
    ast.ListComp: "comprehensions are not allowed",
    ast.SetComp: "comprehensions are not allowed",
    ast.DictComp: "comprehensions are not allowed",
    ast.GeneratorExp: "comprehensions are not allowed",
    ast.JoinedStr: "f-strings are not allowed",
    ast.Starred: "*arguments are not allowed",
    ast.Slice: "a slice (a:b) is only allowed inside [ ]",
}
_NOT_NODES = (ast.expr_context, ast.operator, ast.unaryop, ast.cmpop, ast.boolop)


class WatchError(ValueError):
    """A watch that cannot be parsed or evaluated, told in plain words; ``column`` is 1-based."""

    def __init__(self, problem: str, column: int | None = None) -> None:
        self.problem, self.column = problem, column
        super().__init__(problem if column is None else f"{problem} (column {column})")


@dataclass(frozen=True)
class Watch:
    """A checked watch expression. Make one with :meth:`Watch.parse`, then :meth:`evaluate` it."""

    text: str  # as parsed: surrounding whitespace removed
    names: tuple[str, ...]  # the tensors it reads, in order of first appearance
    tree: ast.Expression = field(repr=False, compare=False)

    @classmethod
    def parse(cls, text: str) -> Watch:
        """Parse and check ``text``; raises :class:`WatchError` saying what is not allowed."""
        text = text.strip()
        if not text:
            raise WatchError("empty watch: type an expression such as norm(dW1)/norm(W1)")
        if len(text) > MAX_CHARS:
            raise WatchError(
                f"a watch is at most {MAX_CHARS} characters (this one has {len(text)})"
            )
        if "\n" in text or "\r" in text:
            raise WatchError("a watch is one line")
        try:
            tree = ast.parse(text, mode="eval")
        except SyntaxError as err:
            raise WatchError(f"not a valid expression: {err.msg}", err.offset or None) from None
        except (ValueError, RecursionError, MemoryError):  # null bytes; absurd nesting
            raise WatchError("not a valid expression") from None
        _check_size(tree)
        names = _Checker(text).check(tree)
        return cls(text, names, tree)

    def missing(self, names: Iterable[str]) -> tuple[str, ...]:
        """The tensors this watch reads that are not among ``names`` (compared as the parser
        reads names: ``ŷ`` however it was typed)."""
        have = {unicodedata.normalize("NFKC", n) for n in names}
        return tuple(n for n in self.names if n not in have)

    def evaluate(self, tensors: Mapping[str, np.ndarray]) -> Value:
        """The watch's value on one step's ``tensors``: a Python scalar for 0-d results."""
        by_name = {unicodedata.normalize("NFKC", k): k for k in tensors}  # as the parser does
        arrays = {}
        for name in self.names:
            if name not in by_name:
                have = ", ".join(sorted(tensors)) or "no tensors"
                raise WatchError(f"unknown name {name!r}; this step has: {have}")
            arrays[name] = np.asarray(tensors[by_name[name]])
            if arrays[name].dtype.kind not in "biuf":
                raise WatchError(f"{name} holds {arrays[name].dtype} values, not numbers")
        value = _Evaluator(self.text, arrays).run(self.tree.body)
        if isinstance(value, np.ndarray) and value.ndim > 0:
            value = value.view()
            value.setflags(write=False)  # may be a view of the session's arrays
            return value
        return value.item() if isinstance(value, np.ndarray | np.generic) else value


def _column(text: str, node: ast.AST) -> int | None:
    """1-based character column of ``node``: the dot of an attribute (offsets count UTF-8 bytes)."""
    offset = node.col_offset if isinstance(node, ast.expr) else None
    if isinstance(node, ast.Attribute) and node.end_col_offset is not None:
        offset = node.end_col_offset - len(node.attr.encode()) - 1
    return None if offset is None else len(text.encode()[:offset].decode(errors="ignore")) + 1


def _check_size(tree: ast.AST) -> None:
    """Refuse trees deeper than MAX_DEPTH or larger than MAX_NODES, without recursing."""
    stack, count = [(tree, 0)], 0
    while stack:
        node, depth = stack.pop()
        count += 1
        if depth > MAX_DEPTH:
            raise WatchError(f"the expression is nested too deeply (more than {MAX_DEPTH} levels)")
        if count > MAX_NODES:
            raise WatchError(f"the expression is too long (more than {MAX_NODES} parts)")
        kids = (c for c in ast.iter_child_nodes(node) if not isinstance(c, _NOT_NODES))
        stack.extend((c, depth + 1) for c in kids)


class _Checker:
    """Walks a parsed tree against the allow-list; collects the tensor names it reads."""

    def __init__(self, text: str) -> None:
        self.text, self.names = text, []

    def check(self, tree: ast.Expression) -> tuple[str, ...]:
        self.visit(tree.body)
        self.names.sort(key=lambda n: (n.lineno, n.col_offset))
        return tuple(dict.fromkeys(n.id for n in self.names))

    def refuse(self, problem: str, node: ast.AST) -> WatchError:
        return WatchError(problem, _column(self.text, node))

    def visit(self, node: ast.AST) -> None:
        if isinstance(node, ast.Constant):
            self.constant(node)
        elif isinstance(node, ast.Name):
            self.name(node)
        elif isinstance(node, ast.BinOp):
            if type(node.op) not in _BINARY:
                raise self.refuse(f"the operator {_symbol(node)} is not allowed", node)
            self.visit(node.left)
            self.visit(node.right)
            if isinstance(node.op, ast.Pow):
                self.exponent(node.right)
        elif isinstance(node, ast.UnaryOp):
            if isinstance(node.op, ast.Invert):
                raise self.refuse("~ is not allowed: use 'not' for element-wise not", node)
            self.visit(node.operand)
        elif isinstance(node, ast.Compare):
            for part in (node.left, *node.comparators):
                self.visit(part)
        elif isinstance(node, ast.Call):
            self.call(node)
        elif isinstance(node, ast.Subscript):
            self.visit(node.value)
            for part in node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]:
                self.index(part)
        elif isinstance(node, ast.Attribute):
            raise self.refuse(f"attribute access (.{node.attr}) is not allowed", node)
        else:
            problem = _REFUSED.get(type(node), f"{type(node).__name__} is not allowed")
            raise self.refuse(problem, node)

    def constant(self, node: ast.Constant) -> None:
        if type(node.value) is int and not -(2**63) <= node.value < 2**63:
            digits = str(node.value)
            shown = digits if len(digits) < 24 else digits[:20] + "…"
            problem = f"the whole number {shown} is too large: write it as a float, like 1e30"
            raise self.refuse(problem, node)
        if type(node.value) in (int, float, bool):
            return
        what = {str: "text strings", bytes: "bytes", complex: "complex numbers"}
        label = what.get(type(node.value), repr(node.value))
        raise self.refuse(f"{label} {'are' if label.endswith('s') else 'is'} not allowed", node)

    def name(self, node: ast.Name) -> None:
        if "__" in node.id:
            raise self.refuse(f"names with __ ({node.id}) are not allowed", node)
        if node.id in _FUNCTIONS:
            raise self.refuse(f"{node.id} is a function: call it, as in {node.id}(A1)", node)
        if node.id not in CONSTANTS:
            self.names.append(node)

    def call(self, node: ast.Call) -> None:
        func, known = node.func, ", ".join(FUNCTIONS)
        if not isinstance(func, ast.Name):
            raise self.refuse(f"only a watch function can be called: {known}", node)
        if func.id not in _FUNCTIONS:
            raise self.refuse(f"'{func.id}' is not a watch function; they are: {known}", node)
        if node.keywords:
            raise self.refuse("keyword arguments are not allowed: functions take one value", node)
        if len(node.args) != 1:
            got = len(node.args)
            raise self.refuse(f"{func.id} takes exactly one argument ({got} given)", node)
        self.visit(node.args[0])

    def index(self, node: ast.AST) -> None:
        if isinstance(node, ast.Slice):
            for part in (node.lower, node.upper, node.step):
                if part is not None:
                    self.index(part)
        elif isinstance(node, ast.Constant) and type(node.value) is not int:
            shown = ast.get_source_segment(self.text, node) or repr(node.value)
            raise self.refuse(f"an index must be a whole number, not {shown}", node)
        else:
            self.visit(node)

    def exponent(self, node: ast.expr) -> None:
        """Refuse a constant exponent beyond MAX_EXPONENT now, before any power is computed."""
        if any(isinstance(n, ast.Name) and n.id not in CONSTANTS for n in ast.walk(node)):
            return  # depends on a tensor: checked when evaluated
        value = _Evaluator(self.text, {}).run(node)  # refuses nested huge powers itself
        if np.max(np.abs(value), initial=0) > MAX_EXPONENT:
            raise self.refuse(_too_big(value), node)


def _symbol(node: ast.BinOp) -> str:
    names = {ast.BitXor: "^", ast.LShift: "<<", ast.RShift: ">>"}
    return names.get(type(node.op), type(node.op).__name__)


def _too_big(exponent) -> str:
    shown = exponent if np.ndim(exponent) == 0 else f"up to {np.max(np.abs(exponent))}"
    return f"exponent {shown} is too large: ** allows exponents up to {MAX_EXPONENT} either way"


def _fit(n: int) -> int | float:
    """``n`` while it fits numpy's int64, else a float: an int64 would wrap round silently."""
    return n if -(2**63) <= n < 2**63 else float(n)


class _Evaluator:
    """Computes a checked tree's value, with numpy's rules and errors turned into WatchErrors."""

    def __init__(self, text: str, arrays: Mapping[str, np.ndarray]) -> None:
        self.text, self.arrays = text, arrays

    def run(self, node: ast.expr) -> Value:
        with np.errstate(all="ignore"):  # 1/0 is inf, log(0) is -inf: numpy's answers, shown
            try:
                return self.value(node)
            except WatchError:
                raise
            except (ArithmeticError, ValueError, TypeError, IndexError, MemoryError) as err:
                raise WatchError(f"cannot compute {self.source(node)}: {err}") from None

    def source(self, node: ast.AST) -> str:
        return ast.get_source_segment(self.text, node) or ast.unparse(node)

    def fail(self, problem: str, node: ast.AST) -> WatchError:
        return WatchError(problem, _column(self.text, node))

    def value(self, node: ast.expr) -> Value:
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, ast.Name):
            return CONSTANTS[node.id] if node.id in CONSTANTS else self.arrays[node.id]
        if isinstance(node, ast.BinOp):
            return self.binary(node, self.value(node.left), self.value(node.right))
        if isinstance(node, ast.UnaryOp):
            return self.unary(node, self.value(node.operand))
        if isinstance(node, ast.Compare):
            return self.compare(node)
        if isinstance(node, ast.Call):
            return self.call(node)
        if isinstance(node, ast.Subscript):
            return self.subscript(node)
        raise self.fail(f"{type(node).__name__} is not allowed", node)  # parse() refused it

    def limit(self, node: ast.AST, size: int) -> None:
        if size > MAX_ELEMENTS:
            raise self.fail(
                f"{self.source(node)} would make {size:,} numbers; a watch makes at most "
                f"{MAX_ELEMENTS:,}",
                node,
            )

    def elementwise(self, node: ast.expr, f: Callable, a: Value, b: Value) -> Value:
        """``f(a, b)`` with broadcasting, once the result's size is known to be sane."""
        try:
            shape = np.broadcast_shapes(np.shape(a), np.shape(b))
        except ValueError:
            raise self.fail(
                f"cannot compute {self.source(node)}: shapes {np.shape(a)} and {np.shape(b)} "
                "do not broadcast together",
                node,
            ) from None
        self.limit(node, math.prod(shape))
        try:
            return f(a, b)
        except TypeError as err:
            if f in (np.bitwise_and, np.bitwise_or):
                raise self.fail(
                    "& and | combine true/false values, not numbers: bracket each comparison, "
                    "as in (A1 > 0.5) & (A1 < 0.9)",
                    node,
                ) from None
            raise self.fail(f"cannot compute {self.source(node)}: {err}", node) from None

    def binary(self, node: ast.BinOp, a: Value, b: Value) -> Value:
        if isinstance(node.op, ast.Pow):
            return self.power(node, a, b)
        if type(a) is int and type(b) is int and type(node.op) in _EXACT:
            return _fit(_EXACT[type(node.op)](a, b))
        if isinstance(node.op, ast.MatMult):
            return self.matmul(node, a, b)
        return self.elementwise(node, _BINARY[type(node.op)], a, b)

    def power(self, node: ast.BinOp, a: Value, b: Value) -> Value:
        if np.max(np.abs(b), initial=0) > MAX_EXPONENT:
            raise self.fail(_too_big(b), node.right)
        if type(a) is int and type(b) is int:
            if b >= 0 and (a.bit_length() - 1) * b < 63:  # at most ~163 bits: cheap and exact
                return _fit(a**b)
            return np.power(float(a), float(b))  # inf beyond float range, never a huge int
        if np.asarray(a).dtype.kind in "biu" and np.min(b, initial=0) < 0:
            a = np.asarray(a, dtype=float)  # numpy refuses integers to negative powers
        return self.elementwise(node, np.power, a, b)

    def matmul(self, node: ast.BinOp, a: Value, b: Value) -> Value:
        sa, sb = np.shape(a), np.shape(b)
        left, right = self.source(node.left), self.source(node.right)
        if not sa or not sb:
            number = left if not sa else right
            raise self.fail(f"@ multiplies arrays, and {number} is one number: use *", node)
        a2, b2 = (sa if len(sa) > 1 else (1, *sa)), (sb if len(sb) > 1 else (*sb, 1))
        if a2[-1] != b2[-2]:
            raise self.fail(
                f"cannot compute {left} @ {right}: shapes {sa} and {sb} do not fit "
                f"({left} has {a2[-1]} columns, {right} has {b2[-2]} rows)",
                node,
            )
        self.limit(node, math.prod(np.broadcast_shapes(a2[:-2], b2[:-2])) * a2[-2] * b2[-1])
        return np.matmul(a, b)

    def unary(self, node: ast.UnaryOp, v: Value) -> Value:
        self.limit(node, np.size(v))
        if isinstance(node.op, ast.Not):
            return np.logical_not(v)  # element-wise, so `not (A1 > 0)` is a mask
        if isinstance(node.op, ast.UAdd):
            return v
        if type(v) is int:
            return _fit(-v)
        try:
            return np.negative(v)
        except TypeError:
            raise self.fail(
                f"cannot negate true/false values: use not ({self.source(node.operand)})", node
            ) from None

    def compare(self, node: ast.Compare) -> Value:
        left, result = self.value(node.left), None
        for op, right_node in zip(node.ops, node.comparators, strict=True):
            right = self.value(right_node)
            step = self.elementwise(node, _COMPARE[type(op)], left, right)
            result = (
                step if result is None else self.elementwise(node, np.logical_and, result, step)
            )
            left = right
        return result

    def call(self, node: ast.Call) -> Value:
        f, elementwise = _FUNCTIONS[node.func.id]
        arg = self.value(node.args[0])
        if elementwise:
            self.limit(node, np.size(arg))
        if np.size(arg) == 0 and node.func.id in ("mean", "std"):
            return math.nan  # numpy's answer too, without its "empty slice" warning
        try:
            return f(arg)
        except (ValueError, TypeError) as err:
            raise self.fail(f"cannot compute {self.source(node)}: {err}", node) from None

    def subscript(self, node: ast.Subscript) -> Value:
        base, where = self.value(node.value), self.source(node.value)
        parts = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
        shape = np.shape(base)
        if not shape:
            raise self.fail(f"{where} is one number (shape ()) and cannot be indexed", node)
        if len(parts) > len(shape):
            raise self.fail(
                f"{where} has shape {shape}: at most {len(shape)} indices, {len(parts)} given", node
            )
        key: list[int | slice] = []
        for axis, part in enumerate(parts):
            if isinstance(part, ast.Slice):
                ends = [None if p is None else self.whole(p) for p in (part.lower, part.upper)]
                step = None if part.step is None else self.whole(part.step)
                if step == 0:
                    raise self.fail("a slice's step cannot be 0", part.step)
                key.append(slice(*ends, step))
                continue
            i, n = self.whole(part), shape[axis]
            if not -n <= i < n:
                runs = f"axis {axis} runs from 0 to {n - 1}" if n else f"axis {axis} is empty"
                raise self.fail(
                    f"index {i} is out of range for {where} with shape {shape}: {runs}", part
                )
            key.append(i)
        return np.asarray(base)[tuple(key)]

    def whole(self, node: ast.expr) -> int:
        """An index's value, which must be one whole number (a computed one is fine)."""
        v = self.value(node)
        v = v.item() if isinstance(v, np.ndarray | np.generic) and np.ndim(v) == 0 else v
        if isinstance(v, int) and not isinstance(v, bool):
            return v
        if np.ndim(v):
            got = f"{self.source(node)} has shape {np.shape(v)}"
            raise self.fail(f"an index must be one whole number; {got}", node)
        hint = "; // divides to a whole number" if isinstance(v, float) else ""
        raise self.fail(f"an index must be a whole number, not {self.source(node)}{hint}", node)


def format_value(value: Value) -> str:
    """A short display: ``0.0123457``, ``3``, ``True``, ``[0.1, 0.2]``, ``array (16,): min …``."""
    if isinstance(value, np.ndarray | np.generic) and np.ndim(value) == 0:
        value = value.item()
    if not isinstance(value, np.ndarray):
        return _number(value)
    shape = value.shape
    if value.size == 0:
        return f"array {shape}: empty"
    if value.size <= SHOWN:
        items = "[" + ", ".join(_number(v) for v in value.ravel().tolist()) + "]"
        return items if value.ndim == 1 else f"{items} {shape}"
    if value.dtype.kind == "b":
        return f"array {shape}: {np.count_nonzero(value)} True of {value.size}"
    nan = int(np.count_nonzero(np.isnan(value))) if value.dtype.kind == "f" else 0
    if nan == value.size:
        return f"array {shape}: all nan"
    seen = value[~np.isnan(value)] if nan else value
    text = f"array {shape}: min {_number(seen.min().item())}, max {_number(seen.max().item())}"
    return text + (f", {nan} nan" if nan else "")


def _number(v: object) -> str:
    return f"{v:.6g}" if isinstance(v, float) else str(v)
