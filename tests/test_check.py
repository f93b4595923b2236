"""``netviz check`` on learner scripts (tests/learner/, described in its MANIFEST.toml): the
correct ones match, each planted mistake is found at its address and line and named, and the
catalogue's wrong rules and the tracer are checked on their own."""

from __future__ import annotations

import gzip
import re
import subprocess
import sys
import tomllib
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from netviz.check.checker import Checker
from netviz.check.mistakes import CATALOGUE, UPDATES
from netviz.check.names import NamesError, canonical, parse_names
from netviz.check.reference import agrees
from netviz.check.script import assigned_names, run_script

ROOT = Path(__file__).parents[1]
LEARNER = ROOT / "tests" / "learner"
MANIFEST = tomllib.loads((LEARNER / "MANIFEST.toml").read_text())
ROWS = "200"  # training rows: enough for every op, fast


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    """A working folder holding train.csv, as the learner's scripts expect."""
    where = tmp_path_factory.mktemp("learner")
    with gzip.open(ROOT / "sample_data" / "mnist_sample.csv.gz", "rt") as f:
        head = [next(f) for _ in range(int(ROWS) + 1)]
    (where / "train.csv").write_text("".join(head))
    return where


def script_of(case: str, where: Path) -> Path:
    """The case's script: its file, or its base file with its one change made (written in
    ``where``, named after the case, so the report names it)."""
    entry = MANIFEST[case]
    if "script" in entry:
        return LEARNER / entry["script"]
    source = (LEARNER / entry["base"]).read_text()
    for old, new in entry["change"]:
        assert old in source, f"{case}: {old!r} is not in {entry['base']}"
        source = source.replace(old, new)
    path = where / f"{case}.py"
    path.write_text(source)
    return path


def netviz_check(folder: Path, script: str | Path, *options: str) -> subprocess.CompletedProcess:
    if isinstance(script, str) and script in MANIFEST:
        script = script_of(script, folder)
    command = [sys.executable, "-m", "netviz", "check", str(LEARNER / script), *options]
    return subprocess.run(
        [*command, "--", ROWS], cwd=folder, capture_output=True, text=True, timeout=300
    )


MISTAKES = sorted(
    k for k, v in MANIFEST.items() if v["mistake"] not in ("none", "crash", "unrecognisable")
)
CORRECT = sorted(k for k, v in MANIFEST.items() if v["mistake"] == "none" and "names" not in v)


@pytest.mark.parametrize("case", CORRECT)
def test_a_correct_script_matches(folder, case):
    done = netviz_check(folder, case)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "matches the reference" in done.stdout
    agree = re.search(r"your weights after it agree to ([0-9.e+-]+)", done.stdout)
    assert agree and float(agree.group(1)) < 1e-9  # netviz's own trainer, from their weights
    assert "2 epochs checked" in done.stdout


@pytest.mark.parametrize("case", MISTAKES)
def test_a_planted_mistake_is_found_where_it_is_and_named(folder, case):
    entry = MANIFEST[case]
    done = netviz_check(folder, case)
    assert done.returncode == 1, done.stdout + done.stderr
    assert f"parts from the reference at {entry['address']}\n" in done.stdout
    assert f"your {entry['variable']}, line {entry['line']}:" in done.stdout
    title = next(m.title for m in (*CATALOGUE, *UPDATES) if m.id == entry["mistake"])
    assert f"likely mistake: {title}\n" in done.stdout


def test_names_given_with_names_are_followed(folder):
    entry = MANIFEST["named"]
    unnamed = netviz_check(folder, "named")
    assert unnamed.returncode == 2 and "--names" in unnamed.stderr
    done = netviz_check(folder, "named", "--names", entry["names"])
    assert done.returncode == 0, done.stdout + done.stderr
    assert "matches the reference" in done.stdout


def test_a_script_that_crashes_reports_its_own_line_and_what_matched(folder):
    entry = MANIFEST["crash"]
    done = netviz_check(folder, "crash")
    assert done.returncode == 1
    assert f"stopped with an error at line {entry['line']}: NameError" in done.stdout
    matched = re.search(r"Before it, ([0-9,]+) values matched", done.stdout)
    assert matched and int(matched.group(1).replace(",", "")) > 1000


def test_nothing_recognisable_is_exit_2_naming_what_it_looks_for(folder):
    done = netviz_check(folder, "unrecognisable")
    assert done.returncode == 2
    assert "It looks for: W1 w1" in done.stderr and "--names" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["nothere.py"], "nothere.py: no such file"),
        (["walkthrough.py", "--names", "a=B"], "'B' is not a netviz name"),
        (["walkthrough.py", "--names", "hidden"], "write LEARNER_NAME=NETVIZ_NAME"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(folder, options, message):
    script = str(LEARNER / options[0]) if options[0] != "nothere.py" else "nothere.py"
    done = subprocess.run(
        [sys.executable, "-m", "netviz", "check", script, *options[1:]],
        cwd=folder,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 2
    assert message in done.stderr and len(done.stderr.strip().splitlines()) == 1


# --- the parts on their own -------------------------------------------------------------------


def test_names_the_walkthrough_and_its_variants_use():
    expected = {"W1": "W1", "w1": "W1", "B1": "b1", "dz3": "dZ3", "dW3": "dW3", "dB3": "db3"}
    expected |= {"da2": "dA2", "lr": "alpha", "y_hat": "yhat", "output": "yhat", "A3": "A3"}
    assert {n: canonical(n) for n in expected} == expected
    assert canonical("hidden1") is None
    assert canonical("hidden1", parse_names("hidden1=A1")) == "A1"
    with pytest.raises(NamesError):
        parse_names("hidden1=Q7")


def test_the_tracer_reports_each_assignment_once_with_its_first_line(tmp_path):
    script = tmp_path / "s.py"
    script.write_text(
        "import numpy as np\n"
        "def f(a):\n"
        "    Z1 = a * 2\n"
        "    return Z1\n"
        "W1 = np.ones(2)\n"
        "for i in range(2):\n"
        "    dw1 = np.zeros(2)\n"
        "    dw1 += (f(W1) +\n"
        "            1)\n"
        "    np.add(dw1, 1, out=dw1)\n"
    )
    seen = []
    assert (
        run_script(
            script, [], lambda a: seen.append((a.line, a.variable, np.asarray(a.value).tolist()))
        )
        is None
    )
    assert seen[:6] == [
        (5, "W1", [1.0, 1.0]),
        (6, "i", 0),
        (7, "dw1", [0.0, 0.0]),
        (3, "Z1", [2.0, 2.0]),
        (8, "dw1", [3.0, 3.0]),  # the statement over two lines, once, when it is done
        (10, "dw1", [4.0, 4.0]),  # out= writes in place
    ]
    assert assigned_names("a, (b, c[0]) = f()\nfor k in x: pass\n") == {
        1: ("a", "b", "c"),
        2: ("k",),
    }


def test_the_checker_stops_the_script_after_k_epochs(folder):
    done = netviz_check(folder, "walkthrough.py", "--epochs", "1")
    assert done.returncode == 0
    assert done.stdout.count("epoch 0: accuracy") == 0  # stopped at the first update's end
    assert "1 epoch checked," in done.stdout


def test_rounding_is_not_a_difference_but_a_mistake_in_one_entry_is():
    rng = np.random.default_rng(0)
    W, x = rng.normal(size=(16, 784)), rng.integers(0, 256, size=(784, 1)).astype(float)
    by_loop = np.array([[sum(W[j, i] * x[i, 0] for i in reversed(range(784)))] for j in range(16)])
    scale = np.abs(W) @ np.abs(x)
    assert agrees(by_loop, W @ x, scale, np.dtype(np.float64))  # another order of the sums
    wrong = W @ x
    wrong[3, 0] += 1e-4 * np.abs(wrong).max()
    assert not agrees(wrong, W @ x, scale, np.dtype(np.float64))


def test_every_catalogued_mistake_has_a_planted_script():
    planted = {v["mistake"] for v in MANIFEST.values()}
    catalogue = {m.id for m in (*CATALOGUE, *UPDATES)}
    assert catalogue <= planted, catalogue - planted
    assert len(catalogue) >= 14


def test_a_checker_fed_nothing_has_nothing_to_report():
    checker = Checker()
    assert checker.finish() is None and checker.difference is None


def _variant(tmp_path: Path, old: str, new: str, *more: str) -> str:
    """walkthrough.py with ``old`` made ``new`` (and further old, new pairs), in ``tmp_path``."""
    source = (LEARNER / "walkthrough.py").read_text()
    pairs = [(old, new), *zip(more[::2], more[1::2], strict=True)]
    for before, after in pairs:
        assert before in source, before
        source = source.replace(before, after)
    path = tmp_path / "variant.py"
    path.write_text(source)
    return str(path)


def test_a_mistake_on_a_later_example_is_found_at_that_example(folder, tmp_path):
    """Past the first passes of an epoch the values are checked together at its end: the first
    difference is still the one the op-by-op check finds (example 57, the sign)."""
    script = _variant(tmp_path, "dz3 = A3 - y", "dz3 = A3 - y if i != 57 else y - A3")
    done = netviz_check(folder, script)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "parts from the reference at e0/x57/bwd/L3/dZ\n" in done.stdout
    assert "likely mistake: ŷ − y with its sign reversed\n" in done.stdout


def test_values_may_be_lists(folder, tmp_path):
    script = _variant(
        tmp_path, "B1 = np.random.rand(16, 1) - 0.5", "B1 = (np.random.rand(16, 1) - 0.5).tolist()"
    )
    done = netviz_check(folder, script)
    assert done.returncode == 0, done.stdout + done.stderr


def test_a_difference_no_mistake_explains_shows_the_rule_with_its_numbers(folder, tmp_path):
    """The chain-rule card of the most different entry, from the learner's own inputs: its
    factors combine to the rule's value, the 'expected' of the entries listed first."""
    script = _variant(tmp_path, "dz3 = A3 - y", "dz3 = A3 - 0.5 * y")
    done = netviz_check(folder, script)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "no mistake in netviz's catalogue reproduces your values" in done.stdout
    entry = re.search(r"dZ3\[(\d)\] = ŷ\[\1\] − y\[\1\]", done.stdout)
    assert entry, done.stdout
    first = re.search(r"\[(\d), 0\]\s+expected\s+(\S+)\s+got", done.stdout)
    assert first and first.group(1) == entry.group(1)
    total = re.search(r"sum: (\S+)", done.stdout)
    assert total and total.group(1) == first.group(2)


@pytest.mark.parametrize("case", ["mistake_no_slope", "mistake_softmax_unnormalised"])
def test_trace_holds_their_values_beside_the_reference(folder, tmp_path, case):
    """--trace: each checked op's reference output and theirs; they differ exactly at the first
    difference (and the trace says where it is), and agree before it."""
    from netviz.trace import TraceReader

    entry = MANIFEST[case]
    trace = tmp_path / "check.nvtrace"
    done = netviz_check(folder, case, "--trace", str(trace))
    assert done.returncode == 1 and f"trace: {trace}, 1 pass," in done.stdout
    with TraceReader(trace) as reader:
        assert reader.meta["check"]["first_difference"] == entry["address"]
        differ = []
        for step in reader.pass_steps(0, 0):
            stored = reader.tensors(step.step)
            for name, theirs in reader.tensors(step.step, prefix="theirs/").items():
                reference = stored[name.removeprefix("theirs/")]
                if not agrees(theirs, reference, None, np.dtype(np.float64)):
                    differ.append(step.address)
        assert differ == [entry["address"]]
    again = netviz_check(folder, case, "--trace", str(trace))
    assert again.returncode == 2 and "already exists" in again.stderr
    assert "running" not in again.stdout  # refused before their script ran


@pytest.mark.filterwarnings("ignore:overflow encountered in exp:RuntimeWarning")  # their σ
def test_a_trace_that_cannot_be_written_still_leaves_the_verdict(
    folder, tmp_path, monkeypatch, capsys
):
    """--trace on a full disk: the learner still gets the whole report of where their script
    differs and why, then one line saying the trace could not be written; exit status 2."""
    from helpers import disk_fills_after, run_cli

    disk_fills_after(monkeypatch, 1)
    monkeypatch.chdir(folder)
    trace = tmp_path / "check.nvtrace"
    script = str(script_of("mistake_no_slope", folder))
    status, out, err = run_cli(capsys, "check", script, "--trace", str(trace), "--", ROWS)
    assert status == 2 and err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith(f"netviz: error: {trace}: cannot write to the trace (database or disk")
    assert MANIFEST["mistake_no_slope"]["address"] in out  # the verdict, before the error
    assert "trace: " not in out
    status, out, err = run_cli(capsys, "check", script, "--trace", f"{script}/t.nvtrace")
    assert status == 2 and "is not a folder" in err and "running" not in out  # told first


EPOCH_END = '    print(f"epoch {epoch}: accuracy {correct / m:.4f}")\n'


@pytest.mark.parametrize(
    "extra",
    [
        "    Z1 = W1 @ X.values + B1\n    A1 = sigmoid(Z1)\n",  # the whole set at once
        "    x = X[0].values.reshape(-1, 1) * 0.5\n    y = np.zeros((10, 1))\n    y[3] = 1\n"
        "    Z1 = W1 @ x + B1\n",  # an example that is not a training column
    ],
    ids=["whole-set", "test-example"],
)
def test_an_accuracy_pass_over_other_data_is_not_a_training_pass(folder, tmp_path, extra):
    script = _variant(tmp_path, EPOCH_END, extra + EPOCH_END)
    done = netviz_check(folder, script)
    assert done.returncode == 0, done.stdout + done.stderr


def test_y_written_for_the_prediction_is_the_prediction(folder, tmp_path):
    script = _variant(
        tmp_path, "        A3 = softmax(Z3)\n", "        A3 = softmax(Z3)\n        yhat = A3\n"
    )
    done = netviz_check(folder, script)
    assert done.returncode == 0, done.stdout + done.stderr


def test_a_running_sum_wrong_on_a_later_example_is_reported_not_a_traceback(folder, tmp_path):
    script = _variant(
        tmp_path, "dw3 += dz3 @ A2.T", "dw3 += dz3 @ A2.T if i != 57 else 2 * dz3 @ A2.T"
    )
    done = netviz_check(folder, script)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    assert "parts from the reference at e0/" in done.stdout and "/bwd/L3/dW" in done.stdout


OWN = [
    "    dw3 = np.zeros_like(W3)",
    "    sum_w3 = np.zeros_like(W3)",
    "dw3 += dz3 @ A2.T",
    "dw3 = dz3 @ A2.T\n        sum_w3 += dw3",
    "W3 = W3 - alpha * dw3 / m",
    "W3 = W3 - alpha * sum_w3 / m",
]


def test_each_examples_own_gradient_summed_under_another_name_matches(folder, tmp_path):
    done = netviz_check(folder, _variant(tmp_path, *OWN))
    assert done.returncode == 0, done.stdout + done.stderr


def test_a_wrong_own_gradient_on_a_later_example_is_found_in_its_epoch(folder, tmp_path):
    wrong = ["dw3 = dz3 @ A2.T\n", "dw3 = dz3 @ A2.T if i != 57 else dz3 @ A1.T\n"]
    done = netviz_check(folder, _variant(tmp_path, *OWN, *wrong))
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Traceback" not in done.stderr and "/bwd/L3/dW" in done.stdout


def test_a_script_that_never_updates_is_stopped_and_told(folder):
    done = netviz_check(folder, "mistake_no_update")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "W1 never changed" in done.stdout


def test_mini_batches_are_not_passed_off_as_full_batch_descent(folder, tmp_path):
    source = (LEARNER / "vectorised.py").read_text()
    loop = "        Z1, A1, Z2, A2, Z3, A3 = forward(W1, b1, W2, b2, W3, b3, X)\n"
    assert loop in source
    batches = source.replace(
        loop,
        "        b = slice(50 * (epoch % 4), 50 * (epoch % 4) + 50)\n"
        "        Xb, Yb = X[:, b], Y[:, b]\n" + loop.replace(", X)", ", Xb)"),
    ).replace("= backward(A1, A2, A3, W2, W3, X, Y)", "= backward(A1, A2, A3, W2, W3, Xb, Yb)")
    batches = batches.replace("np.argmax(Y, axis=0))", "np.argmax(Yb, axis=0))")
    script = tmp_path / "batches.py"
    script.write_text(batches)
    done = netviz_check(folder, script)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "mini-batch descent" in done.stderr


def test_many_epochs_of_a_correct_script_still_match(folder):
    """Each epoch is run again from their weights at its start: a whole run from their first
    weights drifts chaotically (1e−14 after 2 epochs, 1e−5 after 10) and had called a correct
    script's epochs "not the same full-batch descent"."""
    done = netviz_check(folder, "walkthrough", "--epochs", "10")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "10 epochs checked" in done.stdout
    agree = re.search(r"start of each of the 10 epochs checked: your weights after it agree to "
                      r"([0-9.e+-]+)", done.stdout)  # fmt: skip
    assert agree and float(agree.group(1)) < 1e-9


def test_examples_that_change_between_epochs_are_found_in_that_epoch(folder, tmp_path):
    """Epoch 2 sums one example fewer (and divides by that): every op and update matches its
    own rule, but it is not the full-batch descent of epoch 1's examples."""
    script = _variant(tmp_path, "for i in range(m):", "for i in range(m - epoch):",
                      "/ m\n", "/ (m - epoch)\n")  # fmt: skip
    done = netviz_check(folder, script)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "one epoch from your weights at the start of epoch 2, ends at other weights" in (
        done.stdout
    )


def test_a_float32_script_matches_and_its_trace_marks_nothing(folder, tmp_path):
    """A correct vectorised script in float32: the check judges it by float32's rounding, and
    the replay of its trace, which keeps their values in float32, marks no entry ◆."""
    from netviz.debug.breakpoints import check_op, parse_breakpoint
    from netviz.trace.reader import TraceReader

    source = (LEARNER / "vectorised.py").read_text()
    pairs = [
        ("    return W1, b1, W2, b2, W3, b3\n\n\ndef sigmoid",
         "    f = np.float32\n    return tuple(a.astype(f) for a in (W1, b1, W2, b2, W3, b3))"
         "\n\n\ndef sigmoid"),
        ('.to_numpy().T\n', '.to_numpy().T.astype(np.float32)\n'),
        ("Y = np.zeros((10, labels.size))", "Y = np.zeros((10, labels.size), np.float32)"),
        ("alpha = 0.8", "alpha = np.float32(0.8)"),
    ]  # fmt: skip
    for old, new in pairs:
        assert source.count(old) == 1, old
        source = source.replace(old, new)
    script = tmp_path / "net32.py"
    script.write_text(source)
    trace = tmp_path / "c32.nvtrace"
    done = netviz_check(folder, str(script), "--trace", str(trace))
    assert done.returncode == 0, done.stdout + done.stderr
    agree = re.search(r"your weights after it agree to ([0-9.e+-]+)", done.stdout)
    assert agree and 1e-9 < float(agree.group(1)) < 1e-4  # float32's rounding, not float64's
    differs = parse_breakpoint("differs", layers=3)
    reader = TraceReader(trace)
    try:
        passes = sorted({(s.epoch, s.example) for s in reader.steps() if s.kind == "op"})
        compared = 0
        for epoch, example in passes:
            for step, inputs, outputs, theirs in reader.pass_ops(epoch, example):
                assert all(a.dtype == np.float32 for a in theirs.values())
                op = SimpleNamespace(inputs=inputs, outputs=outputs, theirs=theirs)
                assert check_op(differs, op) is None, step.address
                compared += len(theirs)
    finally:
        reader.close()
    assert compared > 100
