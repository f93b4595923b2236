"""The tour's keys in one table: each key's action, label, tip, whether the footer shows it, its
palette name, whether it changes what is shown and why a replay refuses it. The bindings, the
palette's key commands, the help screen and the view-only and replay rules are all made from it
(a new key is one row here; tests/test_keys.py checks the README's key tables against it)."""

from __future__ import annotations

from dataclasses import dataclass

from textual.binding import Binding


@dataclass(frozen=True)
class Key:
    """One row of the key table.

    ``key`` is Textual's key name, ``action`` the app's action with its arguments, ``label`` the
    footer's word and ``tip`` the help screen's line. ``palette`` names the key's command in the
    palette (a verb phrase; None: not there). ``view``: the key changes what is shown, so it is
    off while a help or question screen is on top. ``replay_refuses`` says what the key would
    compute that a replay cannot (None: a replay allows it)."""

    key: str
    action: str
    label: str
    tip: str
    show: bool = True
    palette: str | None = None
    view: bool = True
    replay_refuses: str | None = None
    key_display: str | None = None

    @property
    def name(self) -> str:
        """The action's name without its arguments (``step(1)`` → ``step``)."""
        return action_name(self.action)

    @property
    def shown_key(self) -> str:
        """The key as the palette writes it (``]`` for right_square_bracket)."""
        return self.key_display or self.key

    def binding(self) -> Binding:
        """The Textual binding of this row."""
        return Binding(
            self.key,
            self.action,
            self.label,
            show=self.show,
            key_display=self.key_display,
            tooltip=self.tip,
        )


def action_name(action: str) -> str:
    """An action's name without its arguments (``select_mode(None)`` → ``select_mode``)."""
    return action.split("(")[0]


SELECT_TIP = "in select mode: move the selected entry"
MATRIX_TIP = "scroll the matrices by a column or a row"
PAGE_TIP = "page the matrices' columns right or left"

# In the bindings' order: the footer shows the shown keys in it, the help screen lists the rows
# in it, and where two rows share a key the first one that is on wins.
KEYS: tuple[Key, ...] = (
    Key("s", "step(1)", "Step", "next op of this example's pass", palette="Step to the next op"),
    Key("S", "step(-1)", "Back", "previous op", show=False, palette="Step back one op"),
    Key("n", "layer(1)", "Layer", "first op of the next layer", palette="Go to the next layer"),
    Key(
        "N",
        "layer(-1)",
        "Layer back",
        "of this or the previous one",
        show=False,
        palette="Go back a layer",
    ),
    Key(
        "r",
        "phase(True)",
        "Phase",
        "finish the phase (forward, backward…)",
        palette="Finish the phase",
    ),
    Key("R", "phase(False)", "Rewind", "rewind it", show=False, palette="Rewind the phase"),
    Key(
        "right_square_bracket",
        "example(1)",
        "Example",
        "next example, computed at the current weights",
        palette="Open the next example",
        key_display="]",
    ),
    Key(
        "left_square_bracket",
        "example(-1)",
        "Prev example",
        "previous",
        show=False,
        palette="Go to the previous example",
        key_display="[",
    ),
    Key(
        "g",
        "edge(False)",
        "First",
        "first recorded step",
        show=False,
        palette="Go to the first recorded step",
    ),
    Key(
        "G",
        "edge(True)",
        "Last",
        "last recorded step",
        show=False,
        palette="Go to the last recorded step",
    ),
    Key(
        "greater_than_sign",
        "scrub(1)",
        "Next epoch",
        "next epoch step (over the passes between)",
        show=False,
        palette="Go to the next epoch step",
        key_display=">",
    ),
    Key(
        "less_than_sign",
        "scrub(-1)",
        "Prev epoch",
        "previous",
        show=False,
        palette="Go to the previous epoch step",
        key_display="<",
    ),
    Key(
        "k",
        "select_mode(None)",
        "Card",
        "an entry's card, worked out",
        palette="Select an entry: its hand calculation or chain rule",
    ),
    # In select mode the arrows move the selected gradient entry (these come first; off
    # otherwise, so the same keys fall through to the timeline and the scrolling below).
    Key("up", "select(-1, 0)", "Select ↑", SELECT_TIP, show=False),
    Key("down", "select(1, 0)", "Select ↓", SELECT_TIP, show=False),
    Key("left", "select(0, -1)", "Select ←", SELECT_TIP, show=False),
    Key("right", "select(0, 1)", "Select →", SELECT_TIP, show=False),
    Key("escape", "select_mode(False)", "Leave select", "leave select mode", show=False),
    Key("left", "move(-1)", "Timeline back", "timeline back", show=False, key_display="←"),
    Key(
        "right",
        "move(1)",
        "Timeline on",
        "forward (over example passes and epochs)",
        show=False,
        key_display="→",
    ),
    Key(
        "e",
        "epoch",
        "Epoch",
        "run one full-batch epoch",
        palette="Run one epoch",
        replay_refuses="runs a new epoch",
    ),
    Key(
        "c",
        "hit(True)",
        "Continue",
        "run epochs to a breakpoint",
        palette="Continue to a breakpoint",
    ),
    Key(
        "C",
        "hit(False)",
        "Prev hit",
        "back to the previous hit",
        show=False,
        palette="Go back to the previous hit",
    ),
    Key(
        "b",
        "breakpoints(True)",
        "Break",
        "add a breakpoint (typed)",
        show=False,
        palette="Add a breakpoint…",
    ),
    Key(
        "B",
        "breakpoints(False)",
        "Breakpoints",
        "list: on / off, delete",
        show=False,
        palette="List breakpoints",
    ),
    Key(
        "w",
        "watches(True)",
        "Watch",
        "add a watch expression",
        show=False,
        palette="Add a watch…",
    ),
    Key(
        "W",
        "watches(False)",
        "Watches",
        "list and remove watches",
        show=False,
        palette="List or remove watches",
    ),
    Key(
        "colon",
        "goto",
        "Go to",
        "go to an address, an example or an epoch",
        show=False,
        palette="Go to an address, example or epoch…",
        key_display=":",
    ),
    Key(
        "m",
        "misclassified",
        "Misclassified",
        "next misclassified example",
        show=False,
        palette="Go to the next misclassified example",
        replay_refuses="searches the training set at the current weights",
    ),
    Key(
        "v",
        "verify",
        "Verify",
        "check this layer's gradients",
        show=False,
        palette="Verify gradients numerically",
    ),
    Key(
        "o",
        "overlay",
        "Slopes",
        "overlay: colour neurons by their slope f′(Z)",
        show=False,
        palette="Toggle the local-slope overlay",
    ),
    Key(
        "i",
        "input_gradient",
        "Pixels",
        "which pixels move the guess: dC/dx",
        show=False,
        palette="Show which pixels move the guess",
    ),
    Key(
        "d",
        "draw",
        "Draw",
        "draw your own digit; Enter steps it",
        show=False,
        palette="Draw a digit of your own",
        replay_refuses="computes a new pass at the current weights",
    ),
    Key(
        "f",
        "fork",
        "Fork",
        "fork the run here with another α; both train on",
        show=False,
        palette="Fork the run here with another α…",
        replay_refuses="starts a second run",
    ),
    Key(
        "x",
        "export",
        "Export",
        "write what is shown as a PNG (heatmap or card)",
        show=False,
        palette="Export what is shown",
    ),
    Key(
        "space",
        "play",
        "Play",
        "play / pause full-batch epochs",
        palette="Play or pause epochs",
        replay_refuses="plays new epochs",
    ),
    Key("escape", "stop", "Stop", "stop running epochs", show=False, palette="Stop the epochs"),
    Key("up", "scroll_numbers(-1)", "Scroll up", "scroll the numbers", show=False),
    Key("down", "scroll_numbers(1)", "Scroll down", "scroll the numbers", show=False),
    Key("pageup", "page_numbers(-1)", "Page up", "page the numbers", show=False),
    Key("pagedown", "page_numbers(1)", "Page down", "page the numbers", show=False),
    Key(
        "shift+right",
        "scroll_matrix(0, 1)",
        "Columns →",
        MATRIX_TIP,
        show=False,
        key_display="⇧→",
    ),
    Key(
        "shift+left",
        "scroll_matrix(0, -1)",
        "Columns ←",
        MATRIX_TIP,
        show=False,
        key_display="⇧←",
    ),
    Key("shift+down", "scroll_matrix(1, 0)", "Rows ↓", MATRIX_TIP, show=False, key_display="⇧↓"),
    Key("shift+up", "scroll_matrix(-1, 0)", "Rows ↑", MATRIX_TIP, show=False, key_display="⇧↑"),
    Key(
        "right_curly_bracket",
        "page_matrix(1)",
        "Page columns →",
        PAGE_TIP,
        show=False,
        key_display="}",
    ),
    Key(
        "left_curly_bracket",
        "page_matrix(-1)",
        "Page columns ←",
        PAGE_TIP,
        show=False,
        key_display="{",
    ),
    Key(
        "question_mark",
        "help",
        "Help",
        "this help",
        palette="Show the help",
        view=False,
        key_display="?",
    ),
    Key("q", "quit", "Quit", "quit (the trace is closed cleanly)", view=False),
)

BINDINGS: list[Binding] = [key.binding() for key in KEYS]
# Actions that change what is shown: off while a help or question screen is on top.
VIEW_ACTIONS = frozenset(key.name for key in KEYS if key.view)
# Actions that move the cursor or compute on: a lesson's waiting question refuses them, or
# the value asked about would show before the learner answers.
MOVES = frozenset(
    {"step", "layer", "phase", "example", "edge", "move", "scrub", "epoch", "play", "goto", "hit",
     "misclassified", "draw", "fork", "export"}
)  # fmt: skip
# What a replay says instead of computing, by action name.
REPLAY_REFUSES = {key.name: key.replay_refuses for key in KEYS if key.replay_refuses}
# The palette's key commands, in the table's order: (name, action, key as written).
PALETTE = [(key.palette, key.action, key.shown_key) for key in KEYS if key.palette]
# How the numbers view writes its matrix-scrolling keys ("⇧←→↑↓ scroll"), from their rows.
_ARROWS = [key.shown_key.removeprefix("⇧") for key in KEYS if key.name == "scroll_matrix"]
MATRIX_KEYS = "⇧" + "".join(sorted(_ARROWS, key="←→↑↓".index)) + " scroll"

# A lesson's own keys (netviz lesson): on top of the tour's, in the lesson app only.
LESSON_KEYS: tuple[Key, ...] = (
    Key("l", "lesson(1)", "Next stop", "the lesson's next stop", palette="Go to the next stop"),
    Key("L", "lesson(-1)", "Stop back", "the lesson's previous stop", show=False),
    Key("a", "answer", "Answer", "type your answer to the stop's question", palette="Answer"),
)
LESSON_BINDINGS: list[Binding] = [key.binding() for key in LESSON_KEYS]
