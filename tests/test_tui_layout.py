"""The tour's layout at 80×24, 120×40 and 200×50: nothing cut, the room used, the charts' axes,
and colour legends that speak of the hidden layers' own activation."""

from __future__ import annotations

import re

import numpy as np
import pytest
from helpers import pilot_test, screen_text
from textual.content import Content

from netviz.core.activations import activation
from netviz.core.presets import PRESETS
from netviz.session.live import Session
from netviz.training.run import RunSpec
from netviz.tui.app import create_app
from netviz.tui.charts import HEADING, SHORT_HEADING, braille_cells, dot_spans, epoch_ticks
from netviz.tui.help import CLOSE, HelpScreen, colour_legend

SIZES = [(80, 24), (120, 40), (200, 50)]
SIZE_IDS = ["80x24", "120x40", "200x50"]


def open_session(tmp_path, hidden: str = "seed-sigmoid") -> Session:
    spec = RunSpec(PRESETS["seed"].with_(activation=hidden), train_size=300, test_size=100)
    return Session(spec, trace=tmp_path / f"{hidden}.nvtrace")


@pytest.fixture
def session(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with open_session(tmp_path) as s:
        yield s


def region_text(app, widget) -> list[str]:
    """The screen's lines cropped to ``widget``'s region."""
    r = widget.region
    return [line[r.x : r.right] for line in screen_text(app).splitlines()[max(r.y, 0) : r.bottom]]


def inner_lines(app, widget) -> list[str]:
    """The lines inside ``widget``'s border, stripped."""
    return [line.strip(" │") for line in region_text(app, widget)]


def plain(markup: str) -> str:
    return Content.from_markup(markup).plain


# --- the footer ---------------------------------------------------------------------------------


@pytest.mark.parametrize("width", [80, 90, 100, 101, 102, 111, 112, 120, 200])
@pilot_test
async def test_footer_keys_are_whole_at_every_width(session, width):
    """Every key the footer shows is whole and left of ^p palette; the few a newcomer needs
    first are always there (at 80 columns it used to end in `spa▏^p palettee`)."""
    app = create_app(session)
    async with app.run_test(size=(width, 24)) as pilot:

        def laid_out() -> list:
            return [k for k in app.footer.query("FooterKey") if k.display and k.region.width]

        for _ in range(50):  # a loaded machine may lay the footer out a few frames later
            await pilot.pause()
            if any(k.has_class("-command-palette") for k in laid_out()):
                break
        line = screen_text(app).splitlines()[-1]
        keys = laid_out()
        palette = next(k for k in keys if k.has_class("-command-palette"))
        assert palette.region.right <= width and "^p palette" in line
        shown = [k for k in keys if k is not palette]
        for key in shown:
            assert key.region.right <= palette.region.x, key.description
            assert f"{key.key_display} {key.description}" in line
        needed = {"Step", "Example", "Epoch", "Play", "Help", "Quit"}
        assert needed <= {k.description for k in shown}


# --- the help -----------------------------------------------------------------------------------


async def open_help(app, pilot) -> HelpScreen:
    await pilot.press("question_mark")
    await pilot.pause()
    assert isinstance(app.screen, HelpScreen)
    return app.screen


@pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)
@pilot_test
async def test_help_shows_the_whole_colour_legend_and_no_blank_tail(session, size):
    """The legend is there at every size, each of its lines whole on one screen line (none
    broken mid-phrase), and scrolled to the end the help ends at its last line, not blank."""
    app = create_app(session)
    async with app.run_test(size=size) as pilot:
        screen = await open_help(app, pilot)
        box = screen.query_one("#help")
        legend = [plain(line) for line in colour_legend(activation("seed-sigmoid"))]
        colours = screen.query_one("#help-colours")
        assert colours.size.width >= max(map(len, legend))
        assert colours.size.height == len(legend)  # not one line re-wrapped
        seen: set[str] = set()
        for y in range(0, box.max_scroll_y + box.size.height, max(box.size.height - 1, 1)):
            box.scroll_to(y=y, animate=False)
            await pilot.pause()
            seen.update(line.strip() for line in region_text(app, colours))
        assert {line.strip() for line in legend} <= seen
        box.scroll_end(animate=False)
        await pilot.pause()
        lines = region_text(app, box)
        assert CLOSE in lines[-1]  # the bottom border
        assert lines[-2].strip(" │")  # right above it a line of text, not a blank tail


@pytest.mark.parametrize("size", SIZES[1:], ids=SIZE_IDS[1:])
@pilot_test
async def test_help_fits_beside_its_legend_without_scrolling_from_120_columns(session, size):
    app = create_app(session)
    async with app.run_test(size=size) as pilot:
        screen = await open_help(app, pilot)
        keys, colours = screen.query_one("#help-keys"), screen.query_one("#help-colours")
        assert colours.region.x > keys.region.right - 1 and colours.region.y == keys.region.y
        assert screen.query_one("#help").max_scroll_y == 0
        text = screen_text(app)
        rows = app.key_help()
        width = max(len(k) for k, _ in rows)
        for keys_, what in rows:  # each on one line: nothing wrapped
            assert f"{keys_:<{width}} {what}" in text


# --- activation-aware legends -------------------------------------------------------------------


@pytest.mark.parametrize("hidden", ["sigmoid", "tanh", "relu"])
@pilot_test
async def test_legends_speak_of_the_hidden_activation(tmp_path, monkeypatch, hidden):
    """The slope overlay's heading and legend and the help give this activation's slope, its
    range and its largest value; only a sigmoid's say A(1−A)."""
    monkeypatch.chdir(tmp_path)
    act = activation(hidden)
    with open_session(tmp_path, hidden) as session:
        app = create_app(session)
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.press("s", "o")
            await pilot.pause()
            network = "\n".join(region_text(app, app.network))
            name = act.slope_label.split(" = ")[0]  # σ′(Z), tanh′(Z), relu′(Z)
            assert f"slopes {act.slope_label}" in network
            assert f"{act.peak_slope:g} {name}" in network
            await open_help(app, pilot)
            help_text = "\n".join(region_text(app, app.screen.query_one("#help")))
            assert act.slope_label in help_text and act.slope_range in help_text
            first_words = act.saturation_label.split()[:3]
            assert " ".join(first_words) in help_text
            for text in (network, help_text):
                assert ("A(1−A)" in text) == (hidden == "sigmoid")


# --- charts -------------------------------------------------------------------------------------


def percent(x: float) -> str:
    return f"{100 * x:.1f} %"


@pytest.mark.parametrize("size", SIZES[1:], ids=SIZE_IDS[1:])
@pilot_test
async def test_charts_have_labelled_axes_and_say_when_figures_were_measured(session, size):
    for _ in range(5):
        session.run_epoch()
    metrics = session.snapshot().metrics
    costs = [m.cost for m in metrics]
    accuracies = [m.train_accuracy for m in metrics] + [m.test_accuracy for m in metrics]
    app = create_app(session)
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        lines = inner_lines(app, app.charts)
        text = "\n".join(lines)
        assert HEADING in text or SHORT_HEADING in text
        for label in (f"{max(costs):.4g}", f"{min(costs):.4g}"):
            assert any(line.startswith(label + "┤") for line in lines), label
        for label in (percent(max(accuracies)), percent(min(accuracies))):
            assert any(line.startswith(label + "┤") for line in lines), label
        axis = next(line for line in lines if line.startswith("└"))
        ticks = next(line for line in lines if line.startswith("epoch "))
        assert axis.count("┬") == len(ticks.split()) - 1 >= 2
        assert ticks.split()[1] == "1" and ticks.split()[-1] == "5"
        assert f"cost {costs[-1]:.4g}" in text
        assert f"train {percent(metrics[-1].train_accuracy)}" in text


@pilot_test
async def test_charts_grow_with_the_terminal(session):
    for _ in range(3):
        session.run_epoch()
    areas = []
    for size in SIZES[1:]:
        app = create_app(session)
        async with app.run_test(size=size) as pilot:
            await pilot.pause()
            lines = region_text(app, app.charts)
            axis = next(line for line in lines if "└" in line).strip(" │")
            rows = sum(1 for line in lines if line.count("│") + line.count("┤") >= 3)
            areas.append((len(axis), rows))
    (width_120, rows_120), (width_200, rows_200) = areas
    assert width_200 > width_120 + 10 and rows_200 > rows_120


@pilot_test
async def test_the_network_shows_each_neurons_value_where_it_has_room(session):
    """At 200 columns each hidden neuron's value is written beside its cell (2 significant
    digits), each column's values ending in one column of the screen: A1, then dZ1, where a
    saturated σ passes back values as small as −2e−278; at 120 there is no room, and the cells
    stand alone."""
    for size in SIZES[1:]:
        app = create_app(session)
        async with app.run_test(size=size) as pilot:
            await pilot.press("s")  # A1 = σ(Z1)
            await pilot.pause()
            if size[0] < 200:
                rows = region_text(app, app.network)[4:20]
                assert not any("." in row or "e-" in row for row in rows)
                continue
            A1 = np.asarray(app.snapshot.layers[1].activation)
            assert_shown(network_values(app, 1), A1)
            await pilot.press(*"s" * 14)  # dZ1 = A1(1−A1)⊙dA1
            await pilot.pause()
            dZ1 = np.asarray(app.snapshot.layers[1].gradient)
            assert np.min(np.abs(dZ1[dZ1 != 0])) < 1e-99  # the case that needs 7 cells
            assert_shown(network_values(app, 1), dZ1)


def assert_shown(words: list[str], values: np.ndarray) -> None:
    """Each word is its value to the digits shown: 0.44, 0.077 (2); 4e-237 (1)."""
    for word, value in zip(words, values, strict=True):
        digits = 1 if "e" in word else 2
        assert float(word) == pytest.approx(value, rel=0.5 * 10 ** (1 - digits), abs=0)


def network_values(app, column: int) -> list[str]:
    """The values written beside hidden layer ``column``'s cells, one per neuron, after checking
    that they all end in the same screen column."""
    rows = region_text(app, app.network)[4:20]  # below the layer names: neurons 0–15
    ends = []
    words = []
    for i, row in enumerate(rows):
        cells = [m for m in re.finditer(r"[^\s│]+", row)]
        assert cells[0].group() == str(i)
        after = [c for c in cells if c.group() == "██"][column - 1]  # the layer's cell
        word = next(c for c in cells if c.start() > after.start())
        ends.append(word.end())
        words.append(word.group())
    assert len(set(ends)) == 1, rows  # aligned: no value pushed its row out of line
    return words


@pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)
@pilot_test
async def test_regions_fit_the_screen_without_overlapping(session, size):
    app = create_app(session)
    async with app.run_test(size=size) as pilot:
        await pilot.press("s", "s")
        await pilot.pause()
        regions = [
            w.region
            for w in (app.digit, app.charts, app.network, app.inspector, app.timeline, app.footer)
            if w.display and w.region.area
        ]
        for i, r in enumerate(regions):
            assert r.right <= size[0] and r.bottom <= size[1]
            assert not any(r.overlaps(other) for other in regions[i + 1 :])
        if size[0] >= 200:  # the picture-and-charts column and the network grow
            assert app.charts.region.width >= 48 and app.network.region.width >= 48


# --- the charts' drawing, checked against what the dots must be -------------------------------

# Unicode braille: dot (column, row from the top) → bit of U+2800 + bits.
BRAILLE_BIT = {
    (0, 0): 0,
    (0, 1): 1,
    (0, 2): 2,
    (1, 0): 3,
    (1, 1): 4,
    (1, 2): 5,
    (0, 3): 6,
    (1, 3): 7,
}


def lit_dots(cells: np.ndarray) -> set[tuple[int, int]]:
    """The (dot column, dot row from the bottom) of every lit dot of a grid of braille codes."""
    height = cells.shape[0]
    dots = set()
    for (r, c), code in np.ndenumerate(cells):
        for (dx, dy), bit in BRAILLE_BIT.items():
            if int(code) >> bit & 1:
                dots.add((2 * c + dx, 4 * (height - 1 - r) + 3 - dy))
    return dots


def test_a_line_of_one_point_a_dot_column_spans_halfway_to_its_neighbours():
    values = np.linspace(0.0, 7.0, 8)  # 8 points over 8 dot columns: point k on column k
    lo, hi = dot_spans(values, 8)
    assert np.allclose(lo, [0.0, *(values[1:] - 0.5)])  # from halfway to the one before
    assert np.allclose(hi, [*(values[:-1] + 0.5), 7.0])  # to halfway to the one after
    dots = lit_dots(braille_cells(values, 4, 2, 0.0, 7.0))  # 8 dot rows: point k on row k
    assert {(k, k) for k in range(8)} <= dots
    assert all(abs(row - column) <= 1 for column, row in dots)


def test_a_flat_line_sits_in_the_middle_and_a_missing_value_is_bridged():
    assert lit_dots(braille_cells([2.0, 2.0, 2.0], 3, 1, 2.0, 2.0)) >= {(c, 2) for c in range(6)}
    lo, hi = dot_spans([0.0, np.nan, 2.0], 5)  # the line from 0 (column 0) to 2 (column 4)
    assert np.allclose(lo, [0.0, 0.25, 0.75, 1.25, 1.75])
    assert np.allclose(hi, [0.25, 0.75, 1.25, 1.75, 2.0])


@pytest.mark.parametrize(
    ("first", "last", "width"), [(1, 1, 20), (1, 5, 21), (1, 500, 21), (3, 1000, 40), (1, 9, 6)]
)
def test_epoch_ticks_are_round_numbers_a_space_apart(first, last, width):
    ticks = epoch_ticks(list(range(first, last + 1)), width)
    assert ticks[0] == (0, str(first))
    cells = [cell for cell, _ in ticks]
    assert cells == sorted(set(cells)) and cells[-1] < width
    starts = [min(cell, width - len(label)) for cell, label in ticks]
    for start, (_, label), next_start in zip(starts, ticks, starts[1:], strict=False):
        assert start + len(label) < next_start
    labels = [int(label) for _, label in ticks[1:]]
    steps = set(np.diff(labels).tolist())
    assert len(steps) <= 1
    round_steps = {m * 10**k for k in range(6) for m in (1, 2, 5)}
    for step in steps:
        assert step in round_steps and all(x % step == 0 for x in labels)


@pytest.mark.parametrize(
    ("value", "shown"),
    [(0.0, "0"), (-0.0, "0"), (0.93, "0.93"), (-0.077, "-0.077"), (3e-05, "3e-05")],
    ids=["zero", "negative-zero", "two-digits", "negative", "tiny"],
)
def test_a_neurons_value_never_shows_a_signed_zero(value, shown):
    from netviz.tui.network import short

    assert short(value) == shown
