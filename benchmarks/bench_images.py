"""Digits from image files: MNIST test digits drawn large on paper, read back through ``--image``.

    python benchmarks/bench_images.py [--mnist ../shared/data/mnist] [--n 1000]
                                      [--weights FILE.npz] [--seed 0] [--no-write]

Trains the tuned preset on MNIST (500 full-batch epochs on the seed split, about a minute), or
reuses ``--weights`` when that file exists. Then takes the first N digits of MNIST's official
test set (t10k: never trained on), and draws each one as a picture of it would look:

- ``clean``: enlarged 3–5× (bicubic, so edges are smooth as a pen's, not blocky), dark ink on
  white paper, somewhere off-centre on a canvas up to three times its size, saved as PNG;
- ``photo``: the same, then lit unevenly (a lamp's gradient from a random side, dimmer
  corners), with sensor noise, ink that absorbs light rather than paint, saved as JPEG.

Each set goes through ``netviz predict --image`` (the command's function, in-process) and its
accuracy is set beside the same weights' accuracy on the same digits as the data set holds them.
The drawing is seeded; no file in the test or here is tuned to. Writes the "bench_images"
section of benchmarks/RESULTS.md (``--no-write``: print only).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

HERE = Path(__file__).parent


def draw(digit: np.ndarray, rng: np.random.Generator, photo: bool) -> Image.Image:
    """A picture of ``digit`` (784,) uint8, ink bright: dark ink on light paper, enlarged and
    off-centre; with ``photo``, unevenly lit and noisy."""
    side = int(round(28 * rng.uniform(3, 5)))
    ink = Image.fromarray(digit.reshape(28, 28)).resize((side, side), Image.Resampling.BICUBIC)
    H, W = side + rng.integers(side // 4, 2 * side, size=2)
    top, left = rng.integers(0, H - side + 1), rng.integers(0, W - side + 1)
    cover = np.zeros((H, W))
    cover[top : top + side, left : left + side] = np.asarray(ink) / 255
    if not photo:
        return Image.fromarray(np.round(255 * (1 - cover)).astype(np.uint8))
    y, x = np.mgrid[0:H, 0:W] / np.array([H, W])[:, None, None]
    angle = rng.uniform(0, 2 * np.pi)
    along = np.cos(angle) * (x - 0.5) + np.sin(angle) * (y - 0.5)  # towards the lamp
    light = rng.uniform(0.7, 0.9) + rng.uniform(0.1, 0.3) * along
    light -= rng.uniform(0, 0.3) * ((x - 0.5) ** 2 + (y - 0.5) ** 2)  # dimmer corners
    tint = np.array([1.0, rng.uniform(0.93, 1.0), rng.uniform(0.82, 0.97)])  # warm lamp light
    shade = light * (1 - rng.uniform(0.7, 0.9) * cover)  # ink absorbs a share of the light
    rgb = shade[..., None] * tint + rng.normal(0, rng.uniform(0.01, 0.04), (H, W, 3))
    return Image.fromarray(np.round(255 * np.clip(rgb, 0, 1)).astype(np.uint8))


def through_image_path(weights: Path, files: list[Path]) -> tuple[np.ndarray, float]:
    """(digits predicted by ``netviz predict --weights W --image FILES``, seconds it took)."""
    from netviz.commands.predict import predict

    out = io.StringIO()
    start = time.perf_counter()
    with contextlib.redirect_stdout(out):
        predict(str(weights), None, None, [str(f) for f in files])
    seconds = time.perf_counter() - start
    lines = out.getvalue().splitlines()
    assert len(lines) == len(files)
    return np.array([int(line.rsplit(": ", 1)[1].split()[0]) for line in lines]), seconds


def train(mnist: str, weights: Path) -> float:
    """``netviz train --data MNIST --preset tuned --out W``: seconds taken."""
    start = time.perf_counter()
    argv = [sys.executable, "-m", "netviz", "train", "--data", mnist, "--preset", "tuned",
            "--no-trace", "--out", str(weights)]  # fmt: skip
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mnist", default=str(HERE.parent.parent / "shared" / "data" / "mnist"))
    ap.add_argument("--n", type=int, default=1000, help="test digits drawn (first N of t10k)")
    ap.add_argument("--weights", help="reuse these weights if the file exists (else train)")
    ap.add_argument("--seed", type=int, default=0, help="seed of the drawing")
    ap.add_argument("--no-write", action="store_true", help="print only; leave RESULTS.md alone")
    args = ap.parse_args()
    if not Path(args.mnist).is_dir():
        sys.exit(f"skipped: needs the full MNIST set in {args.mnist} (absent)")

    from netviz.commands.predict import _recipe
    from netviz.core.activations import activation
    from netviz.core.network import as_inputs, predict
    from netviz.data import load_source
    from netviz.training.weights import load_weights

    rows: list[tuple[str, str, str]] = []

    def row(what: str, value: str, note: str = "") -> None:
        rows.append((what, value, note))
        print(f"{what:<58} {value:>10}  {note}")

    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        weights = Path(args.weights) if args.weights else tmp / "tuned.npz"
        if not weights.exists():
            row(
                "training the tuned preset (500 epochs, seed split)",
                f"{train(args.mnist, weights):.0f} s",
            )
        params, meta = load_weights(weights)
        name, scale = _recipe(str(weights), meta.get("preset", {}))
        test = load_source(args.mnist).official_test
        images, labels = test.images[: args.n], test.labels[: args.n]
        X = as_inputs(images, params.dtype, scale)  # (784, n)
        from_rows = predict(params, X, activation(name))
        row(f"data set: the first {args.n:,} t10k digits as MNIST holds them",
            f"{100 * np.mean(from_rows == labels):.1f} %", "accuracy")  # fmt: skip
        rng = np.random.default_rng(args.seed)
        for kind, suffix in (("clean", "png"), ("photo", "jpg")):
            files = []
            for i, digit in enumerate(images):
                files.append(tmp / f"{kind}{i}.{suffix}")
                options = {"quality": 85} if suffix == "jpg" else {}
                draw(digit, rng, photo=kind == "photo").save(files[-1], **options)
            from_files, seconds = through_image_path(weights, files)
            what = {"clean": "PNG, dark on white", "photo": "JPEG, uneven light, noise"}[kind]
            row(f"`--image`: the same digits drawn 3–5× large, {what}",
                f"{100 * np.mean(from_files == labels):.1f} %",
                f"accuracy; same digit as from the data set: "
                f"{100 * np.mean(from_files == from_rows):.1f} %")  # fmt: skip
            per_image = f"{1000 * seconds / len(files):.0f} ms"
            row(f"… time per image ({kind}), read, preprocessed, predicted", per_image)
    if not args.no_write:
        write_results(rows, args, weights if args.weights else None)


def write_results(rows, args, weights: Path | None) -> None:
    sys.path.insert(0, str(HERE))
    from results_file import cpu_name, table, write_section

    made = f"`{weights}`" if weights else "the tuned preset trained here (seed split, 500 epochs)"
    lines = [
        "## Digits from image files (bench_images.py)",
        "",
        f"Measured {time.strftime('%Y-%m-%d')} on {cpu_name()} ({os.cpu_count()} cores): weights "
        f"{made}; the first {args.n:,} digits of MNIST's official test set, each drawn 3–5× "
        "as large (bicubic) as dark ink on light paper, off-centre on a canvas up to 3× its "
        f"size (drawing seed {args.seed}), read back through `netviz predict --image`.",
        "",
        table(rows),
    ]
    write_section("bench_images", "\n".join(lines))


if __name__ == "__main__":
    main()
