"""Hostile files and absurd options (issue 11): no traceback, no escape code, no memory blow-up.

Each case was found by an attack on netviz's entry points. Every refusal is one line on stderr
and exit status 2; nothing from outside reaches the terminal as a control sequence; nothing is
allocated before its size is checked. Cases that would exhaust memory or hang without the
checks run in a subprocess with ``ulimit -v`` (RLIMIT_AS) and a timeout, so a regression fails
the test instead of the machine.
"""

from __future__ import annotations

import contextlib
import gzip
import io
import json
import os
import pickle
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import tracemalloc
import warnings
import zipfile
import zlib
from functools import partial
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest
from helpers import checkpoints_fail_from, disk_fills_after, run_cli

EXAMPLE = Path(__file__).parents[1] / "traces" / "example.nvtrace"  # 8 epochs, examples 0 and 1
HOSTILE = "\x1b]0;owned\x07\x1b[2J\rname"  # sets the title, rings, clears, splits the line
SEEN = "\\x1b]0;owned\\x07\\x1b[2J\\rname"  # how it must be shown instead
GiB = 2**30
LIMIT = 2 * GiB  # RLIMIT_AS of the subprocess cases: netviz's budget there is 512 MiB

pytestmark = pytest.mark.usefixtures("plain_wide_console")


def copy_example(folder: Path, name: str = "run.nvtrace", *sql: str) -> Path:
    """The example trace copied to ``folder/name``, changed by ``sql`` statements."""
    path = Path(shutil.copy(EXAMPLE, folder / name))
    with contextlib.closing(sqlite3.connect(path)) as db:
        for statement in sql:
            db.execute(statement)
        db.commit()
    return path


def one_line_refusal(status: int, out: str, err: str) -> str:
    """The refusal's text, after checking it is one line on stderr with status 2 (``netviz:
    error: …``, or argparse's ``netviz train: error: … (see netviz train --help)``)."""
    assert status == 2, (status, err)
    prefix = re.match(r"netviz(?: [a-z]+)*: error: ", err)
    assert prefix and err.count("\n") == 1, err
    assert "Traceback" not in err and not re.search(r"[\x00-\x09\x0b-\x1f\x7f-\x9f]", err), err
    return re.sub(r" \(see netviz [a-z ]+ --help\)$", "", err[prefix.end() :].rstrip("\n"))


def limited(*argv: str, memory: int = LIMIT, timeout: float = 120) -> tuple[int, str, str]:
    """``netviz ARGV`` in a subprocess that may use at most ``memory`` bytes of address space."""
    import resource

    def cap() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))

    done = subprocess.run(
        [sys.executable, "-m", "netviz", *argv],
        capture_output=True,
        text=True,
        preexec_fn=cap,
        timeout=timeout,
        env={**os.environ, "COLUMNS": "200"},
    )
    return done.returncode, done.stdout, done.stderr


# --- one place makes outside strings safe -------------------------------------------------------

SHOWN_AS = {
    "\x1b": "\\x1b",  # ESC: every escape sequence starts with it
    "\x07": "\\x07",  # BEL
    "\r": "\\r",  # CR: would split a one-line error in two
    "\n": "\\n",
    "\x00": "\\x00",
    "\x7f": "\\x7f",  # DEL
    "\x9b": "\\x9b",  # C1 CSI: an escape sequence in one byte
    "\u202e": "\\u202e",  # right-to-left override: text that reads backwards
    "\u2028": "\\u2028",  # line separator
}


@pytest.mark.parametrize("char", SHOWN_AS, ids=[repr(c) for c in SHOWN_AS])
def test_literal_shows_a_control_character_as_its_escape(char):
    from netviz.safe import literal

    assert literal(f"a{char}b") == f"a{SHOWN_AS[char]}b"


def test_literal_keeps_printable_text_as_it_is():
    from netviz.safe import literal

    text = "A1 = σ(Z1 − 1e−5) · W1ᵀ ŷ ä 数字 $\\foo$ [b]"
    assert literal(text) == text


MARKUP_CASES = ["[b]bold?[/b]", "[$accent]x", "[@click=app.quit]q", "a\\[b]x", "end\\",
                "[/]", "\x1b[2J", "plain"]  # fmt: skip


@pytest.mark.parametrize("text", MARKUP_CASES)
def test_markup_escapes_text_so_textual_shows_it_and_a_tag_after_it_still_works(text):
    from textual.content import Content

    from netviz.safe import ZERO_WIDTH_SPACE, literal, markup

    assert Content.from_markup(markup(text)).plain.replace(ZERO_WIDTH_SPACE, "") == literal(text)
    after = Content.from_markup(f"[b]{markup(text)}[/b]z")
    assert after.plain.replace(ZERO_WIDTH_SPACE, "") == literal(text) + "z"


# --- file names, metadata and reasons are shown, never sent --------------------------------------

NAMED = [
    ["trace", "info", "{name}"],
    ["trace", "tensors", "{name}", "--at", "e1"],
    ["export", "curves", "{name}", "-o", "{tmp}/c.png"],
    ["predict", "--weights", "{name}", "--data", "sample"],
    ["train", "--data", "{name}", "--no-trace"],
]


@pytest.mark.parametrize("argv", NAMED, ids=[" ".join(a[:2]) for a in NAMED])
def test_a_missing_file_named_with_escape_codes_is_refused_in_one_visible_line(
    capsys, tmp_path, argv
):
    name = str(tmp_path / f"{HOSTILE}.nvtrace")
    filled = [a.format(name=name, tmp=tmp_path) for a in argv]
    refusal = one_line_refusal(*run_cli(capsys, *filled))
    assert SEEN in refusal


def test_train_shows_a_trace_name_with_escape_codes_literally(capsys, tmp_path):
    trace = tmp_path / f"{HOSTILE}.nvtrace"
    status, out, err = run_cli(capsys, "train", "--epochs", "1", "--trace", str(trace))
    assert status == 0 and trace.is_file()
    assert "\x1b" not in out + err and "\r" not in out + err
    assert f"trace: {tmp_path}/{SEEN}.nvtrace" in out


def test_the_reader_hands_out_metadata_and_equations_with_control_characters_visible(tmp_path):
    """What replay shows (the preset's name, the equations) comes from the reader."""
    from netviz.trace import TraceReader

    preset = json.dumps({"name": HOSTILE, "activation": "seed-sigmoid"})
    path = copy_example(
        tmp_path,
        "run.nvtrace",
        f"UPDATE meta SET value = '{preset}' WHERE key = 'preset'",
        "UPDATE steps SET equation = 'Z1 = W1·x + b1\x1b[2J' WHERE step = 1",
    )
    with TraceReader(path) as reader:
        assert reader.meta["preset"]["name"] == SEEN
        assert reader.step(1).equation == "Z1 = W1·x + b1\\x1b[2J"


class StalledOr404(BaseHTTPRequestHandler):
    """404 with a reason phrase that would drive the terminal."""

    def do_GET(self) -> None:
        self.send_response(404, f"Not Found{HOSTILE}")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@contextlib.contextmanager
def serve(handler: type[BaseHTTPRequestHandler], folder: Path | None = None):
    """A local HTTP server on 127.0.0.1 with ``handler``; its base URL."""
    if folder is not None:
        handler = partial(handler, directory=str(folder))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def test_a_mirrors_reason_phrase_is_shown_not_sent(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("no_proxy", "*")
    with serve(StalledOr404) as url:
        refusal = one_line_refusal(
            *run_cli(capsys, "data", "fetch", "mnist", "--mirror", url, "--dir", str(tmp_path))
        )
    assert refusal.startswith(f"download failed: {url}train-images-idx3-ubyte.gz: HTTP 404 ")
    assert f"Not Found{SEEN}" in refusal


# --- figures: names are text, not TeX; no glyph warnings echoing them --------------------------


def test_export_curves_draws_a_run_named_with_dollars_as_plain_text(capsys, tmp_path):
    trace = copy_example(tmp_path, "good-dollar-$\\foo$.nvtrace")
    other = copy_example(tmp_path, "$x^2$.nvtrace")
    out = tmp_path / "curves.png"
    status, stdout, err = run_cli(
        capsys, "export", "curves", str(trace), "--compare", str(other), "-o", str(out)
    )
    assert (status, err) == (0, "") and out.stat().st_size > 0


def test_figure_texts_hold_no_control_characters_and_warn_of_no_missing_glyphs(capsys, tmp_path):
    import matplotlib.text

    from netviz.export.gather import curves_figure
    from netviz.trace import TraceReader

    names = [f"{HOSTILE}.nvtrace", "数字.nvtrace"]
    paths = [copy_example(tmp_path, name) for name in names]
    with contextlib.ExitStack() as stack:
        readers = [stack.enter_context(TraceReader(p)) for p in paths]
        texts = [t.get_text() for t in curves_figure(readers).findobj(matplotlib.text.Text)]
    assert not [t for t in texts if re.search(r"[\x00-\x09\x0b-\x1f\x7f-\x9f]", t)]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        status, _, err = run_cli(
            capsys, "export", "curves", str(paths[0]), "--compare", str(paths[1]),
            "-o", str(tmp_path / "c.png"),
        )  # fmt: skip
    assert status == 0 and "\x1b" not in err
    assert [str(w.message) for w in caught if "Glyph" in str(w.message)] == []


# --- weights files: headers before arrays -------------------------------------------------------


def npy(shape: tuple, descr: str, data: bytes) -> bytes:
    """A .npy entry whose header says ``shape`` and ``descr``, followed by ``data``."""
    buffer = io.BytesIO()
    header = {"descr": descr, "fortran_order": False, "shape": shape}
    np.lib.format.write_array_header_1_0(buffer, header)
    return buffer.getvalue() + data


def npz(path: Path, entries: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as z:
        for name, data in entries.items():
            z.writestr(f"{name}.npy", data)
    return path


def test_a_small_weights_file_claiming_a_huge_matrix_is_refused_from_its_header(capsys, tmp_path):
    bomb = npz(
        tmp_path / "bomb.npz",
        {"W1": npy((100_000, 100_000), "<f8", b"\0" * 16), "b1": npy((100_000,), "<f8", b"")},
    )
    assert bomb.stat().st_size < 600  # the was 454 bytes
    refusal = one_line_refusal(*run_cli(capsys, "predict", "--weights", str(bomb), "--data", "x"))
    need = 100_000 * 100_000 * 8 / GiB  # 74.5 GiB
    assert re.fullmatch(
        rf"{re.escape(str(bomb))}: W1 \(100000, 100000\) float64 would need {need:.1f} GiB, "
        r"more than netviz's memory budget of [0-9.]+ [KMGT]iB \(a quarter of this machine's "
        r"[0-9.,]+ [KMGT]iB\)",
        refusal,
    ), refusal


def test_a_header_promising_more_bytes_than_the_file_holds_is_refused(capsys, tmp_path):
    short = npz(tmp_path / "short.npz", {"W1": npy((10, 784), "<f8", b"\0" * 80)})
    refusal = one_line_refusal(*run_cli(capsys, "predict", "--weights", str(short), "--data", "x"))
    assert refusal == (
        f"{short}: W1's header promises (10, 784) float64 (62,720 bytes), the file holds 80 "
        "bytes for it"
    )


def layers(dtype) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    shapes = {"W1": (16, 784), "b1": (16,), "W2": (10, 16), "b2": (10,)}
    return {k: (rng.random(s) * 4).astype(dtype) for k, s in shapes.items()}


@pytest.mark.parametrize("dtype", ["int64", "complex128", "float16"])
def test_weights_of_other_numbers_are_named_for_what_they_hold(capsys, tmp_path, dtype):
    path = tmp_path / "w.npz"
    np.savez(path, **layers(dtype))
    refusal = one_line_refusal(*run_cli(capsys, "predict", "--weights", str(path), "--data", "x"))
    assert refusal == f"{path}: W1 holds {dtype} numbers; netviz weights are float32 or float64"


def test_a_pickle_is_refused_without_numpys_advice_to_unpickle_it(capsys, tmp_path):
    path = tmp_path / "w.npz"
    path.write_bytes(pickle.dumps(layers("float64")))
    refusal = one_line_refusal(*run_cli(capsys, "predict", "--weights", str(path), "--data", "x"))
    assert refusal.startswith(f"{path}: not a netviz weights file (")
    assert "allow_pickle" not in refusal and "trust" not in refusal


@pytest.fixture
def labelled_csv(tmp_path, tiny_digits) -> Path:
    from netviz.data.csv import write_csv

    write_csv(tmp_path / "digits.csv", tiny_digits)
    return tmp_path / "digits.csv"


def weights_with(tmp_path: Path, note: dict) -> Path:
    path = tmp_path / "w.npz"
    np.savez(path, **layers("float64"), meta=np.array(json.dumps(note)))
    return path


def test_predict_reads_a_preset_given_by_its_name(capsys, tmp_path, labelled_csv):
    path = weights_with(tmp_path, {"preset": "seed"})
    status, out, err = run_cli(
        capsys, "predict", "--weights", str(path), "--data", str(labelled_csv)
    )
    assert (status, err) == (0, "") and out.startswith("20 digits from ")


@pytest.mark.parametrize(
    ("preset", "expected"),
    [
        (5, "its note's 'preset' is '5', neither a recipe nor a preset's name (seed, tuned)"),
        ("fancy", "its note's 'preset' is 'fancy', neither a recipe nor a preset's name "
         "(seed, tuned)"),
        ({"activation": 5}, "its note's recipe has activation '5' and scale_pixels 'False'; "
         "expected a name and true or false"),
        ({"scale_pixels": "yes"}, "its note's recipe has activation 'sigmoid' and scale_pixels "
         "'yes'; expected a name and true or false"),
    ],
)  # fmt: skip
def test_predict_refuses_a_note_that_is_not_a_recipe(
    capsys, tmp_path, labelled_csv, preset, expected
):
    path = weights_with(tmp_path, {"preset": preset})
    argv = ("predict", "--weights", str(path), "--data", str(labelled_csv))
    assert one_line_refusal(*run_cli(capsys, *argv)) == f"{path}: {expected}"


def test_predict_accepts_a_csv_without_labels_and_train_refuses_it(capsys, tmp_path, tiny_digits):
    """README: a file without ``label`` is accepted by ``predict`` (it cannot be split to train)."""
    from netviz.data import Digits
    from netviz.data.csv import write_csv

    unlabelled = tmp_path / "no-label.csv"
    write_csv(unlabelled, Digits(tiny_digits.images, None, "tiny"))
    weights = weights_with(tmp_path, {"preset": "seed"})
    status, out, err = run_cli(
        capsys, "predict", "--weights", str(weights), "--data", str(unlabelled)
    )
    assert (status, err) == (0, "") and out.splitlines()[:2] == [
        f"20 digits from {unlabelled}",
        "ImageId,Label",
    ]
    refusal = one_line_refusal(*run_cli(capsys, "train", "--data", str(unlabelled), "--no-trace"))
    assert refusal == f"{unlabelled} has no labels, so it cannot be split to train and test"


# --- data files: decompressed with a limit ------------------------------------------------------


def test_a_gzip_bomb_is_refused_at_the_limit_without_inflating_it_all(
    capsys, tmp_path, monkeypatch
):
    import netviz.data.files

    limit = 8 * 2**20
    monkeypatch.setattr(netviz.data.files, "data_limit", lambda: limit, raising=False)
    bomb = tmp_path / "bomb.csv.gz"
    expanded = 8 * limit  # 64 MiB of zeros, compressed to about 64 KiB
    bomb.write_bytes(gzip.compress(b"\0" * expanded, compresslevel=1))
    tracemalloc.start()
    try:
        result = run_cli(capsys, "train", "--data", str(bomb), "--no-trace")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    refusal = one_line_refusal(*result)
    assert refusal.startswith(f"{bomb}: too large: more than 8.0 MiB once decompressed; ")
    assert peak < 3 * limit < expanded  # it stopped near the limit, long before 64 MiB


def test_a_data_file_larger_than_the_limit_is_not_read(capsys, tmp_path, monkeypatch):
    import netviz.data.files

    monkeypatch.setattr(netviz.data.files, "data_limit", lambda: 2**20, raising=False)
    big = tmp_path / "big.csv"
    big.write_bytes(b"label\n" + b"1\n" * 2**20)
    refusal = one_line_refusal(*run_cli(capsys, "train", "--data", str(big), "--no-trace"))
    assert refusal.startswith(f"{big}: too large: 2.0 MiB; a data file may hold 1.0 MiB")


# --- data fetch: a killed download leaves nothing -----------------------------------------------


class Stalls(BaseHTTPRequestHandler):
    """Promises 10 MB, sends 64 kB, then waits (a slow mirror) until the test ends."""

    release = threading.Event()

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", str(10 * 2**20))
        self.end_headers()
        self.wfile.write(b"\x1f\x8b" + b"\0" * 65534)
        self.wfile.flush()
        self.release.wait(60)

    def log_message(self, *args: object) -> None:
        pass


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP], ids=["SIGTERM", "SIGHUP"])
def test_a_fetch_ended_by_a_signal_leaves_no_part_file(tmp_path, signum):
    Stalls.release.clear()
    with serve(Stalls) as url:
        child = subprocess.Popen(
            [sys.executable, "-m", "netviz", "data", "fetch", "mnist", "--mirror", url,
             "--dir", str(tmp_path)],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env={**os.environ, "no_proxy": "*"},
        )  # fmt: skip
        try:
            for _ in range(600):  # until the download has begun (at most 60 s)
                parts = list(tmp_path.glob(".*.part"))
                if parts and parts[0].stat().st_size > 0:
                    break
                time.sleep(0.1)
            assert parts, "the download never started"
            child.send_signal(signum)
            status = child.wait(30)
        finally:
            Stalls.release.set()
            child.kill()
            child.wait()
    assert status == 128 + signum
    assert list(tmp_path.iterdir()) == []


def test_the_next_fetch_removes_a_part_file_left_by_a_killed_one(tmp_path, monkeypatch):
    from netviz.data import fetch

    monkeypatch.setenv("no_proxy", "*")
    served = tmp_path / "served"
    served.mkdir()
    contents = {stem: bytes([i]) * 100 for i, stem in enumerate(fetch.CONTENT_SHA256)}
    for stem, content in contents.items():
        (served / f"{stem}.gz").write_bytes(gzip.compress(content, mtime=0))
    pins = {stem: __import__("hashlib").sha256(c).hexdigest() for stem, c in contents.items()}
    monkeypatch.setattr(fetch, "CONTENT_SHA256", pins)
    cache = tmp_path / "cache"
    cache.mkdir()
    stale = cache / ".train-images-idx3-ubyte.gz.k1ll3d.part"  # kill -9 left it an hour ago
    stale.write_bytes(b"\x1f\x8b half")
    os.utime(stale, (time.time() - 3600,) * 2)
    live = cache / ".t10k-labels-idx1-ubyte.gz.n0wrun.part"  # another fetch, writing now
    live.write_bytes(b"\x1f\x8b")
    from http.server import SimpleHTTPRequestHandler

    quiet = type("Quiet", (SimpleHTTPRequestHandler,), {"log_message": lambda *a: None})
    with serve(quiet, served) as url:
        fetch.fetch_mnist(cache, url)
    assert not stale.exists() and live.exists()


# --- absurd options: checked before anything is allocated or parsed -----------------------------

SEVEN_K = "9" * 5000
AT = ["99999999999999999999", "²", SEVEN_K]


@pytest.mark.parametrize("at", AT, ids=["20 digits", "superscript two", "5,000 digits"])
@pytest.mark.parametrize("command", [["trace", "tensors"], ["export", "heatmap"],
                                     ["export", "card"]], ids=" ".join)  # fmt: skip
def test_an_absurd_at_is_no_step_in_one_line(capsys, tmp_path, command, at):
    trace = copy_example(tmp_path)
    refusal = one_line_refusal(*run_cli(capsys, *command, str(trace), "--at", at))
    shown = at if len(at) < 40 else f"{at[:30]}… (5,000 characters)"
    assert refusal == f"{trace}: no step {shown} in this trace (80 steps recorded)"


OPTIONS = [
    (["train", "--layers", "-5", "--epochs", "0", "--no-trace"],
     "argument --layers: hidden widths are whole numbers from 1, like 16,16: '-5'"),
    (["train", "--layers", ",".join(["4"] * 33), "--no-trace"],
     f"argument --layers: 33 hidden layers; at most 32: '{'4,' * 15}… (65 characters)'"),
    (["train", "--epochs", SEVEN_K],
     f"argument --epochs: not a whole number: '{SEVEN_K[:30]}… (5,000 characters)'"),
    (["train", "--epochs", "１２"], "argument --epochs: not a whole number: '１２'"),
    (["train", "--lr", "١"], "argument --lr: not a number: '١'"),
    (["export", "animation", "{trace}", "--what", "grad", "--epochs", f"{SEVEN_K}:1",
      "-o", "{tmp}/a.gif"],
     f"--epochs '{SEVEN_K[:30]}… (5,002 characters)': expected A:B (like 1:40), A: or :B"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("argv", "expected"), OPTIONS, ids=["-5", "33 layers", "5,000 digits", "fullwidth digits",
                                        "Arabic-Indic one", "animation of 5,000 digits"]
)  # fmt: skip
def test_an_absurd_option_is_refused_in_one_plain_line(capsys, tmp_path, argv, expected):
    trace = copy_example(tmp_path)
    filled = [a.format(trace=trace, tmp=tmp_path) for a in argv]
    try:
        result = run_cli(capsys, *filled)
    except SystemExit as stop:  # argparse's refusals
        result = (stop.code, *capsys.readouterr())
    refusal = one_line_refusal(*result)
    assert refusal == expected
    assert "set_int_max_str_digits" not in refusal and "literal for int" not in refusal


# Cases that, unchecked, allocate until memory runs out: run under a 2 GiB address-space limit.
BUDGET = r"more than netviz's memory budget of 512\.0 MiB \(a quarter of this machine's 2\.0 GiB\)"
LIMITED = [
    ("a billion-wide layer", ["train", "--layers", "1000000000", "--no-trace"],
     rf"--layers: a 784-1000000000-10 network \(5\.8 TiB of weights, kept in up to 16 "
     rf"copies\) would need 92\.6 TiB, {BUDGET}; choose narrower layers"),
    ("8.8 GB of layers", ["train", "--layers", "100000,5", "--no-trace"],
     rf"--layers: a 784-100000-5-10 network \(602\.7 MiB of weights, kept in up to 16 copies\) "
     rf"would need 9\.4 GiB, {BUDGET}; choose narrower layers"),
    ("a trillion watched", ["train", "--watch", "0:1000000000000"],
     r"argument --watch: 1,000,000,000,000 numbers in '0:1000000000000'; at most 100,000"),
    ("an animation of 1e11 epochs",
     ["export", "animation", "{trace}", "--what", "grad", "--epochs", "1:99999999999",
      "-o", "{tmp}/a.gif"],
     r"{trace}: epoch 9 was not recorded \(this trace holds epochs 1–8 for --what grad\)"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("argv", "expected"), [c[1:] for c in LIMITED], ids=[c[0] for c in LIMITED]
)
def test_an_option_that_would_exhaust_memory_is_refused_first(tmp_path, argv, expected):
    trace = copy_example(tmp_path)
    filled = [a.format(trace=trace, tmp=tmp_path) for a in argv]
    refusal = one_line_refusal(*limited(*filled))
    assert re.fullmatch(expected.replace("{trace}", re.escape(str(trace))), refusal), refusal


def test_the_sizes_in_the_messages_are_the_layers_own():
    """Independently: 784-100000-5-10 holds 100000·785 + 5·100001 + 10·6 float64 numbers,
    632,000,520 bytes = 602.7 MiB, and 16 copies of it 9.4 GiB (the figures above)."""
    from netviz.safe import COPIES_OF_THE_WEIGHTS, size_text, weights_bytes

    count = 100_000 * 785 + 5 * 100_001 + 10 * 6
    assert weights_bytes([784, 100_000, 5, 10]) == 8 * count == 632_000_520
    assert size_text(632_000_520) == "602.7 MiB"
    assert size_text(COPIES_OF_THE_WEIGHTS * 632_000_520) == "9.4 GiB"


# --- hostile traces: every value checked where the reader hands it out ---------------------------

BREAKPOINT = json.dumps([{"condition": "vanish L1 < " + "9" * 30_000 + "x", "enabled": True}])
TRACES = [
    ("sizes of a billion", ["UPDATE meta SET value = '[784, 1000000000, 16, 10]' "
                            "WHERE key = 'sizes'"], ["trace", "info"],
     r"damaged metadata: 'sizes' is \[784, 1000000000, 16, 10\]: a 784-1000000000-16-10 "
     r"network \(5\.8 TiB of weights, kept in up to 16 copies\) would need 93\.2 TiB, more than "
     r"netviz's memory budget of .*"),
    ("sizes as text", ["UPDATE meta SET value = '[\"x\", 16, 10]' WHERE key = 'sizes'"],
     ["trace", "info"], r"damaged metadata: 'sizes' is \['x', 16, 10\]: not whole numbers from 1"),
    ("a breakpoint of 30,000 digits", [f"UPDATE meta SET value = '{BREAKPOINT}' "
                                       "WHERE key = 'breakpoints'"], ["trace", "info"],
     r"damaged metadata: 'breakpoints' is \[\{'condition': 'vanish L1 < 99… \(30,049 characters\): "
     r"entry 0: a condition of 30,013 characters \(at most 200\)"),
    ("a seed of 5,000 digits", [f"UPDATE meta SET value = '{SEVEN_K}' WHERE key = 'seed'"],
     ["trace", "info"], r"damaged metadata: 'seed' is not JSON"),
    ("alpha 'x' in the metadata", ["UPDATE meta SET value = '\"x\"' WHERE key = 'alpha'"],
     ["trace", "info"], r"damaged metadata: 'alpha' is x: not a number"),
    ("epochs 9e18 in the metadata", ["UPDATE meta SET value = '9e18' WHERE key = 'epochs'"],
     ["trace", "info"],
     r"damaged metadata: 'epochs' is 9e\+18: not a whole number"),
    ("cost 'abc'", ["UPDATE metrics SET cost = 'abc' WHERE epoch = 3"],
     ["export", "curves", "{trace}", "-o", "{tmp}/c.png"],
     r"damaged trace \(epoch 3's cost is abc: not a number\)"),
    ("alpha 'x' in the metrics", ["UPDATE metrics SET alpha = 'x' WHERE epoch = 2"],
     ["export", "heatmap", "{trace}", "--epoch", "2", "--what", "update"],
     r"damaged trace \(epoch 2's alpha is x: not a number\)"),
    ("a W1 checkpoint of the wrong shape",
     ["UPDATE checkpoints SET shape = '[784, 16]' WHERE name = 'W1' AND epoch = 0"],
     ["export", "animation", "{trace}", "--what", "weight", "--epochs", "0:2", "-o",
      "{tmp}/a.gif"],
     r"damaged tensor 'W1': shape \(784, 16\) in a 784-16-16-10 network"),
    ("a checkpoint without b2", ["DELETE FROM checkpoints WHERE name = 'b2' AND epoch = 0"],
     ["export", "heatmap", "{trace}", "--epoch", "3", "--what", "weight"],
     r"damaged trace \(the checkpoint of epoch 0 holds W1, W2, W3, b1, b3\)"),
    ("an op's x of the wrong length", ["UPDATE tensors SET shape = '[392, 2]' WHERE name = 'x' "
                                       "AND step = 1"],
     ["export", "card", "{trace}", "--at", "e0/x0/bwd/L1/dW"],
     r"damaged tensor 'x': shape \(392, 2\)"),
    ("a step whose epoch is text", ["UPDATE steps SET epoch = 'x' WHERE step = 1"],
     ["trace", "tensors", "{trace}", "--at", "1"],
     r"damaged trace \(step 1's epoch is x: not a whole number\)"),
    ("a tensor with a shape of 9 dimensions",
     ["UPDATE tensors SET shape = '[1,1,1,1,1,1,1,1,1]' WHERE step = 1"],
     ["trace", "tensors", "{trace}", "--at", "1"],
     r"damaged tensor '.*': bad shape \[1,1,1,1,1,1,1,1,1\]"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("sql", "argv", "expected"), [t[1:] for t in TRACES], ids=[t[0] for t in TRACES]
)
def test_a_hostile_trace_value_is_refused_in_one_line(capsys, tmp_path, sql, argv, expected):
    trace = copy_example(tmp_path, "run.nvtrace", *sql)
    if argv[-1] in ("info",):
        argv = [*argv, "{trace}"]
    filled = [a.format(trace=trace, tmp=tmp_path) for a in argv]
    refusal = one_line_refusal(*run_cli(capsys, *filled))
    assert re.fullmatch(f"{re.escape(str(trace))}: {expected}", refusal), refusal


def test_example_pixels_of_the_wrong_length_are_refused_before_replay_draws_them(tmp_path):
    from netviz.session.replay import Replay
    from netviz.trace import TraceError, TraceReader

    trace = copy_example(tmp_path, "run.nvtrace", "UPDATE examples SET pixels = x'0102' "
                         "WHERE example = 0")  # fmt: skip
    expected = f"{trace}: damaged trace (example 0's pixels are 2 bytes, not 784)"
    with TraceReader(trace) as reader, pytest.raises(TraceError) as caught:
        reader.example(0)
    assert str(caught.value) == expected
    with pytest.raises(TraceError) as caught:
        Replay(trace)
    assert str(caught.value) == expected


LIMITED_TRACES = [
    ("replay of sizes of a billion",
     ["UPDATE meta SET value = '[784, 1000000000, 16, 10]' WHERE key = 'sizes'"],
     ["replay", "{trace}"],
     r"damaged metadata: 'sizes' is \[784, 1000000000, 16, 10\]: a 784-1000000000-16-10 network "
     rf"\(5\.8 TiB of weights, kept in up to 16 copies\) would need 93\.2 TiB, {BUDGET}"),
    ("an epoch of 9e18", ["UPDATE metrics SET epoch = 9000000000000000000 WHERE epoch = 8"],
     ["export", "animation", "{trace}", "--what", "grad", "-o", "{tmp}/a.gif"],
     r"damaged trace \(the metrics rows' epochs run 1–9000000000000000000, outside "
     r"1–1,000,000,000\)"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("sql", "argv", "expected"), [t[1:] for t in LIMITED_TRACES], ids=[t[0] for t in LIMITED_TRACES]
)
def test_a_hostile_trace_value_that_would_exhaust_memory_is_refused(tmp_path, sql, argv, expected):
    trace = copy_example(tmp_path, "run.nvtrace", *sql)
    filled = [a.format(trace=trace, tmp=tmp_path) for a in argv]
    refusal = one_line_refusal(*limited(*filled))
    assert re.fullmatch(f"{re.escape(str(trace))}: {expected}", refusal), refusal


def test_a_sparse_array_claiming_400_million_entries_is_refused_from_its_shape(tmp_path):
    """The ``nonzero`` encoding: a 50 MB mask of a (20000, 20000) array, all zeros. Decoding it
    would take 3.2 GB; the stored shape says so before anything is made."""
    size = 20_000 * 20_000
    mask = bytes((size + 7) // 8)
    trace = copy_example(tmp_path)
    with contextlib.closing(sqlite3.connect(trace)) as db:
        db.execute(
            "UPDATE tensors SET shape = '[20000, 20000]', encoding = 'nonzero', crc32 = ?, "
            "data = ? WHERE name = 'dW1' AND step = (SELECT step FROM steps WHERE address = 'e8')",
            [zlib.crc32(mask), mask],
        )
        db.commit()
    refusal = one_line_refusal(*limited("trace", "tensors", str(trace), "--at", "e8"))
    need = size * 8 / GiB
    assert re.fullmatch(
        rf"{re.escape(str(trace))}: damaged tensor 'dW1': a \(20000, 20000\) float64 array "
        rf"would need {need:.1f} GiB, {BUDGET}",
        refusal,
    ), refusal


# --- trace creation: atomic; readers wait for a trace being created ------------------------------


def test_a_trace_made_by_another_run_after_the_check_is_refused_as_existing(tmp_path, monkeypatch):
    """The race: between this writer's look and its creation, another run made the file."""
    from netviz.errors import NetvizError
    from netviz.trace import TraceWriter

    theirs = copy_example(tmp_path, "same.nvtrace")
    before = theirs.read_bytes()
    real_exists = Path.exists
    monkeypatch.setattr(Path, "exists", lambda p: False if p == theirs else real_exists(p))
    with pytest.raises(NetvizError) as caught:
        TraceWriter(theirs, {"sizes": [784, 16, 10]}, layers=2)
    assert str(caught.value) == f"{theirs}: already exists; choose another trace name"
    assert theirs.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["same.nvtrace"]  # no temporary left


def test_of_two_writers_started_together_one_creates_and_one_is_told(tmp_path):
    from netviz.errors import NetvizError
    from netviz.trace import TraceReader, TraceWriter

    def write(path: Path, start: threading.Barrier, outcomes: list, seed: int) -> None:
        start.wait()
        try:
            TraceWriter(path, {"seed": seed}, layers=1).close()
            outcomes.append("created")
        except NetvizError as e:
            outcomes.append(str(e))
        except Exception as e:  # noqa: BLE001 - the race's old failure, reported
            outcomes.append(f"{type(e).__name__}: {e}")

    for round_ in range(20):
        path = tmp_path / f"same{round_}.nvtrace"
        start, outcomes = threading.Barrier(2), []
        threads = [
            threading.Thread(target=write, args=(path, start, outcomes, i)) for i in range(2)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(outcomes) == [
            f"{path}: already exists; choose another trace name",
            "created",
        ], outcomes
        with TraceReader(path) as reader:
            assert reader.meta["seed"] in (0, 1)


def test_a_reader_waits_for_a_trace_that_is_being_created(tmp_path):
    from netviz.trace import TraceReader

    path = tmp_path / "new.nvtrace"
    path.write_bytes(b"")  # the moment an exclusive create has made the name, empty

    def finish() -> None:
        time.sleep(0.3)
        tmp = Path(shutil.copy(EXAMPLE, tmp_path / ".new.tmp"))
        os.replace(tmp, path)

    writer = threading.Thread(target=finish)
    writer.start()
    try:
        with TraceReader(path) as reader:
            assert reader.meta["sizes"] == [784, 16, 16, 10]
    finally:
        writer.join()


def test_a_fresh_file_that_stays_empty_is_refused_as_still_being_created(capsys, tmp_path):
    path = tmp_path / "new.nvtrace"
    path.write_bytes(b"")
    refusal = one_line_refusal(*run_cli(capsys, "trace", "info", str(path)))
    assert refusal == f"{path}: still being created (no tables yet): try again in a moment"


def test_budget_is_a_quarter_of_the_machine_or_of_its_address_space_limit():
    """In a subprocess under a 2 GiB limit: 512 MiB, whatever the machine has."""
    code = "from netviz.safe import memory_budget; print(memory_budget())"
    import resource

    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_AS, (LIMIT, LIMIT)),
    )
    physical = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    assert int(done.stdout) == min(physical, LIMIT) // 4
    assert int(done.stdout) == 512 * 2**20 or physical < LIMIT


def test_replay_shows_a_hostile_preset_equation_and_file_name_visibly_and_sends_none(tmp_path):
    """Issue 11: replay wrote the preset's name and a step's equation raw (\\x1b[2J blanked the
    screen, OSC 0 set the title). Every character on the screen is printable; the escapes show."""
    import asyncio

    from helpers import screen_text

    from netviz.session.replay import Replay
    from netviz.tui.app import create_app

    preset = json.dumps({"name": HOSTILE, "activation": "seed-sigmoid"})
    path = copy_example(
        tmp_path,
        "run\x1b[2J.nvtrace",
        f"UPDATE meta SET value = '{preset}' WHERE key = 'preset'",
        "UPDATE steps SET equation = 'Z1 = W1·x + b1\x1b[2J[/b][red]' WHERE step = 1",
    )

    async def shown() -> tuple[str, str]:
        with Replay(path) as replay:
            app = create_app(replay)
            async with app.run_test(size=(200, 50)) as pilot:
                await pilot.pause()
                return screen_text(app), app.sub_title

    text, title = asyncio.run(shown())
    assert "\\x1b[2J" in text and "\\x1b]0;owned" in text  # the preset's name, shown
    assert "b1\\x1b[2J[/b][red]" in text  # the equation, its markup shown as text
    assert "\\x1b[2J.nvtrace" in title
    unprintable = {c for c in text + title if not c.isprintable() and c != "\n"}
    assert not unprintable


def _wide_dZ3() -> list[str]:
    """Step 8 (e0/x0/bwd/L3/dZ) holding a well-formed (10, 2) dZ3: two columns in one pass."""
    import numpy as np

    from netviz.trace.schema import encode

    dtype, shape, encoding, crc, data = encode(np.ones((10, 2)))
    return [
        f"UPDATE tensors SET dtype = '{dtype}', shape = '{shape}', encoding = '{encoding}', "
        f"crc32 = {crc}, data = x'{data.hex()}' WHERE step = 8 AND name = 'dZ3'"
    ]


@pytest.mark.parametrize(
    ("sql", "problem"),
    [
        (
            ["UPDATE steps SET phase = 'zzz' WHERE step = 1"],
            "phase is zzz: not one of fwd, cost, bwd, upd",
        ),
        (["UPDATE steps SET op = '[/b]' WHERE step = 1"], "op is [/b]: not one of Z, A"),
        (["UPDATE steps SET layer = 9 WHERE step = 2"], "layer 9 of a 3-layer network"),
        (_wide_dZ3(), "dZ3 is (10, 2), not one column"),
    ],
    ids=["unknown-phase", "markup-op", "layer-beyond-the-network", "two-column-dZ3"],
)
def test_step_texts_and_pass_arrays_the_screens_look_up_are_checked(tmp_path, sql, problem):
    """A second read found these crash replay (KeyError in the title, MarkupError in a border
    title, a reshape in the inspector): the reader refuses them where it hands them out."""
    from netviz.session.replay import Replay
    from netviz.trace import TraceError

    trace = copy_example(tmp_path, "run.nvtrace", *sql)
    with pytest.raises(TraceError) as caught:
        with Replay(trace) as replay:
            replay.snapshot()
    message = str(caught.value)
    assert message.startswith(f"{trace}: ") and problem in message and "\n" not in message


def test_train_on_a_full_disk_stops_in_one_line_and_keeps_the_weights_the_trace_ends_at(
    capsys, tmp_path, monkeypatch
):
    """The trace's disk fills mid-run: one line naming the file and the epoch training stopped
    after, status 2, no traceback; the weights after that epoch are reported and saved, and
    they are the weights the trace rebuilds for its last epoch."""
    from netviz.trace import TraceReader
    from netviz.training.weights import load_weights

    disk_fills_after(monkeypatch, 600)
    trace, out = tmp_path / "full.nvtrace", tmp_path / "w.npz"
    status, stdout, err = run_cli(
        capsys, "train", "--epochs", "300", "--train-size", "300", "--test-size", "100",
        "--trace", str(trace), "--out", str(out),
    )  # fmt: skip
    refusal = one_line_refusal(status, stdout, err)
    done = int(re.search(r"training stopped after epoch (\d+), the last it holds$", refusal)[1])
    assert refusal.startswith(f"{trace}: cannot write to the trace (database or disk")
    assert 2 <= done < 300
    assert f"at the final weights, after epoch {done}'s update:" in stdout
    saved, _ = load_weights(out)
    with TraceReader(trace) as t:
        assert t.epochs()[-1] == done and t.final() is None
        kept = t.weights(done)
    for a, b in zip(saved.W + saved.b, kept.W + kept.b, strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize(
    ("record", "failing", "done", "said"),
    [
        # the closing checkpoint fails: every epoch is in the trace, the weights are saved
        ("default", 3, 3, "; training had finished"),
        # an epoch and its checkpoint are one write: epoch 2 is not in the trace, nor trained
        ("minimal", 2, 1, "; training stopped after epoch 1, the last it holds"),
    ],
)
def test_a_checkpoint_that_cannot_be_written_leaves_a_whole_trace_and_the_weights(
    capsys, tmp_path, monkeypatch, record, failing, done, said
):
    """Whichever write the full disk hits, the trace ends at a whole epoch whose weights it
    rebuilds, the weights saved are those, and one line says so with status 2."""
    from netviz.trace import TraceReader
    from netviz.training.weights import load_weights

    checkpoints_fail_from(monkeypatch, failing)
    trace, out = tmp_path / "t.nvtrace", tmp_path / "w.npz"
    status, stdout, err = run_cli(
        capsys, "train", "--epochs", "3", "--train-size", "300", "--test-size", "100",
        "--record", record, "--trace", str(trace), "--out", str(out),
    )  # fmt: skip
    refusal = one_line_refusal(status, stdout, err)
    assert refusal.startswith(f"{trace}: cannot write to the trace (database or disk is full)")
    assert refusal.endswith(said)
    saved, _ = load_weights(out)
    with TraceReader(trace) as t:
        assert t.epochs() == list(range(1, done + 1))
        kept = t.weights(done)
    for a, b in zip(saved.W + saved.b, kept.W + kept.b, strict=True):
        np.testing.assert_array_equal(a, b)
