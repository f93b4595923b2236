"""Watch expressions: their values on a known step, and the hostile or broken ones they refuse."""

from __future__ import annotations

import ast
import json
import math
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pytest

import netviz.debug.watch
from netviz.debug.watch import Watch, WatchError, format_value


def frozen(a) -> np.ndarray:
    a = np.array(a, dtype=float)
    a.setflags(write=False)  # as the session hands them over
    return a


# One step's tensors, small and known; names as the session's ops use them.
STEP = {
    "x": frozen(np.linspace(0, 1, 6).reshape(6, 1)),
    "W1": frozen(np.arange(24.0).reshape(4, 6)),
    "Z1": frozen([[-2.0], [-0.5], [0.5], [3.0]]),
    "A1": frozen(np.linspace(0, 1, 16).reshape(16, 1)),
    "dZ1": frozen([[0.25], [-1.5], [0.75], [-0.125]]),
    "dW1": frozen(np.linspace(-1, 1, 24).reshape(4, 6)),
    "dZ2": frozen(np.linspace(-0.3, 0.45, 16).reshape(16, 1)),
    "A2": frozen([[0.2], [0.9], [0.4]]),
    "ŷ": frozen([[0.1], [0.6], [0.3]]),
    "y": frozen([[0.0], [1.0], [0.0]]),
    "cost": frozen(2.5),
    "α": frozen(0.1),
}
S = STEP

VALUES = [
    ("norm(dW1)/norm(W1)", np.linalg.norm(S["dW1"]) / np.linalg.norm(S["W1"])),
    ("argmax(ŷ)", 1),
    ("argmin(Z1)", 0),
    ("mean(A1 > 0.99)", np.mean(S["A1"] > 0.99)),
    ("dZ2[3]", S["dZ2"][3]),
    ("dZ2[-1]", S["dZ2"][-1]),
    ("W1[2, 5]", 17.0),
    ("W1[-1, 0]", 18.0),
    ("A1[0:4]", S["A1"][0:4]),
    ("A1[::5]", S["A1"][::5]),
    ("W1[1:3, :2]", S["W1"][1:3, :2]),
    ("W1[0]", S["W1"][0]),
    ("dZ2[argmax(ŷ)]", S["dZ2"][1]),
    ("max(abs(dZ1))", 1.5),
    ("-cost", -2.5),
    ("+cost", 2.5),
    ("2**3", 8),
    ("2**62", 2**62),
    ("2**-1", 0.5),
    ("A1 ** 2", S["A1"] ** 2),
    ("sum(dW1) / 1000", np.sum(S["dW1"]) / 1000),
    ("(A1 > 0.5) & (A1 < 0.9)", (S["A1"] > 0.5) & (S["A1"] < 0.9)),
    ("(Z1 < -1) | (Z1 > 1)", (S["Z1"] < -1) | (S["Z1"] > 1)),
    ("0.5 < A1 < 0.9", (S["A1"] > 0.5) & (S["A1"] < 0.9)),
    ("not (A1 > 0.5)", ~(S["A1"] > 0.5)),
    ("std(Z1)", np.std(S["Z1"])),
    ("min(A2)", 0.2),
    ("mean(A2)", np.mean(S["A2"])),
    ("count(dZ1 < 0)", 2),
    ("size(W1)", 24),
    ("any(Z1 > 2)", True),
    ("all(A2 > 0.5)", False),
    ("sqrt(4)", 2.0),
    ("exp(0)", 1.0),
    ("sum(log(ŷ) * y)", np.log(0.6)),
    ("W1 @ x", S["W1"] @ S["x"]),
    ("W1[0] @ W1[1]", S["W1"][0] @ S["W1"][1]),
    ("ŷ - y", S["ŷ"] - S["y"]),
    ("W1 - α * dW1", S["W1"] - 0.1 * S["dW1"]),
    ("A2 * (1 - A2)", S["A2"] * (1 - S["A2"])),
    ("7 // 2 + 7 % 2", 4),
    ("2 * pi", 2 * math.pi),
    ("e", math.e),
    ("cost == 2.5", True),
    ("1/0", math.inf),
    ("log(0)", -math.inf),
    ("sqrt(-1)", math.nan),
]


def check_equal(got, expected) -> None:
    if isinstance(expected, np.ndarray):
        assert isinstance(got, np.ndarray) and got.shape == expected.shape
        np.testing.assert_allclose(got, expected, rtol=1e-12)
        return
    expected = expected.item() if isinstance(expected, np.generic) else expected
    assert type(got) is type(expected), (type(got), type(expected))
    if isinstance(expected, float) and math.isnan(expected):
        assert math.isnan(got)
    else:
        assert got == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize(("text", "expected"), VALUES, ids=[t for t, _ in VALUES])
def test_watch_values_match_numpy(text, expected):
    check_equal(Watch.parse(text).evaluate(STEP), expected)


# (text, fragment of the message, refused by parse alone or only when evaluated on STEP)
REFUSED = [
    ("__import__('os')", "'__import__' is not a watch function", "parse"),
    ("__builtins__", "names with __", "parse"),
    ("().__class__", "attribute access (.__class__)", "parse"),
    ("W1.T", "attribute access (.T)", "parse"),
    ("A1.__class__", "attribute access (.__class__)", "parse"),
    ("(lambda: 1)()", "only a watch function can be called: norm, abs", "parse"),
    ("[x for x in A1]", "comprehensions are not allowed", "parse"),
    ("open('x')", "'open' is not a watch function", "parse"),
    ("eval('1')", "'eval' is not a watch function", "parse"),
    ("exec('1')", "'exec' is not a watch function", "parse"),
    ("getattr(A1, 'T')", "'getattr' is not a watch function", "parse"),
    ("A1(2)", "'A1' is not a watch function", "parse"),
    ("'abc'", "text strings are not allowed", "parse"),
    ("b'x'", "bytes are not allowed", "parse"),
    ("1j", "complex numbers are not allowed", "parse"),
    ("None", "None is not allowed", "parse"),
    ("9" * 400 + " * A1", "the whole number 99999999999999999999… is too large", "parse"),
    ("10**10**10", "exponent 10000000000 is too large", "parse"),
    ("2**1000", "exponent 1000 is too large", "parse"),
    ("A1 ** -101", "exponent -101 is too large", "parse"),
    ("A1 ** (cost * 100)", "exponent 250.0 is too large", "evaluate"),
    ("A1 and A2", "use & and |", "parse"),
    ("x if y else z", "'x if c else y' is not allowed", "parse"),
    ("(y := 1)", "assignment (:=) is not allowed", "parse"),
    ("norm(A1, ord=2)", "keyword arguments are not allowed", "parse"),
    ("norm(*A1)", "*arguments are not allowed", "parse"),
    ("min(A1, A2)", "min takes exactly one argument (2 given)", "parse"),
    ("norm", "norm is a function", "parse"),
    ("A1 ^ 2", "the operator ^ is not allowed", "parse"),
    ("~A1", "~ is not allowed", "parse"),
    ("Q1 + 1", "unknown name 'Q1'; this step has: A1, A2, W1, Z1, cost, dW1,", "evaluate"),
    ("A1[None]", "an index must be a whole number, not None", "parse"),
    ("A1[...]", "an index must be a whole number, not ...", "parse"),
    ("A1[1.5]", "an index must be a whole number, not 1.5", "parse"),
    ("A1[size(A1) / 2]", "// divides to a whole number", "evaluate"),
    ("A1[A1 > 0]", "an index must be one whole number; A1 > 0 has shape (16, 1)", "evaluate"),
    ("A1[::0]", "a slice's step cannot be 0", "evaluate"),
    ("A1 + " * 120 + "A1", "at most 500 characters (this one has 602)", "parse"),
    ("1" + " + (1" * 60 + ")" * 60, "nested too deeply", "parse"),
    ("0<" * 220 + "0", "too long (more than 200 parts)", "parse"),
    ("f'{A1}'", "f-strings are not allowed", "parse"),
    ("{1: 2}", "dictionaries are not allowed", "parse"),
    ("{A1}", "sets are not allowed", "parse"),
    ("[A1]", "lists are not allowed", "parse"),
    ("A1, A2", "tuples are not allowed", "parse"),
    ("dZ2[99]", "index 99 is out of range for dZ2 with shape (16, 1)", "evaluate"),
    ("W1[2, 6]", "index 6 is out of range for W1 with shape (4, 6): axis 1 runs", "evaluate"),
    ("W1[1, 2, 3]", "W1 has shape (4, 6): at most 2 indices, 3 given", "evaluate"),
    ("cost[0]", "cost is one number (shape ()) and cannot be indexed", "evaluate"),
    ("W1 @ A1", "W1 @ A1: shapes (4, 6) and (16, 1) do not fit", "evaluate"),
    ("cost @ A1", "@ multiplies arrays, and cost is one number", "evaluate"),
    ("A1 + W1", "shapes (16, 1) and (4, 6) do not broadcast together", "evaluate"),
    ("A1 > 0.5 & A1 < 0.9", "bracket each comparison", "evaluate"),
    ("-(A1 > 0)", "use not (A1 > 0)", "evaluate"),
    ("min(A1[0:0])", "cannot compute min(A1[0:0])", "evaluate"),
    ("", "empty watch", "parse"),
    ("A1 +", "not a valid expression", "parse"),
    ("import os", "not a valid expression", "parse"),
    ("A1\n+ 1", "one line", "parse"),
]


@pytest.mark.parametrize(
    ("text", "fragment", "when"),
    REFUSED,
    ids=[t if len(t) < 30 else t[:27] + "…" for t, *_ in REFUSED],
)
def test_bad_watches_are_refused_with_a_message(text, fragment, when):
    if when == "parse":
        with pytest.raises(WatchError) as caught:
            Watch.parse(text)
    else:
        watch = Watch.parse(text)
        with pytest.raises(WatchError) as caught:
            watch.evaluate(STEP)
    assert fragment in str(caught.value)


def test_watch_error_is_a_value_error():
    assert issubclass(WatchError, ValueError)


def test_a_huge_power_is_refused_before_it_is_computed():
    start = time.perf_counter()
    with pytest.raises(WatchError, match="too large"):
        Watch.parse("10**10**10")
    with pytest.raises(WatchError, match="too large"):
        Watch.parse("((9**99)**99)**99**99")
    assert time.perf_counter() - start < 0.1


def test_powers_too_large_for_an_int_become_floats_not_huge_ints():
    assert Watch.parse("(9**99)**99").evaluate({}) == math.inf
    assert Watch.parse("2**63").evaluate({}) == 2.0**63


def test_a_result_over_ten_million_numbers_is_refused_before_it_is_made():
    big = {"Abig": np.zeros((4000, 1))}
    assert Watch.parse("sum(Abig * Abig[0:2000, 0])").evaluate(big) == 0.0  # 8 million: fine
    with pytest.raises(WatchError, match="16,000,000 numbers; a watch makes at most 10,000,000"):
        Watch.parse("sum(Abig * Abig[:, 0])").evaluate(big)


@pytest.mark.parametrize(
    ("text", "column"),
    [("A1 + W1.T", 8), ("ŷ + W1.T", 7), ("ŷ + 'a'", 5), ("ŷ[1.5]", 3), ("ŷ + $", 5)],
    ids=["attribute", "attribute-after-ŷ", "string-after-ŷ", "index", "syntax"],
)
def test_errors_give_the_character_column_of_the_offending_part(text, column):
    with pytest.raises(WatchError) as caught:
        Watch.parse(text)
    assert caught.value.column == column
    assert str(caught.value).endswith(f"(column {column})")


def test_an_evaluation_error_points_at_the_bad_index():
    with pytest.raises(WatchError) as caught:
        Watch.parse("A1[0] + dZ2[20]").evaluate(STEP)
    assert str(caught.value) == (
        "index 20 is out of range for dZ2 with shape (16, 1): axis 0 runs from 0 to 15 (column 13)"
    )


def test_names_are_the_tensors_read_in_order_of_first_appearance():
    watch = Watch.parse("  norm(dW1) / norm(W1) + pi * dW1[0, 0] - e + argmax(ŷ)  ")
    assert watch.names == ("dW1", "W1", "ŷ")
    assert watch.text == "norm(dW1) / norm(W1) + pi * dW1[0, 0] - e + argmax(ŷ)"
    assert watch == Watch.parse(watch.text)


def test_greek_and_hatted_names_work_however_they_are_typed():
    assert Watch.parse("argmax(ŷ) + α").evaluate(STEP) == pytest.approx(1.1)
    decomposed = "argmax(y\u0302)"  # y + combining circumflex: the parser normalises it (NFKC)
    assert Watch.parse(decomposed).evaluate(STEP) == 1
    assert Watch.parse("argmax(ŷ)").evaluate({"y\u0302": STEP["ŷ"]}) == 1


def test_unknown_name_lists_what_the_step_has_sorted():
    with pytest.raises(WatchError) as caught:
        Watch.parse("Q1 + A1").evaluate({"W1": STEP["W1"], "A1": STEP["A1"], "cost": 1.0})
    assert str(caught.value) == "unknown name 'Q1'; this step has: A1, W1, cost"


def test_zero_dimensional_results_are_python_scalars():
    for text, kind in [("cost", float), ("W1[1, 1]", float), ("argmax(A1)", int), ("any(y)", bool)]:
        assert type(Watch.parse(text).evaluate(STEP)) is kind, text


def test_array_results_are_read_only_and_leave_the_step_unchanged():
    writable = {"A1": np.linspace(0, 1, 16).reshape(16, 1)}
    for text in ("A1", "A1[0:4]", "A1 * 2"):
        value = Watch.parse(text).evaluate(writable)
        assert not value.flags.writeable, text
    assert writable["A1"].flags.writeable


def test_numpy_edge_cases_give_inf_and_nan_without_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for text in ("1/0", "log(0)", "sqrt(-1)", "A1 / 0", "mean(A1[0:0])", "exp(1000)"):
            Watch.parse(text).evaluate(STEP)


def test_the_module_never_calls_eval_exec_or_compile():
    tree = ast.parse(Path(netviz.debug.watch.__file__).read_text())
    calls = [n.func for n in ast.walk(tree) if isinstance(n, ast.Call)]
    called = {f.id for f in calls if isinstance(f, ast.Name)}
    called |= {f.attr for f in calls if isinstance(f, ast.Attribute)}
    assert "parse" in called  # ast.parse, which only builds a tree
    assert not called & {"eval", "exec", "compile", "literal_eval", "__import__", "getattr"}


FORMATS = [
    (0.0123456789, "0.0123457"),
    (3, "3"),
    (3.0, "3"),
    (True, "True"),
    (np.bool_(False), "False"),
    (np.float64(-2.5), "-2.5"),
    (np.array(7), "7"),
    (math.inf, "inf"),
    (math.nan, "nan"),
    (np.array([0.1, 0.2]), "[0.1, 0.2]"),
    (np.arange(4.0).reshape(4, 1), "[0, 1, 2, 3] (4, 1)"),
    (np.linspace(-0.1, 0.3, 16), "array (16,): min -0.1, max 0.3"),
    (np.arange(16) % 3 == 0, "array (16,): 6 True of 16"),
    (np.r_[np.nan, np.arange(9.0)], "array (10,): min 0, max 8, 1 nan"),
    (np.full((3, 3), np.nan), "array (3, 3): all nan"),
    (np.zeros((0, 1)), "array (0, 1): empty"),
]


@pytest.mark.parametrize(("value", "shown"), FORMATS, ids=[s for _, s in FORMATS])
def test_format_value_is_short(value, shown):
    assert format_value(value) == shown


def test_the_watch_module_imports_numpy_and_the_standard_library_only():
    probe = "import netviz.debug.watch, sys, json; print(json.dumps(sorted(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    loaded = {m.split(".")[0] for m in json.loads(done.stdout.splitlines()[-1])}
    assert "numpy" in loaded
    assert not loaded & {"textual", "pandas", "matplotlib", "rich"}


def test_missing_names_are_those_the_step_lacks_however_they_were_typed():
    watch = Watch.parse("norm(dW1)/norm(W1) + mean(ŷ) + mean(x)")
    assert watch.missing(["W1", "ŷ", "x"]) == ("dW1",)
    assert Watch.parse("mean(y\u0302)").missing(["ŷ"]) == ()  # ŷ typed as y and U+0302
    assert watch.missing([]) == ("dW1", "W1", "ŷ", "x")
