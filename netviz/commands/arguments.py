"""The command line's value types: each parses one option's text or says, in one line, what is
wrong with it (argparse turns the ArgumentTypeError into a usage error, exit 2)."""

from __future__ import annotations

import argparse

from ..safe import MAX_EPOCH, MAX_HIDDEN_LAYERS, MAX_INDICES, shown, whole_number


def count(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, not {shown(text)}")
    return value


def epochs(text: str) -> int:
    value = count(text)
    if value > MAX_EPOCH:
        raise argparse.ArgumentTypeError(f"at most {MAX_EPOCH:,} epochs, not {shown(text)}")
    return value


def every(text: str) -> int:
    value = positive(text)
    if value > MAX_EPOCH:
        raise argparse.ArgumentTypeError(f"at most {MAX_EPOCH:,} epochs, not {shown(text)}")
    return value


def positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, not {shown(text)}")
    return value


def entries(text: str) -> int:
    from ..core.gradcheck import ENOUGH

    value = int(text)
    if value < ENOUGH:
        raise argparse.ArgumentTypeError(
            f"must be {ENOUGH} or more, not {shown(text)}: an array passes only when {ENOUGH} "
            "measurable entries agree"
        )
    return value


def int(text: str) -> int:
    """A whole number in ASCII digits (``1,000`` and ``1_000`` too; ``-5`` for the callers to
    refuse by name), at most 18 digits: never int()'s own words about literals or digit limits."""
    plain = text.strip().replace(",", "")
    value = whole_number(plain.removeprefix("-"))
    if value is None:
        raise argparse.ArgumentTypeError(f"not a whole number: '{shown(text)}'")
    return -value if plain.startswith("-") else value


def step(text: str) -> float:
    """A difference step: below 1e-8 rounding swamps the quotient, above 1e-3 truncation does."""
    value = positive_float(text)
    if not 1e-8 <= value <= 1e-3:
        raise argparse.ArgumentTypeError(f"must be from 1e-8 to 1e-3, not {shown(text)}")
    return value


def positive_float(text: str) -> float:
    try:
        if not text.isascii() or len(text) > 100:  # float() also reads other scripts' digits
            raise ValueError
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: '{shown(text)}'") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a positive number, not {shown(text)}")
    return value


def indices(text: str) -> tuple[int, ...]:
    """``0,5,9`` or ``10:20`` (a range, end excluded) or a mix: whole numbers from 0, at most
    100,000 of them (counted before any list is made)."""
    spans: list[tuple[int, int]] = []
    for part in (p.strip() for p in text.split(",") if p.strip()):
        lo, colon, hi = part.partition(":")
        first, end = whole_number(lo), whole_number(hi) if colon else None
        if first is None or (colon and end is None):
            raise argparse.ArgumentTypeError(
                f"expected numbers from 0, like 0,5,9 or 10:20: '{shown(text)}'"
            )
        spans.append((first, end if colon else first + 1))
    count = sum(max(0, end - first) for first, end in spans)
    if count > MAX_INDICES:
        raise argparse.ArgumentTypeError(
            f"{count:,} numbers in '{shown(text)}'; at most {MAX_INDICES:,}"
        )
    out = [i for first, end in spans for i in range(first, end)]
    if not out:
        raise argparse.ArgumentTypeError(f"expected numbers from 0, like 0,5,9 or 10:20: {text!r}")
    return tuple(dict.fromkeys(out))


def layers(text: str) -> tuple[int, ...]:
    """``16,16`` (or ``16-16``): hidden widths, whole numbers from 1, at most 32 layers. A
    leading minus is not a separator: ``-5`` is refused, not read as 5."""
    widths = []
    for part in (p.strip() for p in text.split(",") if p.strip()):
        for width in part.split("-"):
            value = whole_number(width)
            if value is None:
                raise argparse.ArgumentTypeError(
                    f"hidden widths are whole numbers from 1, like 16,16: '{shown(text)}'"
                )
            widths.append(value)
    if not widths or min(widths) < 1:
        raise argparse.ArgumentTypeError(
            f"hidden widths are whole numbers from 1, like 16,16: '{shown(text)}'"
        )
    if len(widths) > MAX_HIDDEN_LAYERS:
        raise argparse.ArgumentTypeError(
            f"{len(widths)} hidden layers; at most {MAX_HIDDEN_LAYERS}: '{shown(text)}'"
        )
    return tuple(widths)
