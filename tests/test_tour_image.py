"""netviz tour --image FILE [--label D] [--weights W.npz]: the tour opens on a picture of the
learner's own digit, shows its preprocessing once, and can start from saved weights."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import pilot_test, run_cli, screen_text

from netviz.core.presets import PRESETS
from netviz.data.images import STEP_TITLES, read_digit
from netviz.errors import NetvizError
from netviz.session.live import Session
from netviz.session.replay import Replay
from netviz.training.run import RunSpec
from netviz.training.weights import load_weights
from netviz.tui.app import create_app
from netviz.tui.timeline import weights_text


@pytest.fixture(scope="module")
def seven(tmp_path_factory):
    """A dark-blue 7 on cream paper, drawn with matplotlib, larger than 28×28."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    path = tmp_path_factory.mktemp("image") / "seven.png"
    fig = plt.figure(figsize=(2, 2.5), dpi=100)
    ax = fig.add_axes([0, 0, 1, 1])
    ax.set_xlim(0, 1), ax.set_ylim(0, 1), ax.axis("off")
    ax.plot([0.25, 0.75, 0.45], [0.8, 0.8, 0.15], color="navy", lw=8, solid_capstyle="round")
    fig.savefig(path, facecolor="#f4efe4")
    plt.close(fig)
    return path


@pytest.fixture(scope="module")
def weights(tmp_path_factory):
    """The tuned preset after 3 epochs on the sample, saved."""
    from netviz.commands.cli import main

    path = tmp_path_factory.mktemp("weights") / "w.npz"
    argv = ["train", "--preset", "tuned", "--train-size", "300", "--test-size", "100"]
    assert main([*argv, "--epochs", "3", "--out", str(path), "--no-trace"]) == 0
    return path


def test_the_tour_starts_from_saved_weights_with_their_recipe(weights, tmp_path):
    from netviz.commands.tour import _from_weights

    base = RunSpec(PRESETS["seed"], train_size=300, test_size=100)
    spec, start = _from_weights(base, str(weights), None)
    assert (spec.preset.name, spec.preset.alpha, spec.preset.scale_pixels) == ("tuned", 4.0, True)
    params, _ = load_weights(weights)
    with Session(spec, trace=tmp_path / "t.nvtrace", start=start) as s:
        op = s.snapshot().op  # Z1 of example 0 at the saved weights, not fresh ones
        assert np.array_equal(op.inputs["W1"], params.W[0])
        assert (s.snapshot().preset, s.snapshot().weights_from) == ("tuned", str(weights))
        s.run_epoch()
    with Replay(tmp_path / "t.nvtrace") as replay:  # a replay names them as the tour did
        assert replay.snapshot().weights_from == str(weights)
        assert weights_text(replay.goto("e1")) == f"weights after 0 → 1 epoch from {weights.name}"
    assert _from_weights(base, str(weights), 0.5)[0].preset.alpha == 0.5  # --lr given wins


def test_figures_of_a_run_from_saved_weights_say_so(weights, tmp_path):
    """A trace of a tour begun from w.npz: every figure names those weights where it says at
    which weights it was measured (its epochs count from them); none says "initial"."""
    from netviz.commands.tour import _from_weights
    from netviz.export.animation import frame_label
    from netviz.export.card import card_at
    from netviz.export.gather import epoch_matrix, run_name, started_from
    from netviz.export.html import choose, page
    from netviz.trace import TraceReader

    base = RunSpec(PRESETS["seed"], train_size=300, test_size=100)
    spec, start = _from_weights(base, str(weights), None)
    path = tmp_path / "t.nvtrace"
    with Session(spec, trace=path, start=start) as s:
        s.step(1)  # example 0's pass at the saved weights, recorded
        s.run_epoch()
        s.step(1)
    with TraceReader(path) as reader:
        assert (
            started_from(reader) == "w.npz" and run_name(reader) == "t (tuned preset, from w.npz)"
        )
        assert epoch_matrix(reader, 0, 1, "weight").label == "W1 from w.npz"
        assert epoch_matrix(reader, 1, 1, "weight").label == "W1 after epoch 1 from w.npz"
        assert frame_label("weight", 2, 0, "w.npz") == "W2 from w.npz (epoch 0)"
        assert "at the weights from w.npz" in card_at(reader, "e0/x0/fwd/L1/Z").facts
        assert "at the weights after 1 epoch from w.npz" in card_at(reader, "e1/x0/fwd/L1/Z").facts
        html = page(reader, choose(reader))
    assert "at the weights from w.npz" in html and "after 1 epoch from w.npz" in html
    assert "e1, at the weights from w.npz: cost" in html  # the curves' readout at e1
    assert "at the same weights, the weights from w.npz; their gradients" in html
    assert "initial weights" not in html and "at initialisation" not in html


def test_weights_of_another_network_are_refused(weights, tmp_path):
    params, _ = load_weights(weights)
    spec = RunSpec(PRESETS["tuned"].with_(sizes=(784, 8, 10)), train_size=300, test_size=100)
    with pytest.raises(NetvizError, match="784-16-16-10 network"):
        Session(spec, trace=tmp_path / "t.nvtrace", start=(params, "w.npz"))


@pilot_test
async def test_the_tour_opens_on_the_image_after_showing_its_preprocessing(seven, tmp_path):
    from netviz.commands.tour import _shown_steps
    from netviz.tui.preprocess import PreprocessScreen

    digit = read_digit(seven)
    with Session(RunSpec(PRESETS["tuned"], train_size=300, test_size=100),
                 trace=tmp_path / "t.nvtrace") as session:  # fmt: skip
        session.own_digit(digit.pixels, 7, source=seven.name)
        app = create_app(session)
        app.intro = PreprocessScreen(seven.name, _shown_steps(digit))
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            text = screen_text(app)
            assert f"What the network is given: {seven.name}" in text
            for title in STEP_TITLES.values():
                assert title[:20] in text
            await pilot.press("enter")
            await pilot.pause()
            text = screen_text(app)
            assert "label 7   seven.png" in text and app.snapshot.address == "e0/x300/fwd/L1/Z"
            assert np.array_equal(app.snapshot.pixels, digit.pixels)


def test_each_step_shown_fits_the_28_wide_picture(seven):
    from netviz.commands.tour import _shown_steps

    shown = _shown_steps(read_digit(seven))
    assert [t for t, _ in shown] == list(STEP_TITLES.values())
    assert all(max(a.shape) <= 28 for _, a in shown)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--image", "/etc/hostname"], "not an image"),
        (["--label", "3"], "--label says which digit an --image is"),
        (["--image", "SEVEN", "--label", "12"], "--label label 12"),
    ],
)
def test_a_bad_image_or_label_is_refused_before_the_tour_starts(seven, capsys, argv, message):
    argv = [str(seven) if a == "SEVEN" else a for a in argv]
    status, out, err = run_cli(capsys, "tour", "--no-trace", *argv)
    assert status == 2 and message in err and len(err.strip().splitlines()) == 1


@pilot_test
async def test_a_run_from_saved_weights_says_so_until_a_reset_draws_new_ones(
    weights, tmp_path, monkeypatch
):
    """The status line names the saved weights beside the preset; "Reset network (new seed)"
    asks about a network that is not from them, and after it the line no longer names them."""
    from netviz.commands.tour import _from_weights

    monkeypatch.chdir(tmp_path)  # the new network's trace goes to traces/ there
    from netviz.tui.palette import Confirm, commands

    base = RunSpec(PRESETS["seed"], train_size=300, test_size=100)
    spec, start = _from_weights(base, str(weights), None)
    with Session(spec, trace=tmp_path / "t.nvtrace", start=start) as session:
        app = create_app(session)
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            assert f"preset tuned · weights from {weights} · " in screen_text(app)
            # the step's weights are the saved ones, not a new network's "after 0 epochs"
            assert f"weights after 0 epochs from {weights.name}" in screen_text(app)
            await pilot.press("e")
            await app.workers.wait_for_complete()
            await pilot.pause()
            assert f"weights after 1 epoch from {weights.name}" in screen_text(app)
            [new_seed] = [c for c in commands(app) if c[0] == "Reset network (new seed)"]
            new_seed[1]()
            await pilot.pause()
            assert isinstance(app.screen, Confirm)
            assert app.screen.question.startswith("Start a new network (preset tuned, seed 1)?")
            await pilot.press("y")
            await app.workers.wait_for_complete()
            await pilot.pause()
            assert (session.snapshot().seed, session.snapshot().weights_from) == (1, "")
            assert "preset tuned · 784-16-16-10" in screen_text(app)
            assert "weights from" not in screen_text(app)
            assert "· weights after 0 epochs  " in screen_text(app)
