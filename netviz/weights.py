"""Weights on disk: ``.npz`` files of W1, b1, … and a JSON note of how they were made.

Never pickled: the note is stored as a unicode string array and read with ``allow_pickle=False``.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np

from .core.network import Params
from .errors import NetvizError
from .files import atomic_writer


def save_weights(path: str | Path, params: Params, meta: dict) -> Path:
    """Write ``params`` and ``meta`` to ``path`` atomically (a killed write leaves no half file)."""
    path = Path(path)
    if path.suffix != ".npz":
        raise NetvizError(f"{path}: weights are saved as .npz; give a name ending in .npz")
    with atomic_writer(path) as f:
        np.savez(f, **params.named(), meta=np.array(json.dumps(meta)))
    return path


def load_weights(path: str | Path) -> tuple[Params, dict]:
    """``(params, meta)`` from a file written by :func:`save_weights`; refuse anything else."""
    path = Path(path)
    if not path.is_file():
        raise NetvizError(f"{path}: no such weights file")
    try:
        with np.load(path, allow_pickle=False) as z:
            arrays = {k: z[k] for k in z.files}
    except (ValueError, OSError, zipfile.BadZipFile, EOFError) as e:
        raise NetvizError(f"{path}: not a netviz weights file ({e})") from None
    meta = _meta(path, arrays.pop("meta", None))
    L = sum(1 for k in arrays if k.startswith("W"))
    expected = {f"{p}{l}" for l in range(1, L + 1) for p in "Wb"}
    if L == 0 or set(arrays) != expected:
        found = ", ".join(sorted(arrays)) or "nothing"
        raise NetvizError(f"{path}: expected arrays W1, b1, …; found {found}")
    dtype = arrays["W1"].dtype
    for l in range(1, L + 1):
        W, b = arrays[f"W{l}"], arrays[f"b{l}"]
        if W.ndim != 2 or b.shape != W.shape[:1] or W.dtype.kind != "f" or b.dtype.kind != "f":
            raise NetvizError(f"{path}: W{l} {W.shape} and b{l} {b.shape} do not make a layer")
        if W.dtype != dtype or b.dtype != dtype:
            raise NetvizError(
                f"{path}: layers mix {dtype} and {W.dtype if W.dtype != dtype else b.dtype}"
            )
        if l > 1 and W.shape[1] != arrays[f"W{l - 1}"].shape[0]:
            previous = arrays[f"W{l - 1}"].shape[0]
            raise NetvizError(
                f"{path}: W{l} takes {W.shape[1]} inputs but layer {l - 1} has {previous} neurons"
            )
    if arrays[f"W{L}"].shape[0] != 10:
        raise NetvizError(
            f"{path}: the last layer has {arrays[f'W{L}'].shape[0]} outputs, not 10 digits"
        )
    return Params.from_named(arrays), meta


def _meta(path: Path, stored: np.ndarray | None) -> dict:
    """The JSON note saved beside the weights ({} when there is none)."""
    if stored is None:
        return {}
    try:
        meta = json.loads(str(stored))
    except json.JSONDecodeError:
        meta = None
    if not isinstance(meta, dict):
        raise NetvizError(f"{path}: its 'meta' entry is not a JSON object")
    return meta
