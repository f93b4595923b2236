"""What comes from outside, made safe: to show on a terminal, and to hold in memory.

Traces, weights files, data files, file names and mirrors' replies come from outside: a trace
shared on a course page is untrusted input. Two promises follow, kept here in one place:

- **Shown, never obeyed.** :func:`literal` turns every control character (C0 such as ESC, BEL,
  CR and LF; DEL; C1 such as CSI 0x9b) and every other unprintable one (bidi overrides, zero-width
  marks) into its visible escape (``\\x1b``), so a name can neither drive the terminal nor split
  a one-line message. :func:`markup` also escapes square brackets, for text put into Textual
  content markup. matplotlib text is drawn with ``parse_math=False`` and :func:`literal` text.
- **Measured before it is allocated.** Sizes, counts and numbers read from outside are checked
  against :data:`LIMITS` and against a memory budget (:func:`memory_budget`: a quarter of this
  machine's memory) before any array is made or any number parsed; the refusal gives the number.
"""

from __future__ import annotations

import math
import os
import re

# --- shown, never obeyed --------------------------------------------------------------------


def literal(text: object) -> str:
    """``text`` as one line with every unprintable character shown as its escape (``\\x1b``,
    ``\\n``, ``\\x9b``, ``\\u202e``); printable text (ä, σ, ŷ, ᵀ) is kept as it is."""
    s = str(text)
    if s.isprintable():
        return s
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in s)


ZERO_WIDTH_SPACE = "\u200b"


def markup(text: object) -> str:
    """``text`` made literal (see :func:`literal`) and escaped for Textual content markup: every
    ``[`` becomes ``\\[`` so nothing in it is read as a tag; a trailing backslash is followed by a
    zero-width space so it cannot escape a tag written after it."""
    s = literal(text).replace("[", "\\[")
    return s + ZERO_WIDTH_SPACE if s.endswith("\\") else s


def shown(text: object, width: int = 40) -> str:
    """What the user typed, :func:`literal`, cut to about ``width`` characters for a message
    (a 5,000-digit option is echoed as its start and its length, not in full)."""
    s = literal(text)
    if len(s) <= width:
        return s
    return f"{s[: width - 10]}… ({len(s):,} characters)"


# --- numbers from outside -------------------------------------------------------------------

MAX_DIGITS = 18  # every whole number netviz reads fits an SQLite INTEGER (int64) and a C long
MAX_EPOCH = 10**9  # an epoch number: far beyond any run (a billion epochs of 0.1 ms: 28 hours)
MAX_INDICES = 100_000  # examples or epochs listed in one option (--watch, --full-epochs)
MAX_HIDDEN_LAYERS = 32  # the trace keeps two columns per layer; SQLite allows 2,000
MAX_TEXT = 200  # a breakpoint's condition, an option's value: anything longer is not one
_DIGITS = re.compile(rf"[0-9]{{1,{MAX_DIGITS}}}")


def whole_number(text: str) -> int | None:
    """The whole number ``text`` spells in ASCII digits (``_`` allowed between them), or None.

    Refuses (None) what ``int()`` would take with a surprise: other scripts' digits (``²``,
    ``١``), signs, and more than :data:`MAX_DIGITS` digits (Python refuses past 4,300 with
    advice about ``sys.set_int_max_str_digits`` that is no help to a learner).
    """
    digits = text.strip().replace("_", "")
    if len(text) > 2 * MAX_DIGITS + 10 or not _DIGITS.fullmatch(digits):
        return None
    return int(digits)


# --- memory ---------------------------------------------------------------------------------

BUDGET_SHARE = 4  # netviz allocates at most a quarter of the machine's memory for one thing
FALLBACK_MEMORY = 8 * 2**30  # when the machine will not say how much it has


def machine_memory() -> int:
    """Bytes of physical memory, or of the address-space limit (``ulimit -v``) if lower."""
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):
        total = FALLBACK_MEMORY
    try:
        import resource

        soft, _ = resource.getrlimit(resource.RLIMIT_AS)
        if soft != resource.RLIM_INFINITY and soft > 0:
            total = min(total, soft)
    except (ImportError, OSError, ValueError):
        pass
    return total if total > 0 else FALLBACK_MEMORY


def memory_budget() -> int:
    """The most bytes netviz lets one array, file or network take: a quarter of
    :func:`machine_memory`."""
    return machine_memory() // BUDGET_SHARE


def size_text(nbytes: float) -> str:
    """``74.5 GiB``, ``12.0 MiB``, ``300 bytes``."""
    if nbytes < 1024:
        return f"{int(nbytes):,} bytes"
    if nbytes >= 1024**7:  # past exbibytes: a forged size, told plainly
        return f"{float(nbytes):.1e} bytes"
    exponent = int(math.log(nbytes, 1024))
    return f"{nbytes / 1024**exponent:,.1f} {' KMGTPE'[exponent]}iB"


def over_budget(nbytes: float, what: str) -> str | None:
    """None if ``nbytes`` fits :func:`memory_budget`; else the sentence saying it does not:
    ``W1 would need 74.5 GiB, more than netviz's memory budget of 5.9 GiB (a quarter of this
    machine's 23.4 GiB)``."""
    budget = memory_budget()
    if nbytes <= budget:
        return None
    return (
        f"{what} would need {size_text(nbytes)}, more than netviz's memory budget of "
        f"{size_text(budget)} (a quarter of this machine's {size_text(machine_memory())})"
    )


# What training and recording keep per weight: W, its update, ΣdW per worker thread, the sum of
# those, and the trace's copies of ΣdW and of checkpoints (measured on 2 cores: `--layers
# 10000,5` peaked at 1.2 GB for 63 MB of weights, `--layers 100000,5` at 8.8 GB for 632 MB).
COPIES_OF_THE_WEIGHTS = 16


def weights_bytes(sizes: list[int] | tuple[int, ...], itemsize: int = 8) -> int:
    """Bytes of one copy of a network's W and b, for layer widths ``sizes`` (input first)."""
    layers = zip(sizes[:-1], sizes[1:], strict=False)
    return itemsize * sum(n_out * (n_in + 1) for n_in, n_out in layers)


def network_over_budget(sizes: list[int] | tuple[int, ...], itemsize: int = 8) -> str | None:
    """None if training a network of ``sizes`` fits the budget; else why not, with numbers."""
    one = weights_bytes(sizes, itemsize)
    layout = "-".join(map(str, sizes))
    return over_budget(
        COPIES_OF_THE_WEIGHTS * one,
        f"a {layout} network ({size_text(one)} of weights, kept in up to "
        f"{COPIES_OF_THE_WEIGHTS} copies)",
    )
