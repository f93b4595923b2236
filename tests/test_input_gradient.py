"""Which pixels move the guess: dC/dx = W1ᵀ·dZ1 agrees with central differences on the pixels
(lit and black ones, for the cost and for one output's score, with every activation, on a small
random network and on both presets), with the chain rule worked by hand, with Euler's theorem and
with softmax's own algebra; a wrong gradient fails the same check. ``netviz export heatmap --what
input`` draws the trace's own W1ᵀ·dZ1 over the digit, and refuses what it cannot draw in one line.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from helpers import run_cli
from PIL import Image

from netviz.commands import export as export_command
from netviz.core.activations import RELU, SEED_SIGMOID, SIGMOID, TANH, Activation, activation
from netviz.core.network import Params, as_inputs, backward, costs, forward, init_params
from netviz.core.presets import PRESETS
from netviz.core.saliency import input_gradient, input_gradient_from
from netviz.errors import NetvizError
from netviz.export.figures import images_of
from netviz.export.gather import heatmap_figure, heatmap_name, shown_at
from netviz.trace import TraceReader

U = np.finfo(np.float64).eps / 2  # unit roundoff of float64
ROUNDING = 64  # an evaluation of the cost or a score is within 64·u·max(1, |f|) of exact
MEASURABLE = 100  # a derivative is checked where it is this many tolerances from zero


# --- finite differences ------------------------------------------------------------------------


def cost_of(params: Params, hidden: Activation, label: int):
    """x ↦ −log ŷ[label], the cost of one example, through the network's forward pass."""
    L, labels = len(params.W), np.array([label])
    return lambda x: float(costs(forward(params, x.reshape(-1, 1), hidden)[f"Z{L}"], labels)[0])


def score_of(params: Params, hidden: Activation, k: int):
    """x ↦ ZL[k], output k's score before softmax."""
    L = len(params.W)
    return lambda x: float(forward(params, x.reshape(-1, 1), hidden)[f"Z{L}"][k, 0])


def central(f, x: np.ndarray, j: int, h: float) -> float:
    """(f(x + h·e_j) − f(x − h·e_j)) / 2h."""
    up, down = x.copy(), x.copy()
    up[j] += h
    down[j] -= h
    return (f(up) - f(down)) / (2 * h)


def crosses_a_kink(params: Params, hidden: Activation, x: np.ndarray, j: int, h: float) -> bool:
    """Whether a relu's input changes sign between x − 2h·e_j and x + 2h·e_j: the quotient then
    averages two slopes, and no backprop would match it."""
    if hidden is not RELU:
        return False
    signs = []
    for t in (-2 * h, 0.0, 2 * h):
        moved = x.copy()
        moved[j] += t
        cache = forward(params, moved.reshape(-1, 1), hidden)
        signs.append(np.concatenate([cache[f"Z{l}"] > 0 for l in range(1, len(params.W))]))
    return not (np.array_equal(signs[0], signs[1]) and np.array_equal(signs[1], signs[2]))


@dataclass(frozen=True)
class Pixel:
    index: int
    analytic: float
    numeric: float
    tolerance: float  # rounding noise at step h, plus the truncation error |D(h) − D(2h)|

    @property
    def agrees(self) -> bool:
        return abs(self.analytic - self.numeric) <= self.tolerance

    @property
    def measurable(self) -> bool:
        return abs(self.numeric) > MEASURABLE * self.tolerance


def check_pixels(f, gradient: np.ndarray, x: np.ndarray, pixels, h: float) -> list[Pixel]:
    """Each of ``pixels`` compared with central differences at step h. The tolerance comes from
    the step: f's rounding r = ROUNDING·u·max(1, |f(x)|) moves the quotient by up to r/h, and
    its truncation error (≈ c·h²) is below |D(h) − D(2h)| (≈ 3·c·h²)."""
    noise = ROUNDING * U * max(1.0, abs(f(x))) / h
    out = []
    for j in pixels:
        d1, d2 = central(f, x, j, h), central(f, x, j, 2 * h)
        out.append(Pixel(int(j), float(gradient[j]), d1, 3 * noise + abs(d1 - d2)))
    return out


def chosen_pixels(x: np.ndarray, gradient: np.ndarray, rng: np.random.Generator) -> list[int]:
    """Lit and black pixels: the three of each with the largest |gradient|, and two of each at
    random."""
    lit, black = np.flatnonzero(x > 0), np.flatnonzero(x == 0)
    chosen = []
    for group in (lit, black):
        by_size = group[np.argsort(-np.abs(gradient[group]))]
        chosen += list(by_size[:3]) + list(rng.choice(by_size[3:], 2, replace=False))
    return chosen


def step_for(x: np.ndarray) -> float:
    """h on the scale of the pixels: 1e−5 of the brightest (raw 0–255 or scaled 0–1)."""
    return 1e-5 * max(1.0, float(x.max()))


def disagreements(
    params: Params, hidden: Activation, x: np.ndarray, gradient: np.ndarray, f
) -> tuple[list[Pixel], int]:
    """(pixels that disagree, how many agreeing ones were measurable), relu kinks left out."""
    h = step_for(x)
    pixels = [
        j
        for j in chosen_pixels(x, gradient, np.random.default_rng(0))
        if not crosses_a_kink(params, hidden, x, j, h)
    ]
    checked = check_pixels(f, gradient, x, pixels, h)
    return [p for p in checked if not p.agrees], sum(p.measurable for p in checked)


# --- networks ------------------------------------------------------------------------------------

HIDDEN = {"sigmoid": SIGMOID, "tanh": TANH, "relu": RELU, "seed-sigmoid": SEED_SIGMOID}


def small_network(hidden: str) -> tuple[Params, Activation]:
    """784 → 12 → 8 → 10, Xavier weights and random biases (so every bias is exercised)."""
    rng = np.random.default_rng(7)
    params = init_params((784, 12, 8, 10), rng, "xavier")
    biases = tuple(rng.uniform(-0.5, 0.5, b.shape) for b in params.b)
    return Params(params.W, biases), HIDDEN[hidden]


def preset_network(name: str) -> tuple[Params, Activation, bool]:
    """The preset's first weights (seed 0, as ``netviz train`` draws them), activation and
    scaling."""
    p = PRESETS[name]
    params = init_params(p.sizes, np.random.default_rng(0), p.init, np.dtype(p.dtype))
    return params, activation(p.activation), p.scale_pixels


def measurable_digit(params, hidden, scale, sample) -> tuple[np.ndarray, int]:
    """The first sample digit whose cost gradient is far above what differences can resolve.
    On raw pixels the seed network saturates most digits' layer 1 (dC/dx ~ 1e−30); a few
    digits leave a neuron unsaturated."""
    for i in range(40):
        x = as_inputs(sample.images[i : i + 1], np.float64, scale)[:, 0].copy()
        label = int(sample.labels[i])
        g = input_gradient(params, x, hidden, label=label)
        if np.abs(g).max() > 1e-6 * max(1.0, float(x.max())):
            return x, label
    pytest.fail("no sample digit among the first 40 has a measurable input gradient")


TARGETS = ["cost", "score-of-label", "score-of-another-digit"]


def target(params, hidden, label: int, which: str):
    """(the function of x, the keywords asking input_gradient for its gradient)."""
    if which == "cost":
        return cost_of(params, hidden, label), {"label": label}
    k = label if which == "score-of-label" else (label + 3) % 10
    return score_of(params, hidden, k), {"output": k}


# --- the core: against differences ----------------------------------------------------------------


@pytest.mark.parametrize("which", TARGETS)
@pytest.mark.parametrize("hidden", list(HIDDEN))
def test_input_gradient_matches_central_differences_on_a_small_network(sample, hidden, which):
    params, act = small_network(hidden)
    x = as_inputs(sample.images[:1], np.float64, scale_pixels=True)[:, 0].copy()
    label = int(sample.labels[0])
    f, asked = target(params, act, label, which)
    wrong, measured = disagreements(params, act, x, input_gradient(params, x, act, **asked), f)
    assert not wrong, wrong
    assert measured >= 6, f"only {measured} of the checked pixels were measurable"


@pytest.mark.parametrize("which", TARGETS)
@pytest.mark.parametrize("preset", ["seed", "tuned"])
def test_input_gradient_matches_central_differences_on_the_presets(sample, preset, which):
    params, act, scale = preset_network(preset)
    x, label = measurable_digit(params, act, scale, sample)
    f, asked = target(params, act, label, which)
    gradient = input_gradient(params, x, act, **asked)
    wrong, measured = disagreements(params, act, x, gradient, f)
    assert not wrong, wrong
    assert measured >= 3, f"only {measured} of the checked pixels were measurable"


MUTANTS = {
    "scaled-1.01": lambda g, **_: 1.01 * g,
    "sign-flipped": lambda g, **_: -g,
    "image-transposed": lambda g, **_: g.reshape(28, 28).T.reshape(-1),
    "no-slope-in-layer-1": lambda g, params, cache, grads: (params.W[0].T @ grads["dA1"])[:, 0],
}


@pytest.mark.parametrize("mutant", list(MUTANTS))
def test_a_wrong_input_gradient_fails_the_same_check(sample, mutant):
    """The check can fail: each mutant of the right gradient disagrees somewhere."""
    params, act, scale = preset_network("tuned")
    x, label = measurable_digit(params, act, scale, sample)
    cache = forward(params, x.reshape(-1, 1), act)
    grads = backward(params, cache, np.array([label]), act)
    right = input_gradient(params, x, act, label=label)
    wrong_g = MUTANTS[mutant](right, params=params, cache=cache, grads=grads)
    assert np.abs(wrong_g - right).max() > 1e-3 * np.abs(right).max()
    wrong, _ = disagreements(params, act, x, wrong_g, cost_of(params, act, label))
    assert wrong


# --- the core: other routes to the same numbers --------------------------------------------------


def test_the_input_gradient_matches_the_chain_rule_worked_by_hand():
    """2 pixels → 1 sigmoid → 2 softmax outputs, with the math module only:
    ∂C/∂x_j = σ′·(v0·(ŷ0 − y0) + v1·(ŷ1 − y1))·w_j and ∂z_k/∂x_j = v_k·σ′·w_j."""
    w, b1 = [0.8, -1.3], -0.3
    v, c = [1.5, -0.7], [0.2, -0.1]
    params = Params((np.array([w]), np.array([[v[0]], [v[1]]])), (np.array([b1]), np.array(c)))
    x = [0.9, 0.4]
    a = 1 / (1 + math.exp(-(w[0] * x[0] + w[1] * x[1] + b1)))
    z = [v[k] * a + c[k] for k in range(2)]
    p1 = math.exp(z[1]) / (math.exp(z[0]) + math.exp(z[1]))
    slope = a * (1 - a)
    da = v[0] * (1 - p1) + v[1] * (p1 - 1)  # label 1: ŷ − y = (p0, p1 − 1) = (1 − p1, p1 − 1)
    cost = input_gradient(params, np.array(x), SIGMOID, label=1)
    assert cost == pytest.approx([slope * da * w[0], slope * da * w[1]], rel=1e-12)
    for k in range(2):
        score = input_gradient(params, np.array(x), SIGMOID, output=k)
        assert score == pytest.approx([v[k] * slope * w[0], v[k] * slope * w[1]], rel=1e-12)


def test_a_relu_network_without_biases_obeys_eulers_theorem(sample):
    """Without biases a relu network's scores are homogeneous of degree 1 in x, so
    Σ_j x_j·∂ZL[k]/∂x_j = ZL[k] exactly: no step size involved."""
    params = init_params((784, 16, 16, 10), np.random.default_rng(1), "he")
    params = Params(params.W, tuple(np.zeros_like(b) for b in params.b))
    x = as_inputs(sample.images[5:6], np.float64, scale_pixels=True)[:, 0].copy()
    Z3 = forward(params, x.reshape(-1, 1), RELU)["Z3"][:, 0]
    for k in range(10):
        g = input_gradient(params, x, RELU, output=k)
        bound = 784 * 8 * U * (np.abs(x * g).sum() + abs(Z3[k]))  # the rounding of both sides
        assert abs(x @ g - Z3[k]) <= bound, k


@pytest.mark.parametrize("hidden", list(HIDDEN))
def test_the_cost_gradient_is_softmax_weighted_score_gradients(sample, hidden):
    """C = −log ŷ[label] = −Z[label] + log Σ_j e^Z[j], so ∂C/∂x = Σ_j ŷ_j·∂Z[j]/∂x − ∂Z[label]/∂x:
    the cost's gradient rebuilt from the ten scores' gradients."""
    params, act = small_network(hidden)
    x = as_inputs(sample.images[2:3], np.float64, scale_pixels=True)[:, 0].copy()
    label = int(sample.labels[2])
    yhat = forward(params, x.reshape(-1, 1), act)["A3"][:, 0]
    scores = np.stack([input_gradient(params, x, act, output=k) for k in range(10)])
    rebuilt = yhat @ scores - scores[label]
    cost = input_gradient(params, x, act, label=label)
    scale = np.abs(scores).max()
    np.testing.assert_allclose(cost, rebuilt, rtol=0, atol=64 * U * 10 * scale)


def test_the_gradient_comes_back_in_the_shape_of_x_and_from_a_cache_alike(sample):
    params, act = small_network("tanh")
    x = as_inputs(sample.images[:1], np.float64, scale_pixels=True)[:, 0].copy()
    flat = input_gradient(params, x, act, label=3)
    column = input_gradient(params, x.reshape(-1, 1), act, label=3)
    assert flat.shape == (784,) and column.shape == (784, 1)
    np.testing.assert_array_equal(flat, column[:, 0])
    cache = forward(params, x.reshape(-1, 1), act)
    np.testing.assert_array_equal(input_gradient_from(params, cache, act, label=3), column)


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [({}, "give label"), ({"label": 1, "output": 2}, "give label"),
     ({"output": 10}, "output 10: outputs are 0–9"), ({"label": -1}, "label -1")],
    ids=["neither", "both", "output-out-of-range", "negative-label"],
)  # fmt: skip
def test_unclear_requests_are_refused(kwargs, words):
    params, act = small_network("sigmoid")
    with pytest.raises(ValueError, match=words):
        input_gradient(params, np.zeros(784), act, **kwargs)
    with pytest.raises(ValueError, match="x has 783 values"):
        input_gradient(params, np.zeros(783), act, label=0)


def test_the_saliency_module_imports_numpy_only():
    def loaded(code: str) -> set[str]:
        probe = f"{code}\nimport sys, json; print(json.dumps(sorted(sys.modules)))"
        done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
        return {m.split(".")[0] for m in json.loads(done.stdout.splitlines()[-1])}

    added = loaded("import netviz.core.saliency") - loaded("")
    assert {m for m in added if m not in sys.stdlib_module_names} == {"netviz", "numpy"}


# --- export: the trace's own numbers -------------------------------------------------------------

EPOCHS, EXAMPLE = 3, 5
PASS = f"e{EPOCHS}/x{EXAMPLE}"  # the seed run's recorded pass, at the weights after 3 epochs
TUNED = "e0/x2"  # the tuned run's pass at its initial weights


@pytest.fixture(scope="module")
def seed_run(trace_maker):
    return trace_maker(epochs=EPOCHS, example=EXAMPLE, alpha=0.8)


@pytest.fixture(scope="module")
def tuned_trace(tmp_path_factory) -> tuple[Path, object]:
    """The tuned preset's pass of example 2 at its first weights (scaled pixels: a gradient well
    away from zero), and, in the same file, example 4's pass cut off after the cost (ops that
    never reached dZ1)."""
    from netviz.core.steps import example_ops
    from netviz.training.recording import Recorder
    from netviz.training.run import RunSpec, prepare

    path = tmp_path_factory.mktemp("tuned") / "tuned.nvtrace"
    run = prepare(RunSpec(PRESETS["tuned"], train_size=300, test_size=100))
    with Recorder(path, run) as recorder:
        for example, keep in ((2, None), (4, 7)):
            label = int(run.y[example])
            ops = example_ops(run.params, run.X[:, example], label, run.hidden, 4.0)
            recorder.example_pass(0, example, ops[:keep], run.train.images[example], label)
    return path, run


def recorded(reader: TraceReader, address: str) -> dict[str, np.ndarray]:
    """The pass's first-op context (x, W, b) and its dZ1, read straight from the tensors table."""
    first = reader.step(f"{address}/fwd/L1/Z")
    return {**reader.tensors(first.step), **reader.tensors(f"{address}/bwd/L1/dZ")}


def test_the_heatmap_data_is_w1_transposed_times_the_recorded_dz1(seed_run):
    with TraceReader(seed_run.path) as reader:
        shown = shown_at(reader, at=f"{PASS}/fwd/L2/A", what="input")
        arrays = recorded(reader, PASS)
    np.testing.assert_array_equal(shown.values, arrays["W1"].T @ arrays["dZ1"])
    np.testing.assert_array_equal(shown.x, arrays["x"])
    assert shown.values.shape == (784, 1) and shown.address == f"{PASS}/fwd/L2/A"
    assert f"at the weights after {EPOCHS} epochs" in shown.label
    # the recorded pass is the network's own: the core computes the same gradient from x
    params = seed_run.results[-1].params
    core = input_gradient(params, arrays["x"], SEED_SIGMOID, label=int(seed_run.run.y[EXAMPLE]))
    np.testing.assert_allclose(shown.values, core, rtol=1e-9, atol=0)


def test_the_tuned_heatmap_is_drawn_over_the_digit_on_a_scale_centred_on_zero(tuned_trace):
    path, run = tuned_trace
    with TraceReader(path) as reader:
        shown = shown_at(reader, at=f"{TUNED}/bwd/L1/dZ", what="input")
        fig = heatmap_figure(reader, shown)
        arrays = recorded(reader, TUNED)
    expected = arrays["W1"].T @ arrays["dZ1"]
    np.testing.assert_array_equal(shown.values, expected)
    assert np.abs(expected).max() > 1e-3  # a visible gradient, not rounding noise
    digit, drawn = images_of(fig)
    np.testing.assert_array_equal(digit.get_array(), arrays["x"].reshape(28, 28))
    np.testing.assert_array_equal(drawn.get_array(), expected.reshape(28, 28))
    limit = np.abs(expected).max()
    assert drawn.norm.vmin == -limit and drawn.norm.vmax == limit
    title = fig.get_suptitle()
    assert "∂C/∂x = W1ᵀ·dZ1" in title and "at the initial weights" in title
    assert f"{TUNED}/bwd/L1/dZ" in title and "x = pixel/255" in title
    label = int(run.y[2])
    assert f"label {label}" in digit.axes.get_title()


def test_one_outputs_score_is_carried_back_from_the_recorded_activations(tuned_trace):
    path, run = tuned_trace
    with TraceReader(path) as reader:
        shown = shown_at(reader, at=f"{TUNED}/cost", what="input", output=7)
        name = heatmap_name(reader, shown)
        x = recorded(reader, TUNED)["x"]
    core = input_gradient(run.params, x, run.hidden, output=7)
    np.testing.assert_allclose(shown.values, core, rtol=1e-12, atol=0)
    cost = input_gradient(run.params, x, run.hidden, label=int(run.y[2]))
    assert np.abs(shown.values - cost).max() > 1e-3  # a different gradient from the cost's
    assert shown.label.startswith("∂Z3[7]/∂x") and "digit 7's score" in shown.label
    assert name == f"tuned_{TUNED.replace('/', '-')}-cost_input_score7.png"


def test_the_export_command_writes_the_file_named_by_the_address(
    capsys, monkeypatch, tuned_trace, tmp_path
):
    monkeypatch.chdir(tmp_path)
    status = export_command.heatmap(
        str(tuned_trace[0]), at=f"{TUNED}/bwd/L1/dZ", epoch=None, layer=None, what="input",
        out=None,
    )  # fmt: skip
    name = f"tuned_{TUNED.replace('/', '-')}-bwd-L1-dZ_input.png"
    assert status == 0 and capsys.readouterr().out == f"{name}\n"
    with Image.open(tmp_path / name) as image:
        assert image.format == "PNG" and image.size == (1000, 590)


REFUSED = [
    # (id, where, keywords for shown_at, words the one line holds)
    ("epoch-address", "seed", {"at": "e2"}, "needs --at with an example's op address"),
    ("epoch-option", "seed", {"epoch": 2}, "needs --at with an example's op address"),
    ("no-address", "seed", {}, "needs --at"),
    ("with-a-layer", "seed", {"at": f"{PASS}/cost", "layer": 1}, "leave out --layer"),
    ("not-an-address", "seed", {"at": "e3/up"}, "is not an address"),
    ("no-such-step", "seed", {"at": "e3/x99/cost"}, "no step e3/x99/cost"),
    ("before-dZ1", "tuned", {"at": "e0/x4/cost"}, "the pass has not reached dZ1 (it ends at"),
    ("output-out-of-range", "tuned", {"at": f"{TUNED}/cost", "output": 10}, "outputs are 0–9"),
    ("output-without-input", "seed", {"at": f"{PASS}/cost", "what": "grad", "output": 3},
     "--output 3 goes with --what input"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("where", "kwargs", "words"), [r[1:] for r in REFUSED], ids=[r[0] for r in REFUSED]
)
def test_what_cannot_be_drawn_is_refused_in_one_line(seed_run, tuned_trace, where, kwargs, words):
    path = seed_run.path if where == "seed" else tuned_trace[0]
    with TraceReader(path) as reader, pytest.raises(NetvizError) as refused:
        shown_at(reader, **{"what": "input", **kwargs})
    message = str(refused.value)
    assert words in message and "\n" not in message, message


def parser_knows_input() -> bool:
    """Whether cli.py's parser offers ``--what input`` yet (the lead's edit, see the report)."""
    from netviz.commands.cli import build_parser

    argv = ["export", "heatmap", "t.nvtrace", "--what", "input"]
    with contextlib.redirect_stderr(io.StringIO()):
        try:
            build_parser().parse_args(argv)
        except SystemExit:
            return False
    return True


needs_parser = pytest.mark.skipif(
    not parser_knows_input(), reason="cli.py's parser does not offer --what input yet"
)


@needs_parser
def test_the_command_line_draws_the_input_gradient(capsys, monkeypatch, tuned_trace, tmp_path):
    monkeypatch.chdir(tmp_path)
    argv = ["export", "heatmap", str(tuned_trace[0]), "--at", f"{TUNED}/bwd/L1/dZ"]
    status, out, err = run_cli(capsys, *argv, "--what", "input")
    assert (status, err) == (0, "") and out.strip().endswith("_input.png")
    assert (tmp_path / out.strip()).is_file()


@needs_parser
@pytest.mark.parametrize(
    ("args", "words"),
    [(["--at", "e0"], "needs --at"), (["--at", "e0/x4/cost"], "has not reached dZ1")],
    ids=["epoch", "before-dZ1"],
)
def test_the_command_line_refuses_in_one_line_with_status_2(
    capsys, monkeypatch, tuned_trace, tmp_path, args, words
):
    monkeypatch.chdir(tmp_path)
    status, out, err = run_cli(
        capsys, "export", "heatmap", str(tuned_trace[0]), *args, "--what", "input"
    )
    assert status == 2 and out == "" and err.count("\n") == 1 and words in err
    assert list(tmp_path.iterdir()) == []
