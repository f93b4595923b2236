"""The command line as a learner meets it: output lines, exit statuses, one-line refusals."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from helpers import refused, run_cli

from netviz.commands.cli import main
from netviz.training.weights import load_weights


@pytest.fixture(autouse=True)
def in_tmp_path(tmp_path, monkeypatch):
    """Run each command in a fresh folder: its default trace goes to tmp_path/traces."""
    monkeypatch.chdir(tmp_path)


def test_train_on_the_sample_reports_accuracies_in_the_walkthroughs_form(capsys, tmp_path):
    out_file = tmp_path / "w.npz"
    status, out, err = run_cli(capsys, "train", "--epochs", "5", "--out", str(out_file))
    assert status == 0, err
    lines = out.splitlines()
    assert lines[0].startswith("seed preset on sample: 3,000 train / 1,200 test")
    train_line = next(line for line in lines if line.startswith("train accuracy: "))
    test_line = next(line for line in lines if line.startswith("test accuracy: "))
    assert train_line.endswith(" %") and test_line.endswith(" %")
    params, meta = load_weights(out_file)
    assert params.sizes == (784, 16, 16, 10)
    assert meta["epochs_trained"] == 5 and meta["preset"]["name"] == "seed"
    # the reported figures are the saved weights' figures
    assert f"{100 * meta['train_accuracy']:.2f} %" in train_line


def test_options_override_the_preset(capsys, tmp_path):
    out_file = tmp_path / "w.npz"
    argv = ["train", "--preset", "tuned", "--epochs", "2", "--layers", "8", "--lr", "0.5"]
    status, out, _ = run_cli(capsys, *argv, "--train-size", "300", "--test-size", "100",
                         "--dtype", "float32", "--out", str(out_file))  # fmt: skip
    assert status == 0
    assert "300 train / 100 test, 784-8-10 sigmoid" in out and "α 0.5, 2 epochs" in out
    params, meta = load_weights(out_file)
    assert params.sizes == (784, 8, 10) and params.dtype == np.float32
    assert meta["preset"]["scale_pixels"] is True


def test_predict_with_saved_weights_writes_kaggle_rows(capsys, tmp_path):
    weights, out_csv = tmp_path / "w.npz", tmp_path / "pred.csv"
    assert (
        run_cli(capsys, "train", "--preset", "tuned", "--epochs", "20", "--out", str(weights))[0]
        == 0
    )
    status, out, _ = run_cli(capsys, "predict", "--weights", str(weights), "--data", "sample",
                         "-o", str(out_csv))  # fmt: skip
    assert status == 0 and "accuracy: " in out
    rows = out_csv.read_text().splitlines()
    assert rows[0] == "ImageId,Label" and len(rows) == 4201
    assert rows[1].startswith("1,") and all(r.split(",")[1] in "0123456789" for r in rows[1:])


def test_gradcheck_passes_on_the_seed_network(capsys):
    status, out, _ = run_cli(capsys, "gradcheck", "--examples", "50", "--entries", "5")
    assert status == 0
    assert (
        "W1 " in out and "MISMATCH" not in out and out.rstrip().splitlines()[-1].startswith("all")
    )


BAD = [
    (["gradcheck", "--entries", "2"], "--entries: must be 3 or more"),
    (["train", "--data", "no/such.csv"], "no/such.csv"),
    (["train", "--lr", "-1"], "--lr: must be a positive number"),
    (["train", "--lr", "abc"], "--lr: not a number"),
    (["train", "--epochs", "-3"], "--epochs: must be 0 or more"),
    (["train", "--seed", "-1"], "--seed: must be 0 or more"),
    (["train", "--shuffle", "-2"], "--shuffle: must be 0 or more"),
    (["train", "--layers", "16,x"], "--layers: hidden widths are whole numbers"),
    (["train", "--preset", "fancy"], "invalid choice: 'fancy'"),
    (["train", "--watch", "a,b"], "--watch: expected numbers"),
    (["train", "--watch", "5000"], "watched examples must be 0–2999"),
    (["train", "--out", "no/such/folder/w.npz"], "no/such/folder/w.npz: folder"),
    (["train", "--out", "weights.txt"], "weights.txt: weights are saved as .npz"),
    (["train", "--train-size", "5000"], "train_size 5000"),
    (["train", "--split", "official"], "official"),
    (["gradcheck", "--eps", "0"], "--eps: must be a positive number"),
    (["gradcheck", "--eps", "1e-12"], "--eps: must be from 1e-8 to 1e-3"),
    (["predict", "--weights", "missing.npz", "--data", "sample"], "missing.npz: no such weights"),
    (["trace", "info"], "the following arguments are required: file"),
    (["tour", "--no-trace", "--goto", "banana"], "--goto 'banana': go to an address"),
    (["tour", "--no-trace", "--goto", "e3"], "--goto epoch 3 has not been run"),
    (["tour", "--data", "no/such.csv"], "no/such.csv"),
    (["frobnicate"], "invalid choice: 'frobnicate'"),
]


@pytest.mark.parametrize(("argv", "message"), BAD, ids=[" ".join(a) for a, _ in BAD])
def test_bad_arguments_get_one_line_and_status_2(capsys, argv, message):
    _, err = refused(capsys, argv, message)
    assert err.startswith("netviz") and ": error: " in err, err


def test_bad_data_file_names_file_row_and_column_through_the_real_command(tmp_path):
    bad = tmp_path / "bad.csv"
    header = "label," + ",".join(f"pixel{i}" for i in range(784))
    row = ["3"] + ["0"] * 784
    row[1 + 301] = "300"
    bad.write_text(header + "\n" + ",".join(row) + "\n")
    done = subprocess.run(
        [sys.executable, "-m", "netviz", "train", "--data", str(bad)],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert "bad.csv" in done.stderr and "row 1" in done.stderr and "pixel301" in done.stderr
    assert "300" in done.stderr


def test_bad_weights_files_are_refused_without_unpickling(tmp_path, capsys):
    pickled = tmp_path / "pickled.npz"
    np.savez(pickled, W1=np.array([object()], dtype=object), b1=np.zeros(1))
    text = tmp_path / "text.npz"
    text.write_text("not a zip")
    wrong = tmp_path / "wrong.npz"
    np.savez(wrong, W1=np.zeros((3, 4)), b1=np.zeros(2))
    for path, message in ((pickled, "W1 holds Python objects (pickled data), which netviz never "
                           "loads"), (text, "not a netviz weights"),
                          (wrong, "do not make a layer")):  # fmt: skip
        status = main(["predict", "--weights", str(path), "--data", "sample"])
        err = capsys.readouterr().err
        assert status == 2 and message in err and str(path) in err


def test_help_lists_the_commands(capsys):
    assert main([]) == 0
    out = capsys.readouterr().out
    for command in ("train", "gradcheck", "predict", "data"):
        assert command in out


def test_a_diverging_run_says_so_in_one_line_and_saves_nothing(tmp_path):
    out_file = tmp_path / "w.npz"
    argv = ["train", "--activation", "relu", "--init", "he", "--lr", "1e200", "--epochs", "5"]
    done = subprocess.run(
        [sys.executable, "-m", "netviz", *argv, "--out", str(out_file)],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 1
    assert done.stderr.startswith("netviz: training diverged: ")
    assert done.stderr.count("\n") == 1, done.stderr  # no numpy warnings
    assert "smaller --lr" in done.stderr
    assert not out_file.exists()


def test_gradcheck_reports_a_wrong_gradient_and_exits_1(capsys, monkeypatch):
    from dataclasses import replace

    from netviz.core import activations

    wrong = replace(activations.SEED_SIGMOID, slope=lambda A: A)  # forgets the (1 − A)
    monkeypatch.setitem(activations.ACTIVATIONS, "seed-sigmoid", wrong)
    status, out, _ = run_cli(capsys, "gradcheck", "--examples", "50", "--entries", "5")
    assert status == 1
    assert "MISMATCH" in out and "differ by more than 1e-06" in out


def test_predict_on_an_unlabelled_csv_shows_kaggle_rows(capsys, tmp_path, sample):
    weights = tmp_path / "w.npz"
    assert run_cli(capsys, "train", "--epochs", "3", "--no-trace", "--out", str(weights))[0] == 0
    csv = tmp_path / "test.csv"
    pixels = sample.images[:25]
    header = ",".join(f"pixel{i}" for i in range(784))
    csv.write_text(header + "\n" + "\n".join(",".join(map(str, r)) for r in pixels) + "\n")
    status, out, _ = run_cli(capsys, "predict", "--weights", str(weights), "--data", str(csv))
    assert status == 0 and "accuracy" not in out
    lines = out.splitlines()
    assert "ImageId,Label" in lines and "1," in out and "the first 20 of 25" in out


def test_predict_refuses_weights_that_do_not_end_in_ten_digits(capsys, tmp_path):
    path = tmp_path / "w.npz"
    np.savez(path, W1=np.zeros((16, 784)), b1=np.zeros(16))
    status, _, err = run_cli(capsys, "predict", "--weights", str(path), "--data", "sample")
    assert status == 2 and "the last layer has 16 outputs, not 10 digits" in err


def test_an_interrupt_anywhere_is_one_line_and_status_130(capsys, monkeypatch):
    import netviz.commands.gradcheck

    def interrupted(spec):
        raise KeyboardInterrupt

    monkeypatch.setattr(netviz.commands.gradcheck, "prepare", interrupted)
    status, _, err = run_cli(capsys, "gradcheck")
    assert status == 130 and err == "netviz: interrupted\n"


def test_written_files_get_ordinary_permissions(capsys, tmp_path):
    import os
    import stat

    weights = tmp_path / "w.npz"
    old = os.umask(0o022)
    try:
        assert (
            run_cli(capsys, "train", "--epochs", "1", "--no-trace", "--out", str(weights))[0] == 0
        )
    finally:
        os.umask(old)
    assert stat.S_IMODE(weights.stat().st_mode) == 0o644
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_a_run_that_overflows_in_its_last_epoch_is_not_saved(tmp_path, capsys):
    out_file = tmp_path / "w.npz"
    argv = ["train", "--activation", "relu", "--init", "he", "--lr", "1e300", "--epochs", "1"]
    status, _, err = run_cli(capsys, *argv, "--no-trace", "--out", str(out_file))
    assert status == 1 and "training diverged" in err and not out_file.exists()
