"""``netviz check SCRIPT.py``: run a learner's own network script and say where it parts from
the reference, and why (netviz.check does the work; this module runs it and writes the report).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from ..check.checker import Checker
from ..check.names import WHAT, NamesError, canonical, parse_names
from ..check.outcome import Difference
from ..check.script import assigned_names, run_script
from ..errors import NetvizError
from ..files import folder_problem
from ..numbers import fmt, tolerance
from ..safe import literal

EXIT_MATCHES, EXIT_DIFFERS, EXIT_BAD = 0, 1, 2
SHOWN = 5  # entries of the most different
# Each epoch again by netviz's trainer (in float64), from their weights at its start, against
# theirs after it: one epoch's rounding stays far below this, in the precision they computed in
# (a correct script: about 1e−15 in float64, 1e−6 in float32).
FINAL_AGREES = {np.dtype(np.float64): 1e-9, np.dtype(np.float32): 1e-3}


def check(
    script: str, args: list[str], epochs: int, names: str | None, trace: str | None = None
) -> int:
    """Run ``script`` (their code, with their rights) for ``epochs`` epochs; print the report,
    and with ``trace`` write the checked passes, theirs beside the reference's."""
    path = Path(script)
    if trace is not None and Path(trace).exists():
        raise NetvizError(f"{trace}: already exists; choose another trace name")
    if trace is not None and (problem := folder_problem(trace)):  # before their script runs
        raise NetvizError(f"{trace}: cannot create trace ({problem})")
    if path.is_dir():
        raise NetvizError(f"{script}: a folder, not a script")
    if not path.is_file():
        raise NetvizError(f"{script}: no such file")
    if path.suffix != ".py":
        raise NetvizError(f"{script}: not a Python script (.py)")
    try:
        given = parse_names(names or "")
    except NamesError as e:
        raise NetvizError(f"--names: {e}") from None
    try:
        source = path.read_text(encoding="utf-8")
        compile(source, str(path), "exec")
    except (UnicodeDecodeError, SyntaxError, ValueError) as e:
        raise NetvizError(f"{script}: not Python this netviz can read ({e})") from None
    known = {n for names_ in assigned_names(source).values() for n in names_ if canonical(n, given)}
    if not any(canonical(n, given).rstrip("0123456789") in ("W", "Z") for n in known):
        print(_nothing(path.name), file=sys.stderr)
        return EXIT_BAD
    checker = Checker(epochs, record=trace is not None)
    print(f"netviz check: running {path.name} (your code, as `python {path.name}` would)…")
    sys.stdout.flush()
    crash = run_script(path, args, checker.see, given)
    checker.flush()  # the passes kept to check at the epoch's end, if it did not end
    sys.stdout.flush()
    print()
    status = _verdict(path.name, checker, crash, source.splitlines())
    if trace is not None and not checker.failure:
        from ..check.record import write_trace

        try:
            written = write_trace(trace, checker, path.name)
        except NetvizError as e:  # a full disk, say: the verdict above stands; the trace failed
            print(f"netviz: error: {literal(e)}", file=sys.stderr)
            return EXIT_BAD
        if written:
            passes = f"{written} pass{'es' if written != 1 else ''}"
            print(f"trace: {trace}, {passes}, yours beside the reference's (netviz replay {trace})")
    return status


def _verdict(name: str, checker: Checker, crash, lines: list[str]) -> int:
    """Print whether the script ``name`` matched, and if not where and why; the exit status."""
    s = checker.summary
    if checker.failure:
        print(f"netviz check: {name}: {checker.failure}", file=sys.stderr)
        return EXIT_BAD
    if checker.difference is not None:
        _difference(name, checker.difference, lines, checker.dtype)
        return EXIT_DIFFERS
    if crash is not None:
        where = f"line {crash.line}" if crash.line else "outside the script"
        print(f"netviz check: {name} stopped with an error at {where}: {literal(crash.text)}")
        if crash.line:
            print(f"    {crash.line} | {literal(lines[crash.line - 1].strip())}")
        print(f"Before it, {s.ops:,} values matched the reference ({_progress(checker)}).")
        return EXIT_DIFFERS
    if not s.ops:
        print(_nothing(name), file=sys.stderr)
        return EXIT_BAD
    final = checker.finish()
    if final is not None and final[0] > FINAL_AGREES.get(checker.dtype, 1e-9):
        off, epoch = final
        print(
            f"netviz check: {name}: every value matched its rule, but netviz's own trainer, "
            f"one epoch from your weights at the start of epoch {epoch}, ends at other weights "
            f"than yours after it (largest relative difference {off:.1e}): your epochs are not "
            "the same full-batch descent (their examples, α or m change from epoch to epoch?)"
        )
        return EXIT_DIFFERS
    print(f"netviz check: {name} matches the reference.")
    form = (
        "one example per pass, gradients summed over the loop"
        if s.mode == "example"
        else ("the whole batch per pass")
    )
    layout = "one column per example" if s.layout == "col" else "one row per example"
    print(f"  compared: {_progress(checker)}")
    print(f"  your form: {form}; {layout}")
    print(f"  values: {s.ops:,} checked, the largest relative difference {s.largest:.1e}")
    if s.hidden:
        print(f"  hidden activation: {s.hidden}")
    if final is not None:
        each = f"each of the {checker.epoch} epochs" if checker.epoch != 1 else "the epoch"
        print(
            f"  netviz's own trainer, one epoch from your weights at the start of {each} "
            f"checked: your weights after it agree to {final[0]:.1e}"
        )
    for note in s.notes:
        print(f"  note: {note}")
    if s.ignored:
        print(f"  not compared: {s.ignored:,} values of other data (an accuracy check, say)")
    return EXIT_MATCHES


def _nothing(name: str) -> str:
    return (
        f"netviz check: {name}: nothing to check: no weights or layer values are assigned under "
        f"names netviz knows.\n  It looks for: {WHAT}.\n  Name yours with --names, e.g. "
        "--names weights_in=W1,hidden=A1,out=A3"
    )


def _progress(checker: Checker) -> str:
    s = checker.summary
    epochs = f"{checker.epoch} epoch{'s' if checker.epoch != 1 else ''}"
    return f"{epochs} checked, {s.examples:,} examples in the first epoch"


def _difference(name: str, d: Difference, lines: list[str], dtype: np.dtype) -> None:
    print(f"netviz check: {name} parts from the reference at {d.address}")
    source = lines[d.line - 1].strip() if 0 < d.line <= len(lines) else ""
    print(f"  your {d.variable}, line {d.line}:  {literal(source)}")
    print(f"  the rule:  {d.rule}")
    got, expected = d.got, d.expected
    if got.shape != expected.shape:
        print(f"  shapes: yours {_shape(got)}, the rule's {_shape(expected)}")
    else:
        with np.errstate(invalid="ignore"):
            diff = np.abs(got - expected)
        same_bad = (
            ~np.isfinite(got) & ~np.isfinite(expected) & (np.isnan(got) == np.isnan(expected))
        )
        diff = np.where(same_bad, 0.0, np.where(np.isnan(diff), np.inf, diff))
        far = diff > tolerance(expected, None, dtype)  # beyond rounding, in their precision
        order = [k for k in np.argsort(diff.ravel())[::-1][:SHOWN] if far.ravel()[k]]
        count = int(np.count_nonzero(far))
        shape = _shape(got)
        print(f"  shape {shape}; {count:,} of {got.size:,} entries differ; the most different:")
        entries = [np.unravel_index(k, got.shape) for k in order]
        labels = ["[" + ", ".join(str(i) for i in where) + "]" for where in entries]
        width = max(map(len, labels), default=0)
        for where, label in zip(entries, labels, strict=True):
            e, g = float(expected[where]), float(got[where])
            gap = fmt(g - e) if np.isfinite(g - e) else "—"
            row = f"expected {fmt(e):>11}  got {fmt(g):>11}  difference {gap:>11}"
            print(f"    {label:<{width}}  {row}")
    m = d.mistake
    if m is not None:
        print(f"  likely mistake: {m.title}")
        print(f"    {m.why}.")
        print(
            "  proven: that wrong rule, computed from your own inputs to this line, gives "
            "your values."
        )
    elif d.worked:
        print("  no mistake in netviz's catalogue reproduces your values. The rule, with the")
        print("  numbers it used (your own inputs to this line) for the most different entry:")
        for line in d.worked:
            print(f"    {line}")
    else:
        print(
            "  no mistake in netviz's catalogue reproduces your values; compare your line with "
            "the rule above."
        )


def _shape(a: np.ndarray) -> str:
    return "scalar" if a.ndim == 0 else str(a.shape)
