"""The tour's keys in one place: every binding with its description and tooltip (the footer, the
help screen and the palette read them from here), which actions a replay refuses, and which
change what is shown (off while a dialog is on top)."""

from __future__ import annotations

from textual.binding import Binding, BindingType

SELECT_TIP = "in select mode: move the selected entry"
REPLAY_REFUSES = {  # what a replay says instead of computing
    "epoch": "runs a new epoch",
    "play": "plays new epochs",
    "misclassified": "searches the training set at the current weights",
}
# Actions that change what is shown: off while a help or question screen is on top.
VIEW_ACTIONS = set(
    "step layer phase example edge move epoch play stop scroll_numbers page_numbers hit "
    "scroll_matrix page_matrix "
    "breakpoints watches goto misclassified verify select select_mode overlay scrub export".split()
)

KEYS: list[BindingType] = [
    Binding("s", "step(1)", "Step", tooltip="next op of this example's pass"),
    Binding("S", "step(-1)", "Back", show=False, tooltip="previous op"),
    Binding("n", "layer(1)", "Layer", tooltip="first op of the next layer"),
    Binding("N", "layer(-1)", "Layer back", show=False, tooltip="of this or the previous one"),
    Binding("r", "phase(True)", "Phase", tooltip="finish the phase (forward, backward…)"),
    Binding("R", "phase(False)", "Rewind", show=False, tooltip="rewind it"),
    Binding(
        "right_square_bracket",
        "example(1)",
        "Example",
        key_display="]",
        tooltip="next example, computed at the current weights",
    ),
    Binding(
        "left_square_bracket",
        "example(-1)",
        "Prev example",
        show=False,
        key_display="[",
        tooltip="previous",
    ),
    Binding("g", "edge(False)", "First", show=False, tooltip="first recorded step"),
    Binding("G", "edge(True)", "Last", show=False, tooltip="last recorded step"),
    Binding(
        "greater_than_sign",
        "scrub(1)",
        "Next epoch",
        show=False,
        key_display=">",
        tooltip="next epoch step (over the passes between)",
    ),
    Binding(
        "less_than_sign",
        "scrub(-1)",
        "Prev epoch",
        show=False,
        key_display="<",
        tooltip="previous",
    ),
    Binding(
        "k",
        "select_mode(None)",
        "Chain rule",
        tooltip="chain-rule card of a gradient entry",
    ),
    # In select mode the arrows move the selected gradient entry (these come first; off
    # otherwise, so the same keys fall through to the timeline and the scrolling below).
    Binding("up", "select(-1, 0)", "Select ↑", show=False, tooltip=SELECT_TIP),
    Binding("down", "select(1, 0)", "Select ↓", show=False, tooltip=SELECT_TIP),
    Binding("left", "select(0, -1)", "Select ←", show=False, tooltip=SELECT_TIP),
    Binding("right", "select(0, 1)", "Select →", show=False, tooltip=SELECT_TIP),
    Binding(
        "escape", "select_mode(False)", "Leave select", show=False, tooltip="leave select mode"
    ),
    Binding(
        "left",
        "move(-1)",
        "Timeline back",
        show=False,
        key_display="←",
        tooltip="timeline back",
    ),
    Binding(
        "right",
        "move(1)",
        "Timeline on",
        show=False,
        key_display="→",
        tooltip="forward (over example passes and epochs)",
    ),
    Binding("e", "epoch", "Epoch", tooltip="run one full-batch epoch"),
    Binding("c", "hit(True)", "Continue", tooltip="run epochs to a breakpoint"),
    Binding("C", "hit(False)", "Prev hit", show=False, tooltip="back to the previous hit"),
    Binding(
        "b",
        "breakpoints(True)",
        "Break",
        show=False,
        tooltip="add a breakpoint (typed)",
    ),
    Binding(
        "B",
        "breakpoints(False)",
        "Breakpoints",
        show=False,
        tooltip="list: on / off, delete",
    ),
    Binding("w", "watches(True)", "Watch", show=False, tooltip="add a watch expression"),
    Binding("W", "watches(False)", "Watches", show=False, tooltip="list and remove watches"),
    Binding(
        "colon",
        "goto",
        "Go to",
        show=False,
        key_display=":",
        tooltip="go to an address, an example or an epoch",
    ),
    Binding(
        "m", "misclassified", "Misclassified", show=False, tooltip="next misclassified example"
    ),
    Binding("v", "verify", "Verify", show=False, tooltip="check this layer's gradients"),
    Binding(
        "o",
        "overlay",
        "Slopes",
        show=False,
        tooltip="overlay: colour neurons by their slope f′(Z)",
    ),
    Binding(
        "x",
        "export",
        "Export",
        show=False,
        tooltip="write what is shown as a PNG (heatmap or card)",
    ),
    Binding("space", "play", "Play", tooltip="play / pause full-batch epochs"),
    Binding("escape", "stop", "Stop", show=False, tooltip="stop running epochs"),
    Binding("up", "scroll_numbers(-1)", "Scroll up", show=False, tooltip="scroll the numbers"),
    Binding("down", "scroll_numbers(1)", "Scroll down", show=False, tooltip="scroll the numbers"),
    Binding("pageup", "page_numbers(-1)", "Page up", show=False, tooltip="page the numbers"),
    Binding("pagedown", "page_numbers(1)", "Page down", show=False, tooltip="page the numbers"),
    Binding(
        "shift+right",
        "scroll_matrix(0, 1)",
        "Columns →",
        show=False,
        key_display="⇧→",
        tooltip="scroll the matrices by a column or a row",
    ),
    Binding(
        "shift+left",
        "scroll_matrix(0, -1)",
        "Columns ←",
        show=False,
        key_display="⇧←",
        tooltip="scroll the matrices by a column or a row",
    ),
    Binding(
        "shift+down",
        "scroll_matrix(1, 0)",
        "Rows ↓",
        show=False,
        key_display="⇧↓",
        tooltip="scroll the matrices by a column or a row",
    ),
    Binding(
        "shift+up",
        "scroll_matrix(-1, 0)",
        "Rows ↑",
        show=False,
        key_display="⇧↑",
        tooltip="scroll the matrices by a column or a row",
    ),
    Binding(
        "right_curly_bracket",
        "page_matrix(1)",
        "Page columns →",
        show=False,
        key_display="}",
        tooltip="page the matrices' columns right or left",
    ),
    Binding(
        "left_curly_bracket",
        "page_matrix(-1)",
        "Page columns ←",
        show=False,
        key_display="{",
        tooltip="page the matrices' columns right or left",
    ),
    Binding("question_mark", "help", "Help", key_display="?", tooltip="this help"),
    Binding("q", "quit", "Quit", tooltip="quit (the trace is closed cleanly)"),
]
