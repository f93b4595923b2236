"""The HTML of a walkthrough page (see :mod:`.html`): its sections, arrays and chain-rule cards.

Vectors are written out in full, each entry by :func:`netviz.numbers.fmt` beside a bar on the
diverging scale; matrices and pictures are canvases the page's script draws from the embedded
values (``data-id``), with the value of the cell under the pointer written below. Everything
written here from outside (names, lesson texts) is escaped.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from html import escape

import numpy as np

from .. import __version__
from ..debug.chain import result_bound
from ..numbers import derived, fmt
from ..safe import literal
from ..trace import Step
from .card import summary
from .gather import weights_words
from .webcurves import figures_text

ARRAYS_OPEN = '<script type="application/json" id="nv-arrays">'
FULL_VECTOR = 64  # longer vectors (x: 784 pixels) are drawn as a picture, values on hover
MAX_TERMS = 16  # a card's terms listed one a line, as the tour's card lists them
EPOCH_EQUATION = "W ← W − α·ΣdW/m    b ← b − α·Σdb/m"
OPS_SAID = (
    "<li>Each op: its address, equation, shapes, explanation, every input and output (vectors in "
    "full; matrices and pictures drawn, hover or tap a cell for its value) and the digit; a "
    "gradient, the chain-rule card of its largest entry.</li>"
)


def esc(text: object) -> str:
    """Text from anywhere, safe in HTML text and attribute values."""
    return escape(literal(text), quote=True)


@dataclass(frozen=True)
class Where:
    """A step's place on the page: its address, its number of ``total``, its lesson notes."""

    address: str
    number: int
    total: int
    notes: tuple = ()


@dataclass(frozen=True)
class Shown:
    """One array as the page shows it: ``values`` (what is written and coloured) under
    ``name``; ``ident`` the embedded array the script draws, divided by ``divide`` (ΣdW drawn
    as ΣdW/m); ``scale`` the magnitudes behind its mean's rounding bound; ``limit`` its colour
    scale's ±limit when it is not its own (a learner's value on the reference's, so that equal
    numbers get equal colours; larger ones take the end colour)."""

    name: str
    role: str
    values: np.ndarray
    ident: str
    scale: np.ndarray | None = None
    divide: int | None = None
    limit: float | None = None


@dataclass(frozen=True)
class EpochView:
    """What an epoch step shows: its metrics ``row`` (None if missing), the run's final figures,
    its (α, m, ΣdW, Σdb) when kept, a watched digit (pixels id, words) and the nearest epochs
    whose gradients are on the page."""

    epoch: int
    row: Mapping | None
    final: object | None
    layers: int
    sums: tuple | None
    watched: tuple[str, str] | None
    nearby: tuple[int, ...] = ()
    start: str = ""  # the saved weights the run began from (gather.started_from), or ""


@dataclass(frozen=True)
class OpView:
    step: Step
    words: str  # example, phase, layer, weights
    shapes: str
    text: str  # the explanation
    arrays: list[Shown]
    digit: tuple[str, str] | None  # (pixels id, words)
    chain: object | None  # a netviz.debug.chain.ChainCard
    checked: tuple[tuple[str, bool], ...] = ()  # a check trace's outputs: (the learner's vs
    # the reference, in words; whether they differ)


# --- the document ------------------------------------------------------------------------------


def document(head: Mapping, sections: Sequence[str], blocks: Mapping, curves, assets) -> str:
    """The whole page: head, navigation bar, sections, the curves' symbols, the data, script."""
    css, js = assets
    included = "".join(f"<li>{esc(line)}</li>" for line in head["included"])
    if any('class="step op' in part for part in sections):
        included += OPS_SAID
    lesson = head["lesson"]
    lesson_html = ""
    if lesson:
        lesson_html = (
            f'<div class="lesson-head"><b>{esc(lesson[0])}</b>'
            + "".join(f"<p>{esc(line)}</p>" for line in lesson[1:])
            + "</div>"
        )
    overview = curves.figure(None) if curves is not None else ""
    meta = {"lut": colours(), "curve": curves.readouts() if curves is not None else []}
    return "\n".join(
        [
            "<!doctype html>",
            '<html lang="en"><head><meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f'<meta name="generator" content="netviz {esc(__version__)}">',
            f"<title>{esc(head['title'])} · netviz walkthrough</title>",
            f"<style>\n{css}</style></head>",
            '<body><header class="run">',
            f"<h1>netviz walkthrough <span>{esc(head['title'])}</span></h1>",
            f'<p class="facts">{esc(head["facts"])}</p>',
            f'<details class="included" open><summary>What this page holds</summary><ul>{included}'
            "<li>Keys: ← → step, Home / End the first and last; the address in the link opens a "
            "step. Printing gives every step, one after another.</li></ul></details>",
            lesson_html,
            overview,
            "</header>",
            _bar(sections),
            "<main>",
            *sections,
            "</main>",
            curves.symbols() if curves is not None else "",
            f'<script type="application/json" id="nv-meta">{_json(meta)}</script>',
            f"{ARRAYS_OPEN}{_json(blocks)}</script>",
            f"<script>\n{js}</script>",
            "</body></html>",
        ]
    )


def _bar(sections: Sequence[str]) -> str:
    """The navigation bar (shown when the script runs): back, a list of the steps, forward."""
    return (
        '<nav class="bar" aria-label="steps">'
        '<button type="button" data-go="-1" aria-label="previous step" title="previous (←)">←'
        '</button><select id="nv-jump" aria-label="go to a step"></select>'
        '<button type="button" data-go="1" aria-label="next step" title="next (→)">→</button>'
        '<span id="nv-count"></span></nav>'
    )


def _json(value) -> str:
    """JSON safe inside a <script> element: no ``</`` to close it early."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).replace("</", "<\\/")


@cache
def colours() -> list[str]:
    """The diverging colormap of the exported figures (blue < 0 < red), 256 entries as hex."""
    from .figures import colormap

    table = colormap()(np.linspace(0, 1, 256))[:, :3]
    return ["#" + "".join(f"{round(255 * c):02x}" for c in rgb) for rgb in table]


# --- sections ----------------------------------------------------------------------------------


def _section_head(
    where: Where, kind: str, words: str, digit, equation: str, shapes: str, text: str
) -> str:
    """The opening of a step: address, count and where on the left with the equation, its
    shapes and the explanation under them; the digit on the right; then the lesson's notes."""
    anchor = esc(where.address)
    thumb = ""
    if digit is not None:
        thumb = (
            f'<figure class="digit"><canvas class="heat" data-id="{digit[0]}" data-kind="digit" '
            f'data-name="x" data-side="28" data-s="3" width="84" height="84"></canvas>'
            f"<figcaption>{esc(digit[1])}</figcaption></figure>"
        )
    lead = [
        f'<a class="address" href="#{anchor}">{anchor}</a>',
        f'<span class="count">step {where.number} of {where.total}</span>',
        f'<p class="where">{esc(words)}</p>',
        f'<h2 class="equation">{esc(equation)}</h2>',
        f'<p class="shapes">{esc(shapes)}</p>' if shapes else "",
        f'<p class="explain">{esc(text)}</p>' if text else "",
    ]
    return (
        f'<section class="step {kind}" id="{anchor}" data-address="{anchor}">'
        f'<div class="head">{thumb}{"".join(lead)}</div>'
        + "".join(note_html(n) for n in where.notes)
    )


def op_section(where: Where, view: OpView) -> str:
    """An op: address, where, equation, shapes, explanation, lesson notes, arrays, card."""
    step = view.step
    equation = step.equation or step.op or ""
    parts = [_section_head(where, "op", view.words, view.digit, equation, view.shapes, view.text)]
    if view.checked:
        parts.append('<ul class="checked">')
        parts += [
            f"<li{' class=differs' if differs else ''}>{esc(line)}</li>"
            for line, differs in view.checked
        ]
        parts.append("</ul>")
    parts.append('<div class="arrays">')
    parts += [array_html(s) for s in view.arrays]
    parts.append("</div>")
    if view.chain is not None:
        parts.append(chain_html(view.chain))
    parts.append("</section>")
    return "".join(parts)


def epoch_section(where: Where, view: EpochView, curves, store) -> str:
    """A full-batch epoch: the update rule, its figures before (and, last, after) it, each
    layer's gradient norm and saturation, the curves marked at it, its gradients if kept."""
    epoch, row, final, sums, watched = view.epoch, view.row, view.final, view.sums, view.watched
    shapes = text = ""
    if row is not None:
        m, alpha = int(row["m"]), float(row["alpha"])
        shapes = f"every layer l: Wl (n_l, n_l−1) ← Wl − {alpha:g}·ΣdWl/{m:,}"
        text = (
            f"All m = {m:,} training examples go forward and backward at the same weights, "
            f"{weights_words(epoch - 1, view.start).removeprefix('at ')}; their gradients are "
            "summed into ΣdW and Σdb, and "
            "every weight moves once, by −α·ΣdW/m: one step downhill on the mean cost. The "
            "figures are measured at the weights the epoch started from."
        )
    words = f"epoch {epoch} · one full-batch step"
    parts = [_section_head(where, "epoch", words, watched, EPOCH_EQUATION, shapes, text)]
    if row is not None:
        figures = [("before the update", row["cost"], row["train_accuracy"], row["test_accuracy"])]
        if final is not None and final.epoch == epoch:
            after = (final.cost, final.train_accuracy, final.test_accuracy)
            figures.append(("after it (the final weights)", *after))
        parts.append('<ul class="figures">')
        parts += [f"<li>{esc(what)}: {esc(figures_text(*f))}</li>" for what, *f in figures]
        parts.append("</ul>")
        parts.append(_layer_table(row, view.layers))
    if curves is not None:
        parts.append(curves.figure(epoch))
    if sums is not None:
        _, m, dW, db = sums
        parts.append('<div class="arrays">')
        for l, grad in enumerate(dW, 1):
            shown = Shown(f"ΣdW{l}/m", "∂C/∂W", grad / m, store.add(grad), divide=m)
            parts.append(array_html(shown))
        for l, grad in enumerate(db, 1):
            shown = Shown(f"Σdb{l}/m", "∂C/∂b", grad / m, store.add(grad), divide=m)
            parts.append(array_html(shown))
        parts.append("</div>")
    else:
        links = " and ".join(f'<a href="#e{e}">e{e}</a>' for e in view.nearby)
        parts.append(
            '<p class="left-out">This epoch\'s gradients ΣdW and Σdb are not on this page'
            + (f"; the nearest that are: {links}" if links else "")
            + " (see “What this page holds”).</p>"
        )
    parts.append("</section>")
    return "".join(parts)


def _layer_table(row: Mapping, L: int) -> str:
    """Each layer's gradient norm ‖ΣdW/m‖ and the share of its sigmoids saturated."""
    lines = ['<table class="layers"><tr><th>layer</th><th>‖ΣdW/m‖</th><th>saturated</th></tr>']
    for l in range(1, L + 1):
        norm, sat = row.get(f"grad_norm_L{l}"), row.get(f"saturated_L{l}")
        norm = fmt(norm) if isinstance(norm, float) else "–"
        sat = f"{100 * sat:.1f} %" if isinstance(sat, float) else "–"
        lines.append(f"<tr><td>{l}</td><td>{norm}</td><td>{sat}</td></tr>")
    return "".join(lines) + "</table>"


def note_html(note) -> str:
    """A lesson's stop: its text, its question, the values it gives, the answer on click."""
    parts = [
        f'<aside class="lesson"><p class="lesson-where">{esc(note.heading)}</p>',
        f"<p>{esc(note.text)}</p>",
    ]
    if note.question:
        parts.append(f'<p class="question">▸ {esc(note.question)}</p>')
        if note.given:
            parts.append(f'<p class="given">given: {esc(note.given)}</p>')
        parts.append(
            f'<details class="answer"><summary>Show the answer</summary><p>{esc(note.answer)}'
            "</p></details>"
        )
    return "".join(parts) + "</aside>"


# --- arrays ------------------------------------------------------------------------------------


def array_html(shown: Shown) -> str:
    """A scalar as one line; a vector in full; a matrix or a long vector as a canvas."""
    a = np.asarray(shown.values, dtype=float)
    head = (
        f'<figure class="array" data-name="{esc(shown.name)}" data-role="{esc(shown.role)}" '
        f'data-id="{shown.ident}"{_divide(shown)}>'
    )
    if a.ndim == 0:
        return (
            f"{head.replace('array', 'array scalar', 1)}<figcaption><b>{esc(shown.name)}</b> "
            f'<span class="role">{esc(shown.role)}</span></figcaption>'
            f'<p class="value"><span class="num">{fmt(float(a))}</span></p></figure>'
        )
    shape, low, high, mean, _ = summary(np.asarray(shown.values), shown.scale)  # its own dtype
    caption = (
        f'<figcaption><b>{esc(shown.name)}</b> <span class="shape">{shape}</span> '
        f'<span class="role">{esc(shown.role)}</span><span class="stats">min {low} · mean '
        f"{mean} · max {high}</span></figcaption>"
    )
    column = a.ndim == 1 or (a.ndim == 2 and a.shape[1] == 1)
    if column and a.size <= FULL_VECTOR:
        return f"{head}{caption}{vector_table(a.reshape(-1), shown.limit)}</figure>"
    return f"{head}{caption}{canvas_html(shown, a)}</figure>"


def _divide(shown: Shown) -> str:
    return "" if shown.divide is None else f' data-divide="{shown.divide}"'


def vector_table(v: np.ndarray, limit: float | None = None) -> str:
    """Every entry: its index, its value as netviz writes it, a bar on the diverging scale of
    ±``limit`` (None: v's own largest |entry|)."""
    from .figures import symmetric_limit

    limit, lut = symmetric_limit(v) if limit is None else limit, colours()
    rows = []
    for i, value in enumerate(v):
        bar = ""
        if np.isfinite(value) and value != 0:
            share = min(1.0, abs(value) / limit)
            colour = lut[int(round((np.copysign(share, value) + 1) / 2 * 255))]
            left = 50 if value > 0 else 50 - 50 * share
            bar = f'<i style="left:{left:.1f}%;width:{50 * share:.1f}%;background:{colour}"></i>'
        rows.append(
            f'<tr><th>{i}</th><td class="num">{fmt(value)}</td><td class="bar">{bar}</td></tr>'
        )
    return f'<table class="vector">{"".join(rows)}</table>'


def canvas_html(shown: Shown, a: np.ndarray) -> str:
    """A canvas the script fills: 28×28 tiles (layer 1's rows), a matrix, or a picture (a
    vector of a square number of entries, as x's 784 pixels); the value under the pointer is
    written in the line below it."""
    from .figures import is_image_layer, symmetric_limit

    limit = symmetric_limit(a) if shown.limit is None else shown.limit
    common = f'class="heat" data-id="{shown.ident}" data-name="{esc(shown.name)}"'
    common += f' data-limit="{limit!r}"{_divide(shown)}'
    if a.ndim == 2 and a.shape[1] > 1 and is_image_layer(a):
        n, side = a.shape[0], math.isqrt(a.shape[1])
        cols, s, gap, label = math.ceil(math.sqrt(n)), 4, 6, 18
        rows = math.ceil(n / cols)
        width = cols * side * s + (cols - 1) * gap
        height = rows * (side * s + label) + (rows - 1) * gap
        attrs = (
            f'data-kind="tiles" data-rows="{n}" data-cols="{a.shape[1]}" data-side="{side}" '
            f'data-tiles="{cols}" data-s="{s}" data-gap="{gap}" data-label="{label}"'
        )
    elif a.ndim == 2 and a.shape[1] > 1:
        rows, cols = a.shape
        s = max(3, min(24, 320 // max(rows, cols)))
        width, height = cols * s, rows * s
        attrs = f'data-kind="matrix" data-rows="{rows}" data-cols="{cols}" data-s="{s}"'
    else:
        side = math.isqrt(a.size)
        if side * side != a.size:  # a long vector that is no picture: one row
            s = max(1, 640 // a.size)
            width, height = a.size * s, 24
            attrs = f'data-kind="matrix" data-rows="1" data-cols="{a.size}" data-s="{s}"'
        else:
            kind = "digit" if shown.name == "x" else "picture"
            s = max(2, 168 // side)
            width = height = side * s
            attrs = f'data-kind="{kind}" data-side="{side}" data-s="{s}"'
    return (
        f'<div class="canvas"><canvas {common} {attrs} width="{width}" height="{height}">'
        f"</canvas></div>{_legend(limit, a if shown.name == 'x' else None)}"
        '<p class="readout" aria-live="polite">hover or tap a cell for its value</p>'
    )


def _legend(limit: float, pixels: np.ndarray | None) -> str:
    """The colour scale under a canvas: −limit … 0 … +limit (``pixels``: 0 white, their
    largest value black)."""
    if pixels is not None:
        ink = fmt(float(np.nanmax(pixels))) if np.isfinite(pixels).any() else "0"
        return f'<div class="legend grey"><span>0</span><span></span><span>{ink}</span></div>'
    lut = colours()
    stops = ",".join(lut[k] for k in range(0, 256, 32)) + f",{lut[255]}"
    return (
        f'<div class="legend" style="background-image:linear-gradient(90deg,{stops})">'
        f"<span>{fmt(-limit)}</span><span>0</span><span>{fmt(limit)}</span></div>"
    )


# --- the chain-rule card -------------------------------------------------------------------------


def chain_html(card) -> str:
    """The chain-rule card of a gradient entry, and its first factor one step down the chain."""
    parts = [
        f'<div class="chain"><h3>Chain rule for {esc(card.entry)} <small>its largest entry'
        "</small></h3>",
        _card_terms(card),
    ]
    if card.expansion is not None:
        parts.append('<p class="down">one step down:</p>' + _card_terms(card.expansion))
    return "".join(parts) + "</div>"


def _card_terms(card) -> str:
    """The equation, one factor a row (its value and the neuron it comes from), the result."""
    sign = {"sum": "+", "product": "×"}.get(card.combine, "")
    factors, hidden = list(card.factors), []
    if len(factors) > MAX_TERMS:
        factors, hidden = factors[:MAX_TERMS], factors[MAX_TERMS:]
    rows = []
    for k, f in enumerate(factors):
        source = ""
        if f.source is not None:
            layer, neuron = f.source
            source = f"← {'input' if layer == 0 else f'L{layer}'}"
            source += "" if neuron < 0 else f" #{neuron}"
        rows.append(
            f'<tr><td class="op">{sign if k else ""}</td><td>{esc(f.name)}</td>'
            f'<td class="num">{fmt(f.value)}</td><td class="src">{source}</td></tr>'
        )
    if hidden:
        rest = float(np.sum([f.value for f in hidden], dtype=np.float64))
        rows.append(
            f'<tr class="muted"><td class="op">{sign}</td><td>… {len(hidden)} more, '
            f'together</td><td class="num">{fmt(rest)}</td><td></td></tr>'
        )
    bound = result_bound(card)
    ok = abs(card.result - card.value) <= 2 * bound + float(np.finfo(np.float64).tiny)
    check = "✓ the recorded entry" if ok else f"≠ recorded {derived(card.value, bound)}"
    rows.append(
        f'<tr class="result"><td class="op">=</td><td>{esc(card.entry)}</td>'
        f'<td class="num">{derived(card.result, bound)}</td><td class="src">{check}</td>'
        "</tr>"
    )
    return (
        f'<p class="card-eq">{esc(card.equation)}</p><div class="scroll"><table class="factors">'
        f"{''.join(rows)}</table></div>"
    )
