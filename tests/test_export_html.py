"""``netviz export html``: one self-contained page of a trace's steps, checked against the trace
itself (the numbers written and the values embedded) and in a real browser (offline, keys, the
address in the link, a phone's width, printing, a lesson's answers on click)."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest
from browser import browse, needs_chromium
from helpers import run_cli

from netviz.commands.export import html as export_html
from netviz.export.html import GRADIENT_EPOCHS, embedded, spread
from netviz.lessons.format import find, load
from netviz.lessons.questions import right_answer
from netviz.numbers import fmt
from netviz.trace import TraceReader

EXAMPLE = Path(__file__).parents[1] / "traces" / "example.nvtrace"
FIRST, FIRST_EQUATION = "e0/x0/fwd/L1/Z", "Z1 = W1·x + b1"


class Page(HTMLParser):
    """What a page says, by step: each array figure's embedded id, divisor and the numbers
    written in it; each lesson answer's text."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.order: list[str] = []
        self.arrays: dict[str, dict[str, dict]] = {}
        self.answers: dict[str, list[str]] = {}
        self._figure = self._into = None
        self._text = ""
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        a, classes = dict(attrs), dict(attrs).get("class", "").split()
        if tag == "section" and "step" in classes:
            self.order.append(a["data-address"])
            self.arrays[a["data-address"]], self.answers[a["data-address"]] = {}, []
        elif tag == "figure" and "array" in classes:
            self._figure = {"id": a["data-id"], "divide": a.get("data-divide"), "numbers": []}
            self.arrays[self.order[-1]][a["data-name"]] = self._figure
        elif tag in ("td", "span") and "num" in classes and self._figure is not None:
            self._into, self._text = self._figure["numbers"], ""
        elif tag == "details" and "answer" in classes:
            self._into, self._text = self.answers[self.order[-1]], ""

    def handle_endtag(self, tag):
        if tag == "figure":
            self._figure = None
        if self._into is not None and tag in ("td", "span", "details"):
            self._into.append(self._text.strip())
            self._into = None

    def handle_data(self, data):
        self._text += data


@pytest.fixture(scope="module")
def example_page(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("html") / "walk.html"
    export_html(str(EXAMPLE), first=None, last=None, lesson=None, out=str(out))
    return out


@pytest.fixture(scope="module")
def reader():
    with TraceReader(EXAMPLE) as r:
        yield r


def written(array: np.ndarray, divide: str | None) -> list[str]:
    """The numbers a page writes for an array: a scalar, or a vector's every entry (matrices
    and pictures are drawn, their values given on hover)."""
    a = np.asarray(array, dtype=float) / (int(divide) if divide else 1)
    if a.ndim == 0:
        return [fmt(float(a))]
    if a.size <= 64 and (a.ndim == 1 or a.shape[1] == 1):
        return [fmt(v) for v in a.reshape(-1)]
    return []


def trace_arrays(reader: TraceReader, address: str) -> dict[str, tuple[np.ndarray, int | None]]:
    """What the trace holds at a step, by the name the page shows it under: an op's inputs and
    outputs; an epoch's ΣdW and Σdb (shown divided by m)."""
    step = reader.step(address)
    if step.kind == "op":
        inputs, outputs = reader.op_arrays(address)
        return {name: (a, None) for name, a in {**inputs, **outputs}.items()}
    _, m, dW, db = reader.epoch_sums(step.epoch)
    arrays = {f"ΣdW{l}/m": (a, m) for l, a in enumerate(dW, 1)}
    return arrays | {f"Σdb{l}/m": (a, m) for l, a in enumerate(db, 1)}


# --- the page, read as text -----------------------------------------------------------------------


def test_every_step_of_the_example_is_on_the_page_in_order(example_page, reader):
    assert Page(example_page.read_text()).order == [s.address for s in reader.steps()]


def test_every_number_on_the_page_is_the_traces_own(example_page, reader):
    """Each step's embedded arrays are the trace's, bit for bit, and each number written is
    netviz's fmt of the trace's value (ΣdW and Σdb divided by the epoch's m)."""
    text = example_page.read_text()
    page, stored = Page(text), embedded(text)
    for address in page.order:
        expected = trace_arrays(reader, address)
        assert set(page.arrays[address]) == set(expected), address
        for name, shown in page.arrays[address].items():
            want, m = expected[name]
            got = stored[shown["id"]]
            assert got.shape == want.shape and got.dtype == want.dtype, (address, name)
            assert got.tobytes() == want.tobytes(), (address, name)
            assert shown["numbers"] == written(want, shown["divide"]), (address, name)
            assert shown["divide"] == (None if m is None else str(m))


def test_a_check_traces_page_sets_the_learners_values_beside_the_reference(tmp_path):
    """Each output the learner computed: their value embedded beside it (the trace's
    ``theirs/NAME``, bit for bit) and a line saying whether they differ, naming the entries
    that do, as the replay does."""
    from test_check_replay import DIFFERING, PLANTED, write_check_trace

    trace, out = tmp_path / "check.nvtrace", tmp_path / "check.html"
    theirs = write_check_trace(trace)
    export_html(str(trace), first=None, last=None, lesson=None, out=str(out))
    text = out.read_text()
    page, stored = Page(text), embedded(text)
    lines = {
        address: re.findall(r"<li( class=differs)?>([^<]*)</li>", section)
        for address, section in re.findall(r'data-address="([^"]+)"(.*?)</section>', text, re.S)
    }
    named = {"e0/x0/bwd/L2/dZ": "dZ2[3]", "e0/x1/bwd/L2/dW": "dW2[2, 5]", "e0/x2/fwd/L1/Z": "Z1[4]"}
    assert sorted(named) == sorted(DIFFERING) and len(PLANTED) == 3
    with TraceReader(trace) as reader:
        for address in page.order:
            step = reader.step(address)
            _, outputs = reader.op_arrays(address)
            for name in outputs:
                if name == "cost":  # the learner kept every output but the cost
                    assert f"theirs/{name}" not in page.arrays[address]
                    continue
                got = stored[page.arrays[address][f"theirs/{name}"]["id"]]
                want = theirs[step.example, name]
                assert got.dtype == want.dtype and got.tobytes() == want.tobytes(), address
            said = lines[address]
            if address in named:
                [(differs, line)] = said
                [size] = [a.size for a in outputs.values()]
                assert differs and line.endswith(f"1 of {size} entries differ: ◆ {named[address]}")
            else:
                assert all(not d and line.endswith("the same, to rounding") for d, line in said)


def test_a_learners_value_is_coloured_on_the_reference_s_scale(tmp_path):
    """theirs/NAME beside NAME: the same ±limit, so that equal numbers get equal colours and the
    planted difference shows as one (a matrix's canvas, and a vector's bars)."""
    from test_check_replay import write_check_trace

    trace, out = tmp_path / "check.nvtrace", tmp_path / "check.html"
    write_check_trace(trace)
    export_html(str(trace), first=None, last=None, lesson=None, out=str(out))
    text = out.read_text()
    sections = dict(re.findall(r'<section[^>]*data-address="([^"]+)"(.*?)</section>', text, re.S))
    limits = dict(
        re.findall(r'data-name="([^"]+)" data-limit="([^"]+)"', sections["e0/x1/bwd/L2/dW"])
    )
    assert limits["theirs/dW2"] == limits["dW2"]  # its own would be larger: (2, 5) + 0.25
    # dZ2 with its entry 3 doubled: on the reference's scale that bar is the longest one, full
    figures = dict(re.findall(r'<figure[^>]*data-name="([^"]+)"(.*?)</figure>',
                              sections["e0/x0/bwd/L2/dZ"], re.S))  # fmt: skip
    widths = {name: [float(w) for w in re.findall(r"width:([\d.]+)%", figures[name])]
              for name in ("dZ2", "theirs/dZ2")}  # fmt: skip
    assert max(widths["dZ2"]) == 50.0 and widths["theirs/dZ2"].count(50.0) >= 1
    same = [a == b for a, b in zip(widths["dZ2"], widths["theirs/dZ2"], strict=True)]
    assert same.count(False) == 1  # only the doubled entry's bar differs


def test_a_learners_value_of_another_shape_is_shown_and_said(tmp_path, capsys):
    """An answer of the wrong shape (a mistake may give one) is written as it is, beside the
    reference, with the shapes said: not a traceback."""
    from test_check_replay import write_check_trace

    wrong = {(0, name): (lambda a: a.reshape(-1)[:5].copy()) for name in ("Z1", "dW2", "db2")}
    trace, out = tmp_path / "check.nvtrace", tmp_path / "check.html"
    write_check_trace(trace, planted=wrong)
    assert run_cli(capsys, "export", "html", str(trace), "-o", str(out))[0] == 0
    text = out.read_text()
    sections = dict(re.findall(r'<section[^>]*data-address="([^"]+)"(.*?)</section>', text, re.S))
    for address, name, shape in [
        ("e0/x0/fwd/L1/Z", "Z1", "(16, 1)"),
        ("e0/x0/bwd/L2/dW", "dW2", "(16, 16)"),
        ("e0/x0/bwd/L2/db", "db2", "(16,)"),
    ]:
        section = sections[address]
        said = f"{name}: the learner&#x27;s vs the reference: the shapes differ: theirs is (5,)"
        assert f"<li class=differs>{said}, the reference {shape}</li>" in section
        assert f'data-name="theirs/{name}"' in section


def test_the_page_loads_nothing_from_outside(example_page):
    text = example_page.read_text()
    assert not re.search(r"""(?:src|href)\s*=\s*["'](?!#)""", text)
    assert not re.search(r"url\((?!data:)|@import|https?://", text)


def test_round_numbered_epochs_are_chosen_when_there_are_many():
    chosen = spread(list(range(1, 501)), GRADIENT_EPOCHS)
    assert chosen[0] == 1 and chosen[-1] == 500 and len(chosen) <= GRADIENT_EPOCHS
    assert {1, 2, 5, 10, 100, 250} <= set(chosen)
    assert spread([3, 4, 5], GRADIENT_EPOCHS) == [3, 4, 5]


def test_a_range_holds_its_steps_only_and_says_so(tmp_path, capsys, reader):
    out = tmp_path / "part.html"
    export_html(str(EXAMPLE), first="e0/x1/cost", last="e2", lesson=None, out=str(out))
    steps = [s.address for s in reader.steps()]
    want = steps[steps.index("e0/x1/cost") : steps.index("e2") + 1]
    assert Page(out.read_text()).order == want
    said = capsys.readouterr().out.splitlines()
    assert said[0].startswith(f"{len(want)} steps, e0/x1/cost to e2:")
    assert said[-1] == str(out)


@pytest.mark.parametrize("name", ["layer-one", "update"])
def test_a_lessons_answers_are_computed_from_the_trace(tmp_path, capsys, reader, name):
    """Each stop's answer is right_answer on the trace's own arrays at the stop (or, for an
    epoch's up-or-down question, its cost before and after)."""
    out = tmp_path / "lesson.html"
    export_html(str(EXAMPLE), first=None, last=None, lesson=name, out=str(out))
    page = Page(out.read_text())
    lesson = load(find(name))
    on_page = [s for s in lesson.stops if s.at in page.order]
    assert on_page, "the example trace holds some of the lesson's stops"
    for stop in (s for s in on_page if s.question is not None):
        step = reader.step(stop.at)
        if step.kind == "epoch":
            rows = {r["epoch"]: r["cost"] for r in reader.metric_rows()}
            right = right_answer(stop.question, {}, (rows[step.epoch], rows[step.epoch + 1]))
        else:
            values = {}
            for s in reader.pass_steps(step.epoch, step.example):
                if s.step <= step.step:
                    inputs, outputs = reader.op_arrays(s.step)
                    values.update(inputs)
                    values.update(outputs)
            right = right_answer(stop.question, values)
        assert f"Show the answer{right.shown}" in page.answers[stop.at], stop.at
    assert f"lesson {lesson.name}: {len(on_page)} of {len(lesson.stops)} stops" in (
        capsys.readouterr().out
    )


# --- refusals: one line, exit status 2, no file ---------------------------------------------------


@pytest.mark.parametrize(
    "args, said",
    [
        (["--from", "e0/x9/fwd/L1/Z"], "no step e0/x9/fwd/L1/Z in this trace"),
        (["--from", "e8/x0/cost", "--to", "e0/x0/cost"], "comes after --to e0/x0/cost"),
        (["--from", "nowhere"], "is not an address"),
        (["--lesson", "no-such-lesson"], "no such lesson"),
        (["--to", "e0/x0/cost", "--lesson", "update"], "none of its 3 stops is a step"),
    ],
    ids=["address-not-in-trace", "from-after-to", "not-an-address", "unknown-lesson", "no-stop"],
)
def test_bad_input_is_refused_in_one_line(tmp_path, capsys, args, said):
    out = tmp_path / "walk.html"
    status, stdout, err = run_cli(capsys, "export", "html", str(EXAMPLE), *args, "-o", str(out))
    assert status == 2 and stdout == ""
    assert said in err and len(err.strip().splitlines()) == 1, err
    assert not out.exists()


@pytest.mark.parametrize("what", ["not-a-trace", "wrong-suffix"])
def test_a_file_that_is_no_trace_or_no_page_is_refused(tmp_path, capsys, what):
    trace, out = EXAMPLE, tmp_path / "walk.html"
    if what == "not-a-trace":
        trace = tmp_path / "notes.nvtrace"
        trace.write_text("not a trace\n")
    else:
        out = tmp_path / "walk.png"
    status, _, err = run_cli(capsys, "export", "html", str(trace), "-o", str(out))
    assert status == 2 and len(err.strip().splitlines()) == 1, err
    assert ("not a netviz trace" if what == "not-a-trace" else "export html writes") in err
    assert not out.exists()


# --- in a browser ---------------------------------------------------------------------------------

READY = "document.documentElement.dataset.ready === 'yes'"
SHOWN = "document.querySelector('section.step.current').innerText"


async def open_page(page, path: Path, fragment: str = "") -> None:
    await page.open(f"file://{path}" + (f"#{fragment}" if fragment else ""))
    await page.wait_for(READY)


@needs_chromium
def test_the_page_opens_offline_at_its_first_step(example_page, tmp_path):
    async def visit(page):
        await open_page(page, example_page)
        assert await page.evaluate("netviz.current()") == FIRST
        assert FIRST_EQUATION in await page.evaluate(SHOWN)
        # nothing was fetched: no image, font, style or script beyond the file itself
        assert await page.evaluate("performance.getEntriesByType('resource').length") == 0
        await page.screenshot(tmp_path / "desktop.png")

    browse(visit)
    assert (tmp_path / "desktop.png").stat().st_size > 10_000


@needs_chromium
def test_the_arrow_keys_move_and_the_fragment_follows(example_page, reader):
    steps = reader.steps()

    async def visit(page):
        await open_page(page, example_page)
        await page.press("ArrowRight")
        assert await page.evaluate("location.hash") == f"#{steps[1].address}"
        assert steps[1].equation in await page.evaluate(SHOWN)
        await page.press("ArrowLeft")
        assert await page.evaluate("location.hash") == f"#{FIRST}"
        await page.press("End")
        assert await page.evaluate("netviz.current()") == steps[-1].address
        await page.press("ArrowRight")  # past the end: stays
        assert await page.evaluate("location.hash") == f"#{steps[-1].address}"
        await page.press("Home")
        assert await page.evaluate("netviz.current()") == FIRST

    browse(visit)


@needs_chromium
def test_a_link_with_an_address_opens_that_step(example_page):
    async def visit(page):
        await open_page(page, example_page, "e0/x1/bwd/L2/dW")
        assert await page.evaluate("netviz.current()") == "e0/x1/bwd/L2/dW"
        shown = await page.evaluate(SHOWN)
        assert "dW2 = dZ2·A1ᵀ" in shown and "Chain rule for dW2[" in shown
        await page.open(f"file://{example_page}#e3")  # a link to an epoch, and its curves
        await page.wait_for(READY)
        assert "e3, at the weights after 2 epochs" in await page.evaluate(SHOWN)

    browse(visit)


@needs_chromium
def test_the_pages_numbers_are_the_traces_tensors(example_page, reader):
    """The values the page's script decodes equal the trace's, and every number it writes on
    hover is netviz's fmt of them: all 12,544 of W1, and the cell under the pointer."""
    addresses = ["e0/x0/fwd/L1/Z", "e0/x0/cost", "e0/x1/bwd/L3/dW", "e8/x0/upd/L2/W", "e5"]

    async def visit(page):
        await open_page(page, example_page)
        for address in addresses:
            got = await page.evaluate(f"netviz.values({address!r})")
            want = trace_arrays(reader, address)
            assert set(got) == set(want), address
            for name, (a, _) in want.items():
                assert got[name]["shape"] == list(a.shape)
                assert np.array_equal(np.array(got[name]["values"]), a.reshape(-1)), name
        W1 = reader.op_arrays(FIRST)[0]["W1"]
        said = await page.evaluate(
            f"netviz.values({FIRST!r}).then(v => v.W1.values.map(netviz.fmt))"
        )
        assert said == [fmt(v) for v in W1.reshape(-1)]
        W2 = reader.op_arrays("e0/x0/fwd/L2/Z")[0]["W2"]
        await page.evaluate("netviz.show('e0/x0/fwd/L2/Z')")
        box = await page.evaluate(
            "(() => { const c = document.querySelector('section.current canvas[data-name=W2]');"
            " c.scrollIntoView({block: 'center'}); const r = c.getBoundingClientRect();"
            " return [r.left, r.top, r.width / c.width, +c.dataset.s]; })()"
        )
        left, top, zoom, s = box
        i, j = 3, 11
        x, y = left + (j + 0.5) * s * zoom, top + (i + 0.5) * s * zoom
        await page.send("Input.dispatchMouseEvent", type="mouseMoved", x=x, y=y)
        readout = await page.evaluate(
            "document.querySelector('section.current figure[data-name=W2] .readout').textContent"
        )
        assert readout == f"W2[{i}, {j}] = {fmt(W2[i, j])}"

    browse(visit)


@needs_chromium
def test_the_script_writes_numbers_as_netviz_does(example_page):
    values = [2.0625, 1.1875, 0.5, 12345.0, 9999.5, 99995.0, 1e-5, 1e-4, -0.0, 1e100, 5e-324,
              -2.5e-7, 1000.0, 123.45, 1 / 3, -1e-300, float("inf"), float("-inf")]  # fmt: skip

    async def visit(page):
        await open_page(page, example_page)
        listed = ", ".join(repr(v).replace("inf", "Infinity") for v in values)
        assert await page.evaluate(f"[{listed}].map(netviz.fmt)") == [fmt(v) for v in values]
        assert await page.evaluate("netviz.fmt(NaN)") == fmt(float("nan"))

    browse(visit)


@needs_chromium
def test_a_phone_reads_every_kind_of_step_without_sideways_scrolling(example_page, tmp_path):
    async def visit(page):
        await page.size(390, 844, mobile=True)
        await open_page(page, example_page)
        for address in ["e0/x0/upd/L1/W", "e0/x0/bwd/L2/dA", "e0/x0/bwd/L1/dW", "e8"]:
            await page.evaluate(f"netviz.show({address!r})")
            wide = await page.evaluate(
                "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
            )
            assert wide[0] <= wide[1], (address, wide)
        await page.screenshot(tmp_path / "phone.png")

    browse(visit, width=390, height=844)


@needs_chromium
def test_printing_gives_every_step_one_after_another(example_page, tmp_path, reader):
    part = tmp_path / "part.html"  # a few steps: printing all 80 takes seconds
    export_html(str(EXAMPLE), first="e0/x0/bwd/L3/dZ", last="e0/x0/bwd/L3/dA", lesson=None,
                out=str(part))  # fmt: skip
    every = (
        "Array.from(document.querySelectorAll('main > section.step'))"
        ".filter(s => getComputedStyle(s).display !== 'none').length"
    )

    async def visit(page):
        await open_page(page, example_page)
        assert await page.evaluate(every) == 1  # on screen, one step at a time
        await page.send("Emulation.setEmulatedMedia", media="print")
        assert await page.evaluate(every) == len(reader.steps())
        await page.send("Emulation.setEmulatedMedia", media="")
        await open_page(page, part)
        await page.pdf(tmp_path / "walk.pdf")

    browse(visit)
    assert (tmp_path / "walk.pdf").read_bytes()[:5] == b"%PDF-"


@needs_chromium
def test_a_lessons_answer_is_hidden_until_clicked(tmp_path, reader):
    out = tmp_path / "lesson.html"
    export_html(str(EXAMPLE), first=None, last="e0/x1/cost", lesson="layer-one", out=str(out))
    Z1 = reader.op_arrays("e0/x1/fwd/L1/Z")[1]["Z1"]
    answer = f"Z1[7] = {fmt(Z1[7, 0])}"
    summary = "section.current details.answer summary"

    async def visit(page):
        await open_page(page, out, "e0/x1/fwd/L1/Z")
        shown = await page.evaluate(SHOWN)
        assert "Guess Z1[7] for this digit" in shown and answer not in shown
        box = await page.evaluate(
            f"(() => {{ const s = document.querySelector('{summary}');"
            " s.scrollIntoView({block: 'center'});"
            " const r = s.getBoundingClientRect(); return [r.left + 5, r.top + 5]; })()"
        )
        for kind in ("mousePressed", "mouseReleased"):
            await page.send("Input.dispatchMouseEvent", type=kind, x=box[0], y=box[1],
                            button="left", clickCount=1)  # fmt: skip
        assert answer in await page.evaluate(SHOWN)

    browse(visit)


@needs_chromium
def test_a_page_opens_at_its_top_and_a_cut_link_still_opens(example_page):
    """Opened plainly, the page stays at its top (the header says what it holds); a link cut
    after a stray % opens the first step rather than nothing."""

    async def visit(page):
        await open_page(page, example_page)
        assert await page.evaluate("window.scrollY") == 0
        await page.open(f"file://{example_page}#%zz")
        await page.wait_for(READY)
        assert await page.evaluate("netviz.current()") == FIRST
        assert FIRST_EQUATION in await page.evaluate(SHOWN)

    browse(visit)


def test_a_float32_run_and_an_own_digit_are_written_as_the_tour_writes_them(tmp_path, capsys):
    """A float32 mean within float32's rounding bound is 0 (Σŷ − 1 = 0: dZ3's mean), a digit
    of the learner's own without a label says backprop used the guess, and one from an image
    goes by its file's name, as in the tour."""
    from netviz.core.presets import PRESETS
    from netviz.session.live import Session
    from netviz.training.run import RunSpec

    spec = RunSpec(PRESETS["tuned"].with_(dtype="float32"), train_size=200, test_size=50)
    with Session(spec, trace=tmp_path / "f32.nvtrace") as session:
        session.own_digit(session._run.train.images[3])
        session.goto("e0/x200/bwd/L3/dZ")
        session.own_digit(session._run.train.images[5], label=3, source="my3.png")
        session.goto("e0/x201/bwd/L3/dZ")
    out = tmp_path / "f32.html"
    assert (
        export_html(str(tmp_path / "f32.nvtrace"), first=None, last=None, lesson=None, out=str(out))
        == 0
    )
    text = out.read_text()
    section = text.split('data-address="e0/x200/bwd/L3/dZ"')[1].split("</section>")[0]
    assert re.search(r"<b>dZ3</b>.*?mean 0 ·", section, re.S)
    assert "x: your digit (x200), no label: backprop used the guess" in section
    section = text.split('data-address="e0/x201/bwd/L3/dZ"')[1].split("</section>")[0]
    assert "x: my3.png (x201), label 3, guessed" in section


def test_a_wide_network_gets_fewer_passes_and_the_page_says_why(tmp_path):
    """784-64-64-10: a pass holds ~1.8 MB of weights, gradients and updated weights, so 6 of
    its 8 passes fit the budget: the first 3 and the last 3, and the reason is given."""
    from netviz.core.presets import PRESETS
    from netviz.export.html import PASS_BUDGET, choose
    from netviz.session.live import Session
    from netviz.training.run import RunSpec

    spec = RunSpec(PRESETS["tuned"].with_(sizes=(784, 64, 64, 10)), train_size=100, test_size=20)
    with Session(spec, trace=tmp_path / "wide.nvtrace") as session:
        for example in range(1, 8):
            session.goto_example(example)
    with TraceReader(tmp_path / "wide.nvtrace") as wide:
        choice = choose(wide)
    params = 784 * 64 + 64 + 64 * 64 + 64 + 64 * 10 + 10
    most = int(PASS_BUDGET // (3 * params * 8 * 4 / 3))
    assert choice.passes == most < 8 and choice.passes_left_out == 8 - most
    examples = sorted({s.example for s in choice.steps if s.kind == "op"})
    assert examples == [*range(most // 2), *range(8 - (most - most // 2), 8)]
    assert any("a pass of this network takes about 1.8 MB" in line for line in choice.lines())
