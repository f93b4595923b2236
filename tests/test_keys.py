"""The key table (netviz/tui/keys.py) is the one home of the tour's keys: the bindings, the view
and replay rules, the palette and the help screen are made from it, and the README's key tables
name the same keys."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from helpers import pilot_test, screen_text
from textual.binding import Binding
from textual.keys import format_key

from netviz.core.presets import PRESETS
from netviz.session.live import Session
from netviz.session.replay import Replay
from netviz.training.run import RunSpec
from netviz.tui.app import NetvizApp, create_app
from netviz.tui.help import HelpScreen
from netviz.tui.keys import BINDINGS, KEYS, REPLAY_REFUSES, VIEW_ACTIONS, Key, action_name
from netviz.tui.palette import commands

README = Path(__file__).parents[1] / "README.md"
SIZE = (120, 40)
SPEC = RunSpec(PRESETS["seed"], train_size=300, test_size=100)
# Keys the README's tables name that the table does not bind: Textual's own palette key.
TEXTUAL_KEYS = {"ctrl+p"}


@pytest.fixture
def session(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with Session(SPEC, trace=tmp_path / "t.nvtrace") as s:
        yield s


# --- the table and what is made from it ------------------------------------------------------


def test_the_bindings_are_the_table_row_for_row():
    assert NetvizApp.BINDINGS is BINDINGS and len(BINDINGS) == len(KEYS)
    for row, binding in zip(KEYS, BINDINGS, strict=True):
        assert isinstance(binding, Binding)
        got = (binding.key, binding.action, binding.description, binding.tooltip)
        assert got == (row.key, row.action, row.label, row.tip)
        assert (binding.show, binding.key_display) == (row.show, row.key_display)


def test_every_action_in_the_table_is_an_app_action():
    for row in KEYS:
        assert callable(getattr(NetvizApp, f"action_{row.name}", None)), row.action


def test_rows_sharing_an_action_agree_on_the_view_and_replay_rules():
    """VIEW_ACTIONS and REPLAY_REFUSES go by action name: rows of one action must agree."""
    for name in {row.name for row in KEYS}:
        rows = [row for row in KEYS if row.name == name]
        assert len({row.view for row in rows}) == 1, name
        assert len({row.replay_refuses for row in rows}) == 1, name
        assert (name in VIEW_ACTIONS) == rows[0].view
        assert REPLAY_REFUSES.get(name) == rows[0].replay_refuses


def test_only_help_and_quit_work_under_a_dialog_and_a_replay_refuses_only_computing():
    assert {row.name for row in KEYS if not row.view} == {"help", "quit"}
    assert set(REPLAY_REFUSES) == {"epoch", "play", "misclassified", "draw", "fork"}


def test_no_row_is_doubled_and_each_palette_name_is_one_row():
    names = [row.palette for row in KEYS if row.palette]
    assert len(names) == len(set(names))
    pairs = [(row.key, row.action) for row in KEYS]
    assert len(pairs) == len(set(pairs))


# --- the palette -----------------------------------------------------------------------------


def test_the_palette_offers_every_key_the_table_marks_and_runs_its_action(session):
    app = create_app(session)
    found = {name: (callback, help) for name, callback, help in commands(app)}
    ran: list[tuple] = []
    app.call_later = lambda callback, *args: ran.append(args)  # type: ignore[method-assign]
    for row in KEYS:
        if row.palette is None:
            continue
        callback, help = found[row.palette]
        assert help == f"key {row.key_display or row.key}"
        ran.clear()
        callback()
        assert ran == [(row.action,)], row.palette  # the same action, with its arguments


@pilot_test
async def test_the_palette_selects_a_gradient_entry_like_k(session):
    """It used to run ``select_mode`` without its argument: a TypeError that ended the tour."""
    session.goto("e0/x0/bwd/L3/dZ")  # a gradient
    app = create_app(session)
    async with app.run_test(size=SIZE) as pilot:
        name = next(row.palette for row in KEYS if row.key == "k")
        dict((n, c) for n, c, _ in commands(app))[name]()
        await pilot.pause()
        assert app.selecting and app.is_running


@pilot_test
async def test_a_replay_palette_leaves_out_exactly_the_refused_keys(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "saved.nvtrace"
    with Session(SPEC, trace=path) as live:
        live.phase(True)
    with Replay(path) as replay:
        app = create_app(replay)
        async with app.run_test(size=SIZE):
            names = {n for n, _, _ in commands(app)}
            for row in KEYS:
                if row.palette:
                    assert (row.palette in names) == (row.replay_refuses is None), row.palette


# --- the help screen -------------------------------------------------------------------------


@pilot_test
async def test_the_help_shows_every_row_of_the_table(session):
    app = create_app(session)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        text = screen_text(app)
        for row in KEYS:
            assert row.tip in text
            assert (row.key_display or format_key(row.key)) in text, row.key


# --- the README --------------------------------------------------------------------------------


def readme_keys() -> set[str]:
    """The keys in the ``key | action`` tables under the README's "## The tour", as written."""
    section = README.read_text(encoding="utf-8").split("\n## The tour\n")[1].split("\n## ")[0]
    keys: set[str] = set()
    header: list[str] = []
    for line in section.splitlines():
        if not line.startswith("|"):
            header = []
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if not header:
            header = cells
        elif not set("".join(cells)) <= set("-: "):
            for title, cell in zip(header, cells, strict=True):
                if title == "key":
                    keys.update(re.findall(r"`([^`]+)`", cell))
    return keys


def written(row: Key) -> set[str]:
    """The ways the README may write a row's key: Textual's name, its display, the app's."""
    return {row.key, format_key(row.key)} | ({row.key_display} if row.key_display else set())


def test_the_readme_tables_are_found():
    keys = readme_keys()
    assert {"s", "S", "e", "space", "b", "B", "k", "o"} <= keys  # both tables, both columns


def test_every_key_the_readme_names_is_in_the_table():
    bound = set().union(*(written(row) for row in KEYS))
    assert readme_keys() - bound == TEXTUAL_KEYS


def test_every_key_of_the_table_is_in_the_readme():
    keys = readme_keys()
    assert [row.key for row in KEYS if not written(row) & keys] == []


def test_action_name_drops_the_arguments():
    assert action_name("select_mode(None)") == "select_mode" and action_name("goto") == "goto"
