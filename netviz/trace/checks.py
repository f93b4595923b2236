"""Every value a trace hands out, checked for type and range first: a trace is untrusted input.

A trace shared on a course page may have been edited by hand or by an attacker. What the reader
gives the CLI, replay and export is checked here, so none of them meets a width of a billion, a
cost of ``'abc'``, a checkpoint of the wrong shape or an escape code in a name. Each check raises
ValueError with what is wrong, in a few words; the reader turns it into its one-line refusal.
Strings are made :func:`~netviz.safe.literal`: control characters become visible escapes.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable

import numpy as np

from ..core.choices import ACTIVATION_NAMES
from ..core.steps import OP_NAMES, PHASES
from ..safe import (
    MAX_EPOCH,
    MAX_HIDDEN_LAYERS,
    MAX_INDICES,
    MAX_TEXT,
    literal,
    network_over_budget,
    shown,
)

PIXELS, DIGITS = 784, 10  # the digit network: 28×28 pixels in, 10 digits out
MAX_COUNT = 10**9  # examples in a set, an example's index
MAX_BREAKPOINTS = 1_000
MAX_NAMES = 64  # names an op lists as inputs or outputs (an op has at most a handful)

Check = Callable[[object], str | None]  # None when the value is good, else what is wrong


# --- strings ------------------------------------------------------------------------------------


def clean(value: object) -> object:
    """A JSON value with every string (and key) made literal: shown, never obeyed."""
    if isinstance(value, str):
        return literal(value)
    if isinstance(value, list):
        return [clean(v) for v in value]
    if isinstance(value, dict):
        return {literal(k): clean(v) for k, v in value.items()}
    return value


# --- metadata -----------------------------------------------------------------------------------


def _whole(low: int, high: int) -> Check:
    def check(value: object) -> str | None:
        if isinstance(value, bool) or not isinstance(value, int):
            return "not a whole number"
        return None if low <= value <= high else f"outside {low:,}–{high:,}"

    return check


def _text(value: object) -> str | None:
    return None if isinstance(value, str) else "not text"


def _one_of(*names: str) -> Check:
    return lambda value: None if value in names else f"not one of {', '.join(names)}"


def _flag(value: object) -> str | None:
    return None if isinstance(value, bool) else "not true or false"


def _rate(value: object) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return "not a number"
    return None if math.isfinite(value) and value >= 0 else "not a finite number from 0"


def _preset(value: object) -> str | None:
    if isinstance(value, str):
        return None
    if not isinstance(value, dict) or not isinstance(value.get("name", ""), str):
        return "not a recipe"
    return None


def _list_of(check: Check, most: int) -> Check:
    def checked(value: object) -> str | None:
        if not isinstance(value, list):
            return "not a list"
        if len(value) > most:
            return f"{len(value):,} entries, more than {most:,}"
        return next((f"entry {i}: {p}" for i, v in enumerate(value) if (p := check(v))), None)

    return checked


def _breakpoint(value: object) -> str | None:
    """A saved breakpoint: {"condition": short text, "enabled": true/false}. The length is
    bounded here so no condition pattern ever scans thousands of digits."""
    if not isinstance(value, dict) or not isinstance(value.get("condition"), str):
        return "not a breakpoint"
    if len(value["condition"]) > MAX_TEXT:
        return f"a condition of {len(value['condition']):,} characters (at most {MAX_TEXT})"
    return _flag(value.get("enabled", True))


def sizes_problem(value: object, itemsize: int = 8) -> str | None:
    """Why ``value`` is not the layer widths of a digit network this machine can hold, or None."""
    if not isinstance(value, list) or not 2 <= len(value) <= MAX_HIDDEN_LAYERS + 2:
        return f"not a list of 2 to {MAX_HIDDEN_LAYERS + 2} layer widths"
    if not all(isinstance(n, int) and not isinstance(n, bool) and n >= 1 for n in value):
        return "not whole numbers from 1"
    if value[0] != PIXELS or value[-1] != DIGITS:
        return f"not a network from {PIXELS} pixels to {DIGITS} digits"
    return network_over_budget(value, itemsize)


META: dict[str, Check] = {
    "format": _text,
    "schema": _whole(0, 10**6),
    "netviz": _text,
    "created": _text,
    "preset": _preset,
    "sizes": lambda v: None,  # checked with the dtype, in check_meta
    "activation": _one_of(*ACTIVATION_NAMES),
    "init": _text,
    "seed": _whole(0, 2**63 - 1),
    "alpha": _rate,
    "epochs": _whole(0, MAX_EPOCH),
    "dtype": _one_of("float64", "float32"),
    "scale_pixels": _flag,
    "data": _text,
    "data_sha256": _text,
    "train_size": _whole(0, MAX_COUNT),
    "test_size": _whole(0, MAX_COUNT),
    "record": _text,
    "checkpoint_every": _whole(1, MAX_EPOCH),
    "watch": _list_of(_whole(0, MAX_COUNT), MAX_INDICES),
    "breakpoints": _list_of(_breakpoint, MAX_BREAKPOINTS),
}


def check_meta(meta: dict) -> dict:
    """``meta`` with its strings made literal, after checking each known key's value; a
    ValueError names the first key that is wrong, its value (shortened) and why."""
    for key, check in META.items():
        if key in meta and (problem := check(meta[key])):
            raise ValueError(f"{key!r} is {shown(meta[key])}: {problem}")
    if "sizes" in meta:
        itemsize = 4 if meta.get("dtype") == "float32" else 8
        if problem := sizes_problem(meta["sizes"], itemsize):
            raise ValueError(f"'sizes' is {shown(meta['sizes'])}: {problem}")
    return clean(meta)


# --- rows ---------------------------------------------------------------------------------------


def _number(value: object) -> bool:
    return value is None or (isinstance(value, int | float) and not isinstance(value, bool))


def check_metrics_row(row: dict) -> dict:
    """A metrics row: ``epoch`` 1–MAX_EPOCH, ``step`` and ``m`` whole numbers from 1, ``alpha``
    a finite number from 0, every other column a number or empty (NULL)."""
    epoch = row.get("epoch")
    where = "a metrics row's" if _whole(1, MAX_EPOCH)(epoch) else f"epoch {epoch}'s"
    for name, check in (("epoch", _whole(1, MAX_EPOCH)), ("step", _whole(1, 2**63 - 1)),
                        ("m", _whole(1, MAX_COUNT)), ("alpha", _rate)):  # fmt: skip
        if problem := check(row.get(name)):
            raise ValueError(f"{where} {name} is {shown(row.get(name))}: {problem}")
    for name, value in row.items():
        if not _number(value):
            raise ValueError(f"{where} {literal(name)} is {shown(value)}: not a number")
    return row


def check_final(epoch: object, figures: tuple) -> None:
    if problem := _whole(0, MAX_EPOCH)(epoch):
        raise ValueError(f"the final figures' epoch is {shown(epoch)}: {problem}")
    if not all(_number(v) for v in figures):
        raise ValueError(f"the final figures {shown(figures)} are not numbers")


STEP_FIELDS = ("step", "address", "kind", "epoch", "example", "phase", "layer", "op", "equation")


def check_step_fields(fields: list) -> list:
    """A step row's fields (numbers checked, texts made literal), in STEP_FIELDS order."""
    step, address, kind, epoch, example, phase, layer, op, equation = fields
    checks = [
        ("step", step, _whole(1, 2**63 - 1)),
        ("address", address, _text),
        ("kind", kind, _one_of("epoch", "op")),
        ("epoch", epoch, _whole(0, MAX_EPOCH)),
        ("example", example, _whole(0, MAX_COUNT) if kind == "op" or example is not None else None),
        ("layer", layer, None if layer is None else _whole(1, MAX_HIDDEN_LAYERS + 1)),
    ]
    checks += [(n, v, None if v is None else _text) for n, v in
               (("phase", phase), ("op", op), ("equation", equation))]  # fmt: skip
    if kind == "op":  # what the timeline and the inspector look up by name
        checks += [("phase", phase, _one_of(*PHASES)), ("op", op, _one_of(*OP_NAMES))]
    for name, value, check in checks:
        if check is not None and (problem := check(value)):
            raise ValueError(f"{name} is {shown(value)}: {problem}")
    texts = (address, phase, op, equation)
    if any(t is not None and len(t) > 10 * MAX_TEXT for t in texts):
        raise ValueError(f"a text of more than {10 * MAX_TEXT:,} characters")
    address, phase, op, equation = (None if t is None else literal(t) for t in texts)
    return [step, address, kind, epoch, example, phase, layer, op, equation]


def check_names(names: object) -> tuple[str, ...]:
    """An op's list of input or output names (decoded JSON): short texts, made literal."""
    if not isinstance(names, list) or len(names) > MAX_NAMES:
        raise ValueError(f"not a list of up to {MAX_NAMES} names")
    if not all(isinstance(n, str) and len(n) <= MAX_TEXT for n in names):
        raise ValueError("not a list of short names")
    return tuple(literal(n) for n in names)


def check_example(index: int, pixels: object, label: object) -> tuple[np.ndarray, int | None]:
    """An example's 784 pixels (bytes) and its label 0–9 (or none)."""
    if not isinstance(pixels, bytes) or len(pixels) != PIXELS:
        size = f"{len(pixels):,} bytes" if isinstance(pixels, bytes) else shown(pixels)
        raise ValueError(f"example {index}'s pixels are {size}, not {PIXELS}")
    if label is not None and _whole(0, 9)(label):
        raise ValueError(f"example {index}'s label is {shown(label)}, not a digit 0–9")
    return np.frombuffer(pixels, dtype=np.uint8), label


# --- arrays -------------------------------------------------------------------------------------

# A layer's arrays: W1, dW1, W1′, b1, db1, Z1, A1, dZ1, dA1, A1_mean, A1_saturated, and the
# watched (watch/Z1) and full-record (all/A1) forms. Alternatives of fixed text: no backtracking.
LAYERED = re.compile(
    r"(?:watch/|all/)?(?P<kind>dW|db|dZ|dA|W|b|Z|A)(?P<layer>[0-9]{1,3})′?(?P<stat>_mean|_saturated)?"
)


def array_problem(name: str, a: np.ndarray, sizes: list[int] | None) -> str | None:
    """Why array ``name`` cannot be what its name says in a network of layer widths ``sizes``
    (W1 is (n1, n0), b1 (n1,), Z1 (n1, k), x (n0, 1), …), or None. Names it does not know pass."""
    n = sizes
    if name in ("cost", "α"):
        return None if a.size == 1 and a.ndim <= 2 and a.dtype.kind == "f" else "not one number"
    m = LAYERED.fullmatch(name)
    if name in ("x", "y", "ŷ") or m:
        if a.dtype.kind != "f":
            return f"{a.dtype} numbers, not floating point"
    if n is None:
        return None
    L = len(n) - 1
    if name in ("x", "y", "ŷ"):
        rows = n[0] if name == "x" else n[L]
        return None if 1 <= a.ndim <= 2 and a.shape[0] == rows else f"shape {a.shape}"
    if m is None:
        return None
    layer = int(m["layer"])
    if not 1 <= layer <= L:
        return f"layer {layer} of a {L}-layer network"
    kind, rows = m["kind"], n[layer]
    if m["stat"]:
        expected = a.shape == (rows,)
    elif kind in ("W", "dW"):
        expected = a.shape == (rows, n[layer - 1])
    elif kind in ("b", "db"):
        expected = a.shape in ((rows,), (rows, 1))
    else:  # Z, A, dZ, dA: one column per example
        expected = 1 <= a.ndim <= 2 and a.shape[0] == rows
    return None if expected else f"shape {a.shape} in a {'-'.join(map(str, n))} network"
