"""``netviz predict``: classify digits with saved weights; Kaggle's ImageId,Label rows."""

from __future__ import annotations

import numpy as np

from ..core.activations import activation
from ..core.network import as_inputs
from ..core.network import predict as predict_digits
from ..data import load_source
from ..errors import NetvizError
from ..weights import load_weights


def predict(weights: str, data: str, out: str | None) -> int:
    """Predict every row of ``data``; print accuracy when it has labels; write ``out`` if given."""
    params, meta = load_weights(weights)
    recipe = meta.get("preset", {})
    try:
        hidden = activation(recipe.get("activation", "sigmoid"))
    except ValueError as e:
        raise NetvizError(f"{weights}: {e}") from None
    rows = load_source(data).rows
    X = as_inputs(rows.images, params.dtype, bool(recipe.get("scale_pixels", False)))
    if X.shape[0] != params.sizes[0]:
        raise NetvizError(
            f"{weights}: the network takes {params.sizes[0]} inputs, {data} has {X.shape[0]}"
        )
    digits = predict_digits(params, X, hidden)
    if rows.labels is not None:
        right = 100 * np.mean(digits == rows.labels)
        print(f"accuracy: {right:.2f} % of {len(rows):,} labelled digits")
    if out:
        _write(out, digits)
        print(f"wrote {len(digits):,} predictions to {out}")
    elif rows.labels is None:
        for i, d in enumerate(digits[:20], start=1):
            print(f"{i},{d}")
    return 0


def _write(out: str, digits: np.ndarray) -> None:
    import os
    import tempfile
    from pathlib import Path

    path = Path(out)
    folder = path.parent if str(path.parent) else Path(".")
    try:
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
        with os.fdopen(fd, "w") as f:
            f.write("ImageId,Label\n")
            f.writelines(f"{i},{d}\n" for i, d in enumerate(digits, start=1))
        os.replace(tmp, path)
    except OSError as e:
        raise NetvizError(f"{out}: cannot write ({e.strerror or e})") from None
