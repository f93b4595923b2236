"""``netviz export``: every figure draws the trace's own numbers, on a scale centred on zero, into
files of the format and size asked for; bad arguments get one line and exit status 2."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from helpers import run_cli
from PIL import Image

from netviz.core.presets import PRESETS
from netviz.errors import NetvizError
from netviz.export import view
from netviz.export.animation import epoch_span, print_progress, write_animation
from netviz.export.card import card_at, card_markdown, write_card
from netviz.export.figures import (
    DPI,
    TILE_SIZE,
    Curve,
    curves_figure,
    images_of,
    layer_figure,
    matrix_size,
)
from netviz.export.gather import curves_figure as trace_curves
from netviz.export.gather import heatmap_figure, shown_at
from netviz.export.gif import nearest, write_gif
from netviz.session.live import Session
from netviz.trace import TraceReader
from netviz.training.recording import RecordOptions
from netviz.training.run import RunSpec

EPOCHS, ALPHA, EXAMPLE = 6, 0.8, 3
PASS = f"e{EPOCHS}/x{EXAMPLE}"  # the recorded example pass, at the weights after 6 epochs


@pytest.fixture(scope="module")
def recorded(trace_maker):
    """6 full-batch epochs of the seed network on 300 sample digits, then example 3's pass."""
    return trace_maker(epochs=EPOCHS, example=EXAMPLE, alpha=ALPHA)


@pytest.fixture(scope="module")
def reader(recorded):
    with TraceReader(recorded.path) as r:
        yield r


@pytest.fixture(scope="module")
def minimal(trace_maker) -> Path:
    """A trace recorded with --record minimal: metrics and weights, no ΣdW."""
    return trace_maker(epochs=3, options=RecordOptions("minimal")).path


@pytest.fixture(scope="module")
def fresh(tmp_path_factory) -> Path:
    """A session's trace before any epoch: example 0's pass at the initial weights only."""
    path = tmp_path_factory.mktemp("fresh") / "fresh.nvtrace"
    Session(RunSpec(PRESETS["seed"], train_size=300, test_size=100), trace=path).close()
    return path


@pytest.fixture(scope="module")
def no_update(tmp_path_factory) -> Path:
    """Example 0's pass at the initial weights, recorded without α: it ends before any update."""
    from netviz.core.steps import example_ops
    from netviz.training.recording import Recorder
    from netviz.training.run import prepare

    path = tmp_path_factory.mktemp("no-update") / "plain.nvtrace"
    run = prepare(RunSpec(PRESETS["seed"], train_size=300, test_size=100))
    label = int(run.y[0])
    with Recorder(path, run) as recorder:
        ops = example_ops(run.params, run.X[:, 0], label, run.hidden)
        recorder.example_pass(0, 0, ops, run.train.images[0], label)
    return path


@pytest.fixture(scope="module")
def finished(tmp_path_factory) -> Path:
    """`netviz train --epochs 4` on 300 sample digits: a trace that ends with final figures."""
    from netviz.commands.cli import main

    path = tmp_path_factory.mktemp("finished") / "finished.nvtrace"
    argv = ["--epochs", "4", "--train-size", "300", "--test-size", "100", "--trace", str(path)]
    assert main(["train", *argv]) == 0
    return path


def op(recorded, address: str):
    """The recorded Op at ``address`` within the pass (``bwd/L2/dW``)."""
    return next(o for o in recorded.ops if o.address == address)


def tiles(fig) -> list[np.ndarray]:
    return [np.asarray(im.get_array()) for im in images_of(fig)]


def assert_centred(fig, limit: float) -> None:
    for im in images_of(fig):
        assert im.norm.vmin == -im.norm.vmax == pytest.approx(-limit, rel=1e-12)


# --- heatmaps: what is drawn -----------------------------------------------------------------


def test_layer1_epoch_gradient_is_drawn_as_16_tiles_of_each_neurons_sum_over_m(recorded, reader):
    shown = shown_at(reader, epoch=4, layer=1, what="grad")
    fig = heatmap_figure(reader, shown)
    stored = reader.tensors("e4")["dW1"] / recorded.results[3].grads.m
    drawn = tiles(fig)
    assert len(drawn) == 16
    for i, tile in enumerate(drawn):
        np.testing.assert_array_equal(tile, stored[i].reshape(28, 28))
    assert_centred(fig, np.abs(stored).max())
    assert "∂C/∂W1 = ΣdW1/m in epoch 4, at the weights it started from" in fig.get_suptitle()
    assert "e4" in fig.get_suptitle() and "layer 1 (16×784)" in fig.get_suptitle()


def test_epoch_weights_are_the_weights_training_reached_bit_for_bit(recorded, reader):
    shown = shown_at(reader, at="e5", layer=2, what="weight")
    (matrix,) = tiles(heatmap_figure(reader, shown))
    np.testing.assert_array_equal(matrix, recorded.results[4].params.W[1])
    np.testing.assert_array_equal(matrix, reader.weights(5).W[1])


def test_epoch_update_is_minus_alpha_sum_over_m_and_is_the_change_in_the_weights(recorded, reader):
    shown = shown_at(reader, epoch=5, layer=3, what="update")
    (matrix,) = tiles(heatmap_figure(reader, shown))
    m = recorded.results[4].grads.m
    np.testing.assert_array_equal(matrix, -ALPHA * (reader.tensors("e5")["dW3"] / m))
    change = recorded.results[4].params.W[2] - recorded.results[3].params.W[2]
    np.testing.assert_allclose(matrix, change, rtol=0, atol=1e-15)


def test_epoch_0_weights_are_the_initial_ones(recorded, reader):
    shown = shown_at(reader, epoch=0, what="weight")
    assert shown.address == "e0" and "initialisation" in shown.label
    np.testing.assert_array_equal(shown.values, recorded.run.params.W[0])


def test_without_at_or_epoch_the_last_epoch_is_shown(reader):
    assert shown_at(reader).address == f"e{EPOCHS}"


@pytest.mark.parametrize(
    ("what", "expected"),
    [
        ("weight", lambda o: o("fwd/L2/Z").inputs["W2"]),
        ("grad", lambda o: o("bwd/L2/dW").outputs["dW2"]),
        ("update", lambda o: -ALPHA * o("bwd/L2/dW").outputs["dW2"]),
    ],
    ids=["weight", "grad", "update"],
)
def test_an_op_address_shows_that_example_pass(recorded, reader, what, expected):
    shown = shown_at(reader, at=f"{PASS}/bwd/L1/dZ", layer=2, what=what)
    (matrix,) = tiles(heatmap_figure(reader, shown))
    np.testing.assert_array_equal(matrix, expected(lambda a: op(recorded, a)))
    assert shown.address == f"{PASS}/bwd/L1/dZ"


def test_without_a_layer_an_op_address_shows_the_ops_own_layer(recorded, reader):
    shown = shown_at(reader, at=f"{PASS}/bwd/L2/dW", layer=None, what="grad")
    assert shown.layer == 2
    np.testing.assert_array_equal(shown.values, op(recorded, "bwd/L2/dW").outputs["dW2"])


def test_at_an_update_op_the_weights_are_its_one_example_step_not_applied(recorded, reader):
    before = shown_at(reader, at=f"{PASS}/bwd/L1/db", layer=1, what="weight")
    after = shown_at(reader, at=f"{PASS}/upd/L1/W", layer=1, what="weight")
    np.testing.assert_array_equal(before.values, op(recorded, "fwd/L1/Z").inputs["W1"])
    np.testing.assert_array_equal(after.values, op(recorded, "upd/L1/W").outputs["W1′"])
    assert before.label.startswith("W1 used by example 3's pass")
    assert after.label.startswith("W1′ = W1 − α·dW1: one step on example 3 alone (not applied)")


def test_an_all_zero_matrix_is_drawn_white_on_a_nonempty_scale():
    fig = layer_figure(np.zeros((16, 784)), 1, "zeros")
    assert_centred(fig, 1.0)
    fig.canvas.draw()  # no warning, no error


def test_a_matrix_figure_labels_rows_and_columns_with_neuron_numbers(reader):
    fig = heatmap_figure(reader, shown_at(reader, epoch=2, layer=3, what="weight"))
    ax = images_of(fig)[0].axes
    assert [t.get_text() for t in ax.get_xticklabels()] == [str(i) for i in range(16)]
    assert [t.get_text() for t in ax.get_yticklabels()] == [str(i) for i in range(10)]
    assert ax.get_xlabel() == "neuron of layer 2 (input)"
    assert ax.get_ylabel() == "neuron of layer 3 (the digit)"


# --- heatmaps: files ---------------------------------------------------------------------------


def test_default_heatmap_file_is_named_by_run_address_layer_and_what(
    capsys, monkeypatch, recorded, tmp_path
):
    monkeypatch.chdir(tmp_path)
    status, out, err = run_cli(
        capsys, "export", "heatmap", str(recorded.path), "--at", f"{PASS}/bwd/L2/dW"
    )
    name = f"seed_{PASS.replace('/', '-')}-bwd-L2-dW_L2_grad.png"  # the op's own layer
    assert (status, out, err) == (0, f"{name}\n", "")
    with Image.open(tmp_path / name) as image:
        assert image.format == "PNG"
        assert image.size[0] > 0 and image.size[1] > 0
    status, out, err = run_cli(
        capsys, "export", "heatmap", str(recorded.path), "--at", f"{PASS}/bwd/L2/dW",
        "--layer", "1",
    )  # fmt: skip
    name = f"seed_{PASS.replace('/', '-')}-bwd-L2-dW_L1_grad.png"
    assert (status, out, err) == (0, f"{name}\n", "")
    with Image.open(tmp_path / name) as image:
        assert image.size == (round(TILE_SIZE[0] * DPI), round(TILE_SIZE[1] * DPI))


@pytest.mark.parametrize(
    ("suffix", "magic"), [(".svg", b"<?xml"), (".pdf", b"%PDF")], ids=["svg", "pdf"]
)
def test_heatmap_writes_the_format_its_suffix_names(capsys, recorded, tmp_path, suffix, magic):
    out = tmp_path / f"w{suffix}"
    status, stdout, _ = run_cli(
        capsys, "export", "heatmap", str(recorded.path), "--epoch", "2", "--layer", "2",
        "--what", "weight", "-o", str(out),
    )  # fmt: skip
    assert status == 0 and stdout == f"{out}\n"
    data = out.read_bytes()
    assert data.startswith(magic)
    if suffix == ".svg":
        assert b"<svg" in data


def test_a_matrix_png_is_as_large_as_its_figure_size(capsys, recorded, tmp_path):
    out = tmp_path / "w3.png"
    run_cli(capsys, "export", "heatmap", str(recorded.path), "--layer", "3", "-o", str(out))
    width, height = matrix_size(np.zeros((10, 16)))
    with Image.open(out) as image:
        assert image.size == (round(width * DPI), round(height * DPI))


def test_a_failed_write_leaves_no_file_behind(capsys, monkeypatch, recorded, tmp_path):
    from matplotlib.figure import Figure

    def full_disk(self, *args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Figure, "savefig", full_disk)
    out = tmp_path / "w.png"
    status, _, err = run_cli(capsys, "export", "heatmap", str(recorded.path), "-o", str(out))
    assert status == 2 and "cannot write (No space left on device)" in err
    assert list(tmp_path.iterdir()) == []


# --- animation --------------------------------------------------------------------------------


def test_animation_frames_are_each_epochs_weights_on_one_fixed_scale(recorded, reader, tmp_path):
    seen = []

    def on_frame(fig, epoch):
        seen.append((epoch, tiles(fig), [(im.norm.vmin, im.norm.vmax) for im in images_of(fig)]))

    span = epoch_span(reader, "weight", "0:4")
    count = write_animation(reader, "weight", 1, span, tmp_path / "w.gif", on_frame=on_frame)
    assert count == 5 and [e for e, _, _ in seen] == [0, 1, 2, 3, 4]
    weights = [recorded.run.params.W[0]] + [r.params.W[0] for r in recorded.results[:4]]
    for (_, drawn, _), W in zip(seen, weights, strict=True):
        for i, tile in enumerate(drawn):
            np.testing.assert_array_equal(tile, W[i].reshape(28, 28))
    limit = max(np.abs(W).max() for W in weights)
    assert {norm for _, _, norms in seen for norm in norms} == {(-limit, limit)}
    with Image.open(tmp_path / "w.gif") as gif:
        assert gif.format == "GIF" and gif.n_frames == 5
        assert gif.size == (640, 704)


def test_gradient_animation_from_the_command_line_has_a_frame_per_epoch(capsys, recorded, tmp_path):
    out = tmp_path / "g.gif"
    status, stdout, err = run_cli(
        capsys, "export", "animation", str(recorded.path), "--what", "grad", "--layer", "2",
        "--epochs", "2:4", "-o", str(out),
    )  # fmt: skip
    assert (status, stdout, err) == (0, f"{out}\n", "")  # no progress when stderr is no terminal
    with Image.open(out) as gif:
        assert gif.n_frames == 3


@pytest.mark.parametrize(
    ("text", "what", "expected"),
    [(None, "weight", range(0, 7)), (None, "grad", range(1, 7)), ("3:", "grad", range(3, 7)),
     (":2", "weight", range(0, 3)), ("5", "grad", range(5, 6))],
    ids=["all-weights", "all-grads", "from", "to", "one"],
)  # fmt: skip
def test_epoch_spans(reader, text, what, expected):
    assert epoch_span(reader, what, text) == expected


def test_progress_rewrites_one_line_on_a_terminal(monkeypatch):
    class Terminal(io.StringIO):
        def isatty(self):
            return True

    stderr = Terminal()
    monkeypatch.setattr(sys, "stderr", stderr)
    for i in range(1, 4):
        print_progress(i, 3)
    assert stderr.getvalue() == "\rframe 1/3\rframe 2/3\rframe 3/3\n"


def test_gif_frames_keep_exact_palette_colours(tmp_path):
    colours = bytes(range(256)) * 3  # 256 distinct colours: entry i is (3i, 3i+1, 3i+2) mod 256
    table = np.frombuffer(colours, np.uint8).reshape(-1, 3).astype(np.int32)
    index = np.random.default_rng(0).integers(0, 256, size=(4, 5))
    frame = table[index].astype(np.uint8)
    np.testing.assert_array_equal(nearest(frame, table), index)
    with open(tmp_path / "f.gif", "wb") as f:
        assert write_gif(f, [frame, frame[::-1]], [100, 300], colours) == 2
    with Image.open(tmp_path / "f.gif") as gif:
        np.testing.assert_array_equal(np.asarray(gif.convert("RGB")), frame)
        gif.seek(1)
        assert gif.info["duration"] == 300


# --- curves ------------------------------------------------------------------------------------


def test_curves_plot_the_metrics_of_every_run_on_shared_axes(recorded, minimal):
    with TraceReader(recorded.path) as a, TraceReader(minimal) as b:
        fig = trace_curves([a, b])
        frames = [a.metrics(), b.metrics()]
    cost_ax, acc_ax = fig.axes
    for line, frame in zip(cost_ax.get_lines(), frames, strict=True):
        # epoch e's row is at the weights it started from: after e − 1 epochs of training
        np.testing.assert_array_equal(line.get_xdata(), frame.index - 1)
        np.testing.assert_array_equal(line.get_ydata(), frame["cost"])
    assert cost_ax.get_xlabel() == acc_ax.get_xlabel() == "epochs trained (0: the first weights)"
    assert "each epoch's measured at the weights it started from" in fig.get_suptitle()
    # Both files are seed.nvtrace, so each run is named with its folder too.
    names = [f"{p.parent.name}/seed" for p in (recorded.path, minimal)]
    assert [t.get_text() for t in cost_ax.get_legend().get_texts()] == names
    lines = {line.get_label(): line.get_ydata() for line in acc_ax.get_lines()}
    np.testing.assert_array_equal(lines[f"{names[0]} train"], frames[0]["train_accuracy"])
    np.testing.assert_array_equal(lines[f"{names[0]} test"], frames[0]["test_accuracy"])


def test_curves_end_with_the_final_weights_figures_after_the_last_epoch(finished):
    with TraceReader(finished) as reader:
        fig = trace_curves([reader])
        final, frame = reader.final(), reader.metrics()
    cost_ax, acc_ax = fig.axes
    points = {
        line.get_label(): (list(line.get_xdata()), list(line.get_ydata()))
        for ax in (cost_ax, acc_ax)
        for line in ax.get_lines()
    }
    assert points["finished final weights"] == ([4], [final.cost])
    assert points["finished train, final weights"] == ([4], [final.train_accuracy])
    assert points["finished test, final weights"] == ([4], [final.test_accuracy])
    # one step after the last epoch's row, which is at the weights after 3 epochs
    assert points["finished"] == (list(frame.index - 1), list(frame["cost"]))
    assert points["finished"][0][-1] == 3 and "◆" in fig.get_suptitle()


def test_a_run_without_test_set_draws_no_test_line():
    epochs = np.arange(1, 4)
    run = Curve("solo", epochs, np.ones(3), np.full(3, 0.5), np.full(3, np.nan))
    fig = curves_figure([run], "t")
    assert [line.get_label() for line in fig.axes[1].get_lines()] == ["solo train"]


def test_curves_from_the_command_line(capsys, recorded, minimal, tmp_path):
    out = tmp_path / "cost.png"
    status, stdout, _ = run_cli(
        capsys, "export", "curves", str(recorded.path), "--compare", str(minimal), "-o", str(out)
    )
    assert status == 0 and stdout == f"{out}\n"
    with Image.open(out) as image:
        assert image.format == "PNG" and image.size == (1200, 480)


# --- step cards --------------------------------------------------------------------------------


def test_an_op_card_shows_the_equation_numbers_and_its_layers_w_dw_update_and_digit(
    recorded, reader
):
    card = card_at(reader, f"{PASS}/bwd/L2/dW")
    dW = op(recorded, "bwd/L2/dW")
    assert card.equation == "dW2 = dZ2·A1ᵀ" and card.shapes == "(16, 16) = (16, 1)·(16, 1)ᵀ"
    assert [(n, role) for n, role, _ in card.arrays] == [
        ("dZ2", "input"), ("A1", "input"), ("dW2", "output"),
    ]  # fmt: skip
    np.testing.assert_array_equal(card.arrays[2][2], dW.outputs["dW2"])
    W, grad, change = (p.matrix for p in card.rows[0])
    np.testing.assert_array_equal(W, op(recorded, "fwd/L2/Z").inputs["W2"])
    np.testing.assert_array_equal(grad, dW.outputs["dW2"])
    np.testing.assert_array_equal(change, -ALPHA * dW.outputs["dW2"])
    pixels, caption = card.digit
    np.testing.assert_array_equal(pixels, op(recorded, "fwd/L1/Z").inputs["x"])
    label = int(recorded.run.y[EXAMPLE])
    assert caption == f"x: example {EXAMPLE}, label {label}"


def test_an_epoch_card_has_a_row_per_layer_from_the_weights_before_it(recorded, reader):
    card = card_at(reader, "e3")
    assert len(card.rows) == 3 and "m = 300" in card.facts
    m = recorded.results[2].grads.m
    for l, (W, grad, change) in enumerate(card.rows, start=1):
        np.testing.assert_array_equal(W.matrix, recorded.results[1].params.W[l - 1])
        np.testing.assert_array_equal(grad.matrix, reader.tensors("e3")[f"dW{l}"] / m)
        np.testing.assert_array_equal(change.matrix, -ALPHA * grad.matrix)


def test_an_epoch_card_says_its_figures_are_before_the_update(recorded, reader):
    (note,) = card_at(reader, "e3").notes  # this trace holds no final figures
    start = recorded.results[2]  # measured at the weights after epoch 2
    assert note == (
        "before the update (the weights epoch 3 started from): "
        f"cost {start.cost:.4f}, train accuracy {100 * start.train_accuracy:.2f} %, "
        f"test accuracy {100 * start.test_accuracy:.2f} %"
    )


def test_the_last_epochs_card_adds_the_final_weights_figures(finished, tmp_path):
    with TraceReader(finished) as reader:
        last, earlier, final = card_at(reader, "e4"), card_at(reader, "e3"), reader.final()
        text = write_card(reader, last, tmp_path / "card.md")[0].read_text()
    assert len(earlier.notes) == 1 and last.notes[0].startswith("before the update")
    assert last.notes[1] == (
        "after the update (the run's final weights): "
        f"cost {final.cost:.4f}, train accuracy {100 * final.train_accuracy:.2f} %, "
        f"test accuracy {100 * final.test_accuracy:.2f} %"
    )
    assert f"- {last.notes[1]}" in text


def test_a_markdown_card_has_its_table_and_a_png_beside_it(capsys, recorded, tmp_path):
    out = tmp_path / "card.md"
    status, stdout, _ = run_cli(
        capsys, "export", "card", str(recorded.path), "--at", f"{PASS}/cost", "-o", str(out)
    )
    assert status == 0 and stdout == f"{out}\n{tmp_path / 'card.png'}\n"
    text = out.read_text()
    assert f"# `{PASS}/cost`" in text and "cost = −Σ_k y_k·log ŷ_k" in text
    assert "| ŷ | input | (10, 1) |" in text and "| cost | output | scalar |" in text
    assert "![heatmaps of" in text and "(card.png)" in text
    with Image.open(tmp_path / "card.png") as image:
        assert image.format == "PNG"


def test_markdown_cells_escape_pipes(reader):
    card = card_at(reader, f"{PASS}/bwd/L1/db")
    odd = type(card)(**{**card.__dict__, "arrays": [("a|b", "input", np.zeros(2))]})
    assert "| a\\|b | input |" in card_markdown(odd, "run", "x.png")


def test_a_png_card_draws_w_dw_and_update_tiles_for_layer_1(reader, tmp_path):
    card = card_at(reader, f"{PASS}/bwd/L1/dW")
    (path,) = write_card(reader, card, tmp_path / "c.png")
    with Image.open(path) as image:
        assert image.format == "PNG"


# --- the terminal app's x key ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("address", "name", "expected"),
    [
        ("e2", "seed_e2_L1_grad.png", lambda r, rd: rd.tensors("e2")["dW1"] / 300),
        (f"{PASS}/bwd/L3/dW", "L3_grad.png", lambda r, rd: op(r, "bwd/L3/dW").outputs["dW3"]),
        (f"{PASS}/upd/L2/W", "L2_weight.png", lambda r, rd: op(r, "upd/L2/W").outputs["W2′"]),
        (f"{PASS}/fwd/L2/A", "fwd-L2-A_card.png", None),
    ],
    ids=["epoch", "dW-op", "update-op", "other-op"],
)
def test_view_exports_what_the_inspector_shows(
    monkeypatch, recorded, reader, tmp_path, address, name, expected
):
    from netviz.export import figures

    drawn = []
    real = figures.save
    monkeypatch.setattr(figures, "save", lambda fig, path: drawn.append(fig) or real(fig, path))
    path = view(reader, address, tmp_path)
    assert path.parent == tmp_path and path.name.endswith(name) and path.is_file()
    if expected is not None:
        want = expected(recorded, reader)
        got = tiles(drawn[0])
        got = got[0] if len(got) == 1 else np.stack([t.reshape(-1) for t in got])
        np.testing.assert_array_equal(got, want)


def test_view_of_an_epoch_without_sums_exports_its_weights(minimal, tmp_path):
    with TraceReader(minimal) as reader:
        path = view(reader, "e2", tmp_path)
        assert path.name == "seed_e2_L1_weight.png"


def test_a_pass_without_update_has_no_update_panel_and_refuses_an_update_heatmap(no_update):
    with TraceReader(no_update) as reader:
        card = card_at(reader, "e0/x0/bwd/L1/dW")
        assert [p.title.split(":")[0] for p in card.rows[0]] == ["W1", "dW1 = dZ1·xᵀ"]
        with pytest.raises(NetvizError, match="ends without an update"):
            shown_at(reader, at="e0/x0/bwd/L1/dW", what="update")


# --- refusals ----------------------------------------------------------------------------------


ANIMATE = "animation --what grad -o a.gif --epochs"
REFUSALS = [
    # (id, trace, arguments after the trace's place, words the one line must hold)
    ("not-a-trace", "text", "heatmap", "not a netviz trace"),
    ("missing-trace", "missing", "heatmap", "no such file"),
    ("no-such-address", "main", "heatmap --at e6/x99/cost", "no step e6/x99/cost"),
    ("not-an-address", "main", "heatmap --at e6/up", "is not an address"),
    ("epoch-not-recorded", "main", "heatmap --epoch 99", "epoch 99 was not recorded"),
    ("layer-out-of-range", "main", "heatmap --layer 4", "layer 4: this network has layers 1–3"),
    ("op-layer-out-of-range", "main", f"heatmap --at {PASS}/cost --layer 5", "layers 1–3"),
    ("unknown-format", "main", "heatmap -o out.jpg",
     "unknown format .jpg (export heatmap writes .png, .svg or .pdf)"),
    ("no-suffix", "main", "heatmap -o out", "no suffix"),
    ("missing-folder", "main", "heatmap -o nowhere/out.png", "folder nowhere does not exist"),
    ("grad-at-epoch-0", "main", "heatmap --epoch 0", "epoch 0 is this trace's first weights"),
    ("minimal-grad", "minimal", "heatmap --what grad", "ΣdW was not recorded"),
    ("minimal-update", "minimal", "heatmap --what update --epoch 2", "--record minimal"),
    ("no-epochs-grad", "fresh", "heatmap", "no epochs recorded"),
    ("bad-epochs-text", "main", f"{ANIMATE} 2-4", "expected A:B"),
    ("reversed-epochs", "main", f"{ANIMATE} 4:2", "comes after"),
    ("epochs-not-recorded", "main", f"{ANIMATE} 2:99", "epoch 7 was not recorded"),
    ("grad-epoch-0", "main", f"{ANIMATE} 0:2", "epoch 0 was not recorded"),
    ("animation-format", "main", "animation --what weight -o a.png", "writes .gif"),
    ("animation-layer", "main", "animation --what weight --layer 9 -o a.gif", "layer 9"),
    ("minimal-grad-animation", "minimal", "animation --what grad -o a.gif", "ΣdW was not recorded"),
    ("card-epoch-0", "main", "card --at e0", "e0 is the initial weights"),
    ("card-format", "main", "card --at e2 -o c.pdf", "writes .png or .md"),
    ("card-minimal-epoch", "minimal", "card --at e2", "a card needs them"),
    ("curves-missing-compare", "main", "curves --compare gone.nvtrace -o c.png",
     "gone.nvtrace: no such file"),
    ("curves-no-epochs", "fresh", "curves -o c.png", "no epochs recorded"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("trace", "argv", "words"), [r[1:] for r in REFUSALS], ids=[r[0] for r in REFUSALS]
)
def test_bad_arguments_get_one_line_and_status_2_and_leave_no_file(
    capsys, monkeypatch, recorded, minimal, fresh, tmp_path, trace, argv, words
):
    work = tmp_path / "work"
    work.mkdir()
    (tmp_path / "text.nvtrace").write_text("not a trace\n")
    traces = {"main": recorded.path, "minimal": minimal, "fresh": fresh,
              "text": tmp_path / "text.nvtrace", "missing": tmp_path / "gone.nvtrace"}  # fmt: skip
    monkeypatch.chdir(work)
    command, *rest = argv.split()
    status, out, err = run_cli(capsys, "export", command, str(traces[trace]), *rest)
    assert status == 2 and out == ""
    assert err.startswith("netviz: error: ") and err.count("\n") == 1, err
    assert words in err and "Traceback" not in err
    assert list(work.iterdir()) == []


def test_importing_export_loads_neither_matplotlib_nor_pandas():
    code = (
        "import sys, netviz.export, netviz.commands.export; "
        "print(sorted({'matplotlib', 'pandas', 'PIL'} & set(sys.modules)))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_a_cards_numbers_are_written_as_the_tour_writes_them(reader):
    """A second read found cards printing dZ3's mean as 1.249e−17 (0 in theory: Σ(ŷ − y) = 0),
    −0 entries and a cost of shape (): the card's text follows netviz.numbers."""
    from netviz.export.card import card_text

    dZ3 = card_text(card_at(reader, f"{PASS}/bwd/L3/dZ"))
    line = next(row for row in dZ3.splitlines() if " dZ3 " in row)
    assert "mean          0" in line, line
    assert "−0" not in dZ3 and "-0 " not in dZ3
    cost = card_text(card_at(reader, f"{PASS}/cost"))
    assert "scalar" in cost and "()" not in cost
