"""``netviz train --from PARENT --at eK``: a fork continues a recorded run from its weights after K
epochs, on its data, as epochs K+1 on; unchanged, it repeats the parent bit for bit."""

from __future__ import annotations

import shutil
import sqlite3
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pytest
from helpers import run_cli, table_rows

from netviz.commands.train import train, train_fork
from netviz.core.epoch import Plan
from netviz.core.presets import PRESETS
from netviz.errors import NetvizError
from netviz.trace import TraceReader
from netviz.training import calibrate
from netviz.training.fork import ForkOptions, weights_digest
from netviz.training.recording import RecordOptions
from netviz.training.run import RunSpec, prepare
from netviz.training.trainer import Trainer

EPOCHS, K, ALPHA = 6, 3, 0.8
EVERY_EPOCH = RecordOptions(checkpoint_every=1)  # checkpoints: the weights training made, as made


def spec(shuffle: int | None = None) -> RunSpec:
    return RunSpec(PRESETS["seed"].with_(epochs=EPOCHS), train_size=300, test_size=100,
                   shuffle_seed=shuffle)  # fmt: skip


@pytest.fixture(scope="module")
def parent(tmp_path_factory) -> Path:
    """6 seed epochs on 300 sample digits, one worker, a checkpoint every epoch."""
    path = tmp_path_factory.mktemp("parent") / "parent.nvtrace"
    assert train(spec(), workers=1, trace=str(path), record=EVERY_EPOCH) == 0
    return path


def fork(parent: Path, folder: Path, at: str = f"e{K}", **options) -> Path:
    """Fork ``parent`` into ``folder/fork.nvtrace``; its path."""
    workers = options.pop("workers", None)
    fixed = options.pop("fixed", None)
    verbose = options.pop("verbose", False)
    path = folder / "fork.nvtrace"
    status = train_fork(str(parent), at, ForkOptions(**options), fixed, workers=workers,
                        trace=str(path), record=EVERY_EPOCH, verbose=verbose)  # fmt: skip
    assert status == 0
    return path


def same_weights(a, b) -> bool:
    return all(np.array_equal(x, y) for x, y in zip(a.W + a.b, b.W + b.b, strict=True))


# --- unchanged, a fork repeats its parent ---------------------------------------------------------


@pytest.mark.parametrize("workers", [1, 3], ids=["one-worker", "three-workers"])
def test_an_unchanged_fork_repeats_the_parents_next_epochs_bit_for_bit(parent, tmp_path, workers):
    path = fork(parent, tmp_path, workers=workers)
    with TraceReader(parent) as p, TraceReader(path) as f:
        assert f.epochs() == [K + 1, K + 2, EPOCHS]
        for epoch in range(K, EPOCHS + 1):  # checkpoints both: the weights training made
            assert same_weights(f.weights(epoch), p.weights(epoch)), f"e{epoch}"
        theirs = {r["epoch"]: r for r in p.metric_rows()}
        for row in f.metric_rows():
            assert {**row, "step": None} == {**theirs[row["epoch"]], "step": None}
        for name, array in f.tensors(f"e{K + 1}").items():  # ΣdW, Σdb, stats, watched Z A dZ
            np.testing.assert_array_equal(array, p.tensors(f"e{K + 1}")[name], err_msg=name)
        assert f.final() == p.final()


def test_a_fork_adds_in_the_order_of_the_plan_its_parent_recorded(
    tmp_path, monkeypatch, capsys, plain_wide_console
):
    """A parent trained with another plan than this machine would choose (another machine's):
    the fork takes the parent's from its trace, says so, and repeats it bit for bit."""
    theirs = Plan(70, 30, True, True)
    path = tmp_path / "parent.nvtrace"
    with monkeypatch.context() as patch:
        patch.setattr(calibrate, "DEFAULT_PLAN", theirs)
        assert train(spec(), workers=1, trace=str(path), record=EVERY_EPOCH) == 0
    capsys.readouterr()
    forked = fork(path, tmp_path, workers=2, verbose=True)
    said = next(line for line in capsys.readouterr().out.splitlines() if line.startswith("epochs"))
    assert (
        f"epochs: {theirs.describe()}; 2 worker threads (plan the parent's, as its trace "
        "records it; worker count as given)" == said
    )
    status, out, _ = run_cli(capsys, "trace", "info", str(forked))
    assert status == 0 and table_rows(out)["epoch plan"] == theirs.describe()
    with TraceReader(path) as p, TraceReader(forked) as f:
        assert p.meta["plan"] == f.meta["plan"] == asdict(theirs)
        for epoch in range(K + 1, EPOCHS + 1):
            assert same_weights(f.weights(epoch), p.weights(epoch)), f"e{epoch}"
        mine = f.weights(K)
    run = prepare(spec())  # the same epoch with this machine's default plan: other sums
    with Trainer(run.X, run.y, run.hidden, ALPHA, workers=1) as trainer:
        assert trainer.plan != theirs
        ours = trainer.epoch(mine, K + 1).params
    with TraceReader(path) as p:
        assert not same_weights(ours, p.weights(K + 1))  # so the plan was needed


def test_the_fork_starts_from_the_weights_k_epochs_of_training_made(parent, tmp_path):
    path = fork(parent, tmp_path)
    run = prepare(spec())  # trained again here, independently of both traces
    with Trainer(run.X, run.y, run.hidden, ALPHA, workers=1) as trainer:
        *_, last = trainer.run(run.params, K)
    with TraceReader(path) as f, TraceReader(parent) as p:
        assert same_weights(f.weights(K), last.params)
        assert f.meta["fork_weights_sha256"] == weights_digest(last.params)
        assert weights_digest(p.weights(K - 1)) != weights_digest(last.params)


def test_one_worker_gives_the_bits_of_several():
    """One chunk of 300 columns: a multi-threaded BLAS would cut its sums differently."""
    run = prepare(spec())
    sums = []
    for workers in (1, 2, 3):  # one trainer at a time: each sets the BLAS threads itself
        with Trainer(run.X, run.y, run.hidden, ALPHA, workers=workers) as trainer:
            sums.append(trainer.gradients(run.params))
    for other in sums[1:]:
        for a, b in zip(sums[0].dW + sums[0].db, other.dW + other.db, strict=True):
            np.testing.assert_array_equal(a, b)
        assert other.cost_sum == sums[0].cost_sum


def test_a_trainer_keeps_its_bits_when_another_that_started_first_closes():
    """Two runs at once (a forked tour): the first to close must not give BLAS its threads back
    under the other."""
    run = prepare(spec())
    with Trainer(run.X, run.y, run.hidden, ALPHA, workers=1) as alone:
        want = alone.gradients(run.params)
    first = Trainer(run.X, run.y, run.hidden, ALPHA, workers=1)
    with Trainer(run.X, run.y, run.hidden, ALPHA, workers=1) as second:
        first.close()
        got = second.gradients(run.params)
    for a, b in zip(want.dW + want.db, got.dW + got.db, strict=True):
        np.testing.assert_array_equal(a, b)


def test_a_shuffled_parent_is_forked_on_its_own_shuffled_rows(tmp_path):
    path = tmp_path / "shuffled.nvtrace"
    assert train(spec(shuffle=7), workers=1, trace=str(path), record=EVERY_EPOCH) == 0
    forked = fork(path, tmp_path)
    with TraceReader(path) as p, TraceReader(forked) as f:
        assert f.meta["shuffle_seed"] == 7
        assert same_weights(f.weights(EPOCHS), p.weights(EPOCHS))


# --- changed ------------------------------------------------------------------------------------


def test_a_fork_with_another_alpha_takes_a_step_of_that_size(parent, tmp_path):
    path = fork(parent, tmp_path, alpha=0.4)
    with TraceReader(parent) as p, TraceReader(path) as f:
        before, theirs, ours = p.weights(K), p.weights(K + 1), f.weights(K + 1)
        assert not same_weights(ours, theirs)
        # The same ΣdW (the same weights, data and pass), half the step: W − 0.4·ΣdW/m.
        for b, t, o in zip(before.W, theirs.W, ours.W, strict=True):
            np.testing.assert_allclose(o - b, 0.5 * (t - b), rtol=1e-9, atol=1e-15)
        first = f.metric_rows()[0]
        assert first["alpha"] == 0.4 and first["cost"] == p.metric_rows()[K]["cost"]
        assert f.metrics()["cost"].iloc[-1] != p.metrics()["cost"].iloc[-1]
        assert f.meta["fork_changes"] == {"alpha": [ALPHA, 0.4]}


def test_a_fork_with_scaled_pixels_continues_the_same_network(parent, tmp_path):
    path = fork(parent, tmp_path, scale=True)
    with TraceReader(parent) as p, TraceReader(path) as f:
        start, theirs = f.weights(K), p.weights(K)
        np.testing.assert_allclose(start.W[0], 255 * theirs.W[0], rtol=1e-15)
        for ours, parents in zip(start.W[1:] + start.b, theirs.W[1:] + theirs.b, strict=True):
            np.testing.assert_array_equal(ours, parents)  # only W1 meets the pixels
        ours, parents = f.metric_rows()[0], p.metric_rows()[K]
        assert ours["cost"] == pytest.approx(parents["cost"], rel=1e-9)
        assert ours["train_accuracy"] == parents["train_accuracy"]
        assert f.meta["scale_pixels"] is True


def test_an_activation_that_computes_the_same_network_is_allowed(parent, tmp_path):
    """seed-sigmoid is σ(Z − 1e−5): plain σ gives the same digits."""
    path = fork(parent, tmp_path, activation="sigmoid")
    with TraceReader(parent) as p, TraceReader(path) as f:
        assert f.meta["activation"] == "sigmoid"
        assert f.metric_rows()[0]["cost"] == pytest.approx(p.metric_rows()[K]["cost"], rel=1e-4)


# --- what a fork's trace says -------------------------------------------------------------------


def test_the_forks_metadata_names_its_parent_and_the_fork_epoch(parent, tmp_path):
    path = fork(parent, tmp_path, alpha=0.4, epochs=2)
    with TraceReader(parent) as p, TraceReader(path) as f:
        assert f.meta["parent"] == str(parent)
        assert f.meta["parent_run_id"] == p.meta["run_id"] != f.meta["run_id"]
        assert f.meta["fork_epoch"] == K and f.epochs() == [K + 1, K + 2]
        assert f.meta["watch"] == p.meta["watch"]
        with pytest.raises(NetvizError, match="no weights recorded at or before epoch 2"):
            f.weights(K - 1)


def test_trace_info_shows_a_fork_its_parent_and_fork_epoch(parent, tmp_path, capsys,
                                                          plain_wide_console):  # fmt: skip
    path = fork(parent, tmp_path, alpha=0.4)
    capsys.readouterr()
    status, out, _ = run_cli(capsys, "trace", "info", str(path))
    rows = table_rows(out)
    assert status == 0
    assert rows["fork"] == f"fork of {parent} at e{K} (α 0.8 → 0.4)"
    assert rows["recorded epochs"] == f"{K + 1}–{EPOCHS} ({EPOCHS - K} epochs)"
    status, out, _ = run_cli(capsys, "trace", "info", str(parent))
    assert "fork" not in table_rows(out)


def test_a_fork_of_a_fork_starts_where_its_parent_did(parent, tmp_path):
    first = fork(parent, tmp_path)
    (tmp_path / "second").mkdir()
    second = fork(first, tmp_path / "second", at=f"e{K + 1}")
    with TraceReader(parent) as p, TraceReader(second) as f:
        assert f.epochs() == [K + 2, EPOCHS]
        assert same_weights(f.weights(EPOCHS), p.weights(EPOCHS))
    with pytest.raises(NetvizError, match=f"fork of .* at e{K}.*fork its parent"):
        fork(first, tmp_path / "second", at=f"e{K - 1}")


# --- refusals: one line, nothing written --------------------------------------------------------


def text_file(folder: Path, parent: Path) -> Path:
    (folder / "notes.nvtrace").write_text("not a trace\n")
    return folder / "notes.nvtrace"


def truncated(folder: Path, parent: Path) -> Path:
    data = parent.read_bytes()
    (folder / "cut.nvtrace").write_bytes(data[: len(data) // 2])
    return folder / "cut.nvtrace"


def bad_checkpoint(folder: Path, parent: Path) -> Path:
    path = shutil.copy(parent, folder / "bad.nvtrace")
    with sqlite3.connect(path) as db:  # one byte of W1 changed, its checksum not
        data = bytearray(db.execute("SELECT data FROM checkpoints WHERE epoch = 3 AND name = 'W1'")
                         .fetchone()[0])  # fmt: skip
        data[100] ^= 1
        db.execute("UPDATE checkpoints SET data = ? WHERE epoch = 3 AND name = 'W1'", [bytes(data)])
    db.close()
    return Path(path)


def older_shuffled(folder: Path, parent: Path) -> Path:
    """A shuffled run's trace as netviz wrote it before it recorded the shuffle seed."""
    path = folder / "older.nvtrace"
    assert train(spec(shuffle=7), workers=1, trace=str(path), record=EVERY_EPOCH) == 0
    with sqlite3.connect(path) as db:
        db.execute("DELETE FROM meta WHERE key = 'shuffle_seed'")
    db.close()
    return path


def same(folder: Path, parent: Path) -> Path:
    return parent


def damaged_plan(folder: Path, parent: Path) -> Path:
    path = shutil.copy(parent, folder / "plan.nvtrace")
    with sqlite3.connect(path) as db:
        db.execute("""UPDATE meta SET value = '{"chunk": -1}' WHERE key = 'plan'""")
    db.close()
    return Path(path)


REFUSALS = [
    ("beyond", same, "e7", {}, "--at e7 is beyond its epochs: it holds weights after e0–e6"),
    ("not-an-epoch", same, "e2/x1/fwd/L1/Z", {}, "--at e2/x1/fwd/L1/Z: give an epoch"),
    ("nothing-left", same, "e6", {}, "no epochs left to train: say how many with --epochs N"),
    ("zero-epochs", same, "e3", {"epochs": 0}, "--epochs 0: a fork trains at least one epoch"),
    ("relu", same, "e3", {"activation": "relu"},
     "--activation relu does not fit the weights after e3: they were trained for seed-sigmoid"),
    ("tanh", same, "e3", {"activation": "tanh"}, "--activation tanh does not fit"),
    ("layers", same, "e3", {"fixed": {"--layers": (32, 16)}},
     "--layers 32,16: the parent's weights after e3 are 784-16-16-10 float64, its layers 16,16; "
     "the weights' shapes cannot change"),
    ("dtype", same, "e3", {"fixed": {"--dtype": "float32"}}, "precision cannot change"),
    ("seed", same, "e3", {"fixed": {"--seed": 5}}, "a fork starts from its parent's weights"),
    ("train-size", same, "e3", {"fixed": {"--train-size": 200}}, "its parent's data"),
    ("not-a-trace", text_file, "e3", {}, "not a netviz trace"),
    ("truncated", truncated, "e3", {}, "truncated"),
    ("damaged", bad_checkpoint, "e3", {}, "damaged tensor 'W1'"),
    ("damaged-plan", damaged_plan, "e3", {}, "its recorded epoch plan is damaged"),
    ("older-shuffled", older_shuffled, "e3", {},
     "the data rebuilt from its metadata differs at watched example 0 (an older trace"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("make", "at", "options", "message"),
    [r[1:] for r in REFUSALS],
    ids=[r[0] for r in REFUSALS],
)
def test_a_fork_that_cannot_be_is_refused_in_one_line_and_writes_nothing(
    parent, tmp_path, make, at, options, message
):
    source = make(tmp_path, parent)
    before = set(tmp_path.rglob("*"))
    with pytest.raises(NetvizError) as refused:
        fork(source, tmp_path / "out", at, **options)
    assert message in str(refused.value)
    assert "\n" not in str(refused.value)
    assert set(tmp_path.rglob("*")) == before  # not even the folder of the trace


def test_data_that_is_not_the_parents_is_refused_before_it_is_split(parent, tmp_path):
    """The parent's own rows, in a CSV that is not the file it trained on."""
    rows = prepare(spec()).train
    lines = ["label," + ",".join(f"pixel{i}" for i in range(784))]
    lines += [
        f"{y}," + ",".join(map(str, x)) for x, y in zip(rows.images, rows.labels, strict=True)
    ]
    (tmp_path / "other.csv").write_text("\n".join(lines) + "\n")
    with pytest.raises(NetvizError, match=r"other.csv is not the data .* SHA-256 differs"):
        fork(parent, tmp_path / "out", data=str(tmp_path / "other.csv"))
    assert not (tmp_path / "out").exists()


def test_a_forks_figures_start_at_its_fork_epoch(parent, tmp_path, capsys):
    """Its first weights are K's: the weight animation and heatmap start there (K's gradient
    is refused: no epoch of the fork made one), and the curves overlay the parent's."""
    path = fork(parent, tmp_path, alpha=0.4)
    out = tmp_path / "out"
    out.mkdir()

    def cli(*argv: str) -> int:
        return run_cli(capsys, "export", *argv)[0]

    assert cli("animation", str(path), "--what", "weight", "-o", str(out / "w.gif")) == 0
    assert (
        cli("heatmap", str(path), "--epoch", f"{K}", "--what", "weight", "-o", str(out / "w.png"))
        == 0
    )
    assert cli("heatmap", str(path), "--epoch", f"{K}", "--what", "grad") == 2
    assert cli("curves", str(parent), "--compare", str(path), "-o", str(out / "c.png")) == 0
    assert all((out / name).stat().st_size > 0 for name in ("w.gif", "w.png", "c.png"))
    with TraceReader(path) as reader:
        assert reader.epochs()[0] == K + 1
