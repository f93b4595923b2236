"""Which of a learner's variable names mean which array, in netviz's names.

The walkthrough writes ``W1 B1 Z1 A1 dz3 dw3``; learners write ``w1 b1 z1 a1 dZ3 dW3 dB3``,
``yhat`` or ``output`` for ŷ, ``lr`` for α. Each is recognised without an edit to the script;
``--names hidden1=A1,out=A3`` maps any other. A few names (``y``, ``Y``) are decided by their
values: a one-hot column is the label, anything else the prediction.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cache

# netviz's names: per layer l the weights and biases, Z and A, and the gradients; x one example's
# pixels, X all examples' (one column each), y one-hot label(s), labels the digits, ŷ the output.
PER_LAYER = ("W", "b", "Z", "A", "dZ", "dW", "db", "dA")
SINGLE = ("x", "X", "y", "labels", "yhat", "alpha", "m", "index")

_PATTERNS: tuple[tuple[re.Pattern, str], ...] = tuple(
    (re.compile(p, re.IGNORECASE if flags else 0), name)
    for p, name, flags in (
        (r"w_?(\d)", "W", True),
        (r"b_?(\d)", "b", True),
        (r"z_?(\d)", "Z", True),
        (r"a_?(\d)", "A", True),
        (r"d_?z_?(\d)", "dZ", True),
        (r"d_?w_?(\d)", "dW", True),
        (r"d_?b_?(\d)", "db", True),
        (r"d_?a_?(\d)", "dA", True),
        (r"x|x_?i|x_example", "x", False),
        (r"X|X_?train|x_train|train_?X|inputs", "X", False),
        (r"y|y_?true|target|y_?i|Y|one_?hot_?Y|Y_?one_?hot|y_?one_?hot", "y", False),
        (r"labels?|Y_?train|y_?train|train_?labels|digits", "labels", False),
        (r"yhat|y_hat|ŷ|output|y_?pred|prediction|probs", "yhat", True),
        (r"alpha|lr|learning_?rate|eta|α", "alpha", True),
        (r"m", "m", False),
        (r"i|j|k|idx|index|n|ex|example", "index", False),
    )
)
WHAT = (
    "W1 w1, B1 b1, Z1 z1, A1 a1, dZ1 dz1, dW1 dw1, dB1 db1, dA1 da1 (any layer), x (one "
    "example) or X (all, one column or row each), y or Y (one-hot), labels, yhat y_hat output, "
    "alpha lr, m"
)


class NamesError(ValueError):
    """A ``--names`` text that does not parse; the message says which part."""


def canonical(name: str, given: Mapping[str, str] = {}) -> str | None:
    """netviz's name for the learner's variable ``name`` (``dz3`` → ``dZ3``, ``lr`` → ``alpha``),
    or None if it means nothing to the checker. ``given`` (from ``--names``) comes first."""
    if name in given:
        return given[name]
    for pattern, base in _PATTERNS:
        match = pattern.fullmatch(name)
        if match:
            return base + (match.group(1) if match.groups() else "")
    return None


def parse_names(text: str) -> dict[str, str]:
    """``hidden1=A1,out=A3`` → {"hidden1": "A1", "out": "A3"}; NamesError says what is wrong."""
    mapping: dict[str, str] = {}
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        theirs, sep, ours = (s.strip() for s in part.partition("="))
        if not sep or not theirs.isidentifier():
            raise NamesError(f"{part!r}: write LEARNER_NAME=NETVIZ_NAME, like hidden1=A1")
        if not _known(ours):
            raise NamesError(
                f"{part!r}: {ours!r} is not a netviz name (W1 b1 Z1 A1 dZ1 dW1 db1 dA1 for any "
                "layer, x X y labels yhat alpha m)"
            )
        mapping[theirs] = {"ŷ": "yhat", "α": "alpha"}.get(ours, ours)
    return mapping


def _known(name: str) -> bool:
    base = name.rstrip("0123456789")
    if base in PER_LAYER:
        return base != name and int(name[len(base) :]) >= 1
    return name in (*SINGLE, "ŷ", "α")


@cache
def split(name: str) -> tuple[str, int]:
    """``dW3`` → ("dW", 3); ``alpha`` → ("alpha", 0)."""
    base = name.rstrip("0123456789")
    return base, int(name[len(base) :] or 0)
