"""``netviz predict``: classify digits with saved weights; Kaggle's ImageId,Label rows, or one
line per image file (``--image``)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..core.activations import Activation, activation
from ..core.network import Params, as_inputs, forward
from ..core.network import predict as predict_digits
from ..data import load_source
from ..errors import NetvizError
from ..files import atomic_writer
from ..safe import literal, shown
from ..training.weights import load_weights

SHOWN = 20  # rows printed when there is no -o


def predict(
    weights: str, data: str | None, out: str | None, images: Sequence[str] | None = None
) -> int:
    """Predict the digits of ``data`` (an IDX folder's official test set, when it has one);
    print the accuracy when they have labels; write ``out`` or show the first rows. With
    ``images`` instead, one line per image file: ``FILE: D (P %)``."""
    params, meta = load_weights(weights)
    name, scale = recipe_of(weights, meta.get("preset", {}))
    try:
        hidden = activation(name)
    except ValueError as e:
        raise NetvizError(f"{weights}: {e}") from None
    if images:
        if out:
            raise NetvizError("-o writes ImageId,Label rows for --data; --image prints its lines")
        return _predict_images(params, hidden, scale, images)
    if data is None:
        raise NetvizError("predict needs --data FILE or --image FILE …")
    source = load_source(data)
    rows = source.official_test if source.official_test is not None else source.rows
    X = as_inputs(rows.images, params.dtype, scale)
    if X.shape[0] != params.sizes[0]:
        raise NetvizError(
            f"{weights}: the network takes {params.sizes[0]} inputs, {data} has {X.shape[0]}"
        )
    with np.errstate(over="ignore", invalid="ignore"):
        digits = predict_digits(params, X, hidden)
    print(f"{len(rows):,} digits from {literal(rows.origin)}")
    if rows.labels is not None:
        right = 100 * np.mean(digits == rows.labels)
        print(f"accuracy: {right:.2f} %")
    if out:
        with atomic_writer(out, "w") as f:
            f.write("ImageId,Label\n")
            f.writelines(f"{i},{d}\n" for i, d in enumerate(digits, start=1))
        print(f"wrote {len(digits):,} predictions to {literal(out)}")
    elif rows.labels is None:
        print("ImageId,Label")
        print("\n".join(f"{i},{d}" for i, d in enumerate(digits[:SHOWN], start=1)))
        if len(digits) > SHOWN:
            print(f"… the first {SHOWN} of {len(digits):,}; -o FILE.csv writes them all")
    return 0


def _predict_images(params: Params, hidden: Activation, scale: bool, files: Sequence[str]) -> int:
    """Print ``FILE: D (P %)`` for each image: its digit and ŷ of that digit, in percent.

    Every image is read before anything is printed, so a bad one is refused (exit 2) with
    nothing half done, as every refusal is.
    """
    from ..data.images import read_digit

    if params.sizes[0] != 784:
        raise NetvizError(f"an image is 784 pixels (28×28); the network takes {params.sizes[0]}")
    pixels = np.stack([read_digit(f).pixels for f in files])  # (n, 784) uint8
    X = as_inputs(pixels, params.dtype, scale)  # (784, n), scaled as the weights were trained
    with np.errstate(over="ignore", invalid="ignore"):
        yhat = forward(params, X, hidden)[f"A{len(params.W)}"]  # (10, n)
    for f, column in zip(files, yhat.T, strict=True):
        digit = int(column.argmax())
        print(f"{literal(f)}: {digit} ({100 * column[digit]:.1f} %)")
    return 0


def recipe_of(weights: str, recipe: object) -> tuple[str, bool]:
    """(hidden activation's name, whether pixels are scaled) from the weights' note: a recipe
    as ``netviz train`` saves it, or a preset's name; anything else is refused in one line."""
    from ..core.presets import PRESETS

    if isinstance(recipe, str) and recipe in PRESETS:
        recipe = PRESETS[recipe].recipe()
    if not isinstance(recipe, dict):
        raise NetvizError(
            f"{weights}: its note's 'preset' is '{shown(recipe)}', neither a recipe nor a "
            f"preset's name ({', '.join(PRESETS)})"
        )
    name, scale = recipe.get("activation", "sigmoid"), recipe.get("scale_pixels", False)
    if not isinstance(name, str) or not isinstance(scale, bool):
        raise NetvizError(
            f"{weights}: its note's recipe has activation '{shown(name)}' and scale_pixels "
            f"'{shown(scale)}'; expected a name and true or false"
        )
    return name, scale
