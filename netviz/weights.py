"""Weights on disk: ``.npz`` files of W1, b1, … and a JSON note of how they were made.

Never pickled: the note is stored as a unicode string array and read with ``allow_pickle=False``.
"""

from __future__ import annotations

import json
import os
import tempfile
import zipfile
from pathlib import Path

import numpy as np

from .core.network import Params
from .errors import NetvizError


def save_weights(path: str | Path, params: Params, meta: dict) -> Path:
    """Write ``params`` and ``meta`` to ``path`` atomically (a killed write leaves no half file)."""
    path = Path(path)
    if path.suffix != ".npz":
        raise NetvizError(f"{path}: weights are saved as .npz; give a name ending in .npz")
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise NetvizError(f"{path}: folder {folder} does not exist")
    arrays = {**params.named(), "meta": np.array(json.dumps(meta))}
    try:
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **arrays)
        os.replace(tmp, path)
    except OSError as e:
        raise NetvizError(f"{path}: cannot write weights ({e.strerror or e})") from None
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
    meta = json.loads(str(arrays.pop("meta"))) if "meta" in arrays else {}
    L = sum(1 for k in arrays if k.startswith("W"))
    expected = {f"{p}{l}" for l in range(1, L + 1) for p in "Wb"}
    if L == 0 or set(arrays) != expected:
        found = ", ".join(sorted(arrays)) or "nothing"
        raise NetvizError(f"{path}: expected arrays W1, b1, …; found {found}")
    for l in range(1, L + 1):
        W, b = arrays[f"W{l}"], arrays[f"b{l}"]
        if W.ndim != 2 or b.shape != W.shape[:1] or W.dtype.kind != "f":
            raise NetvizError(f"{path}: W{l} {W.shape} and b{l} {b.shape} do not make a layer")
        if l > 1 and W.shape[1] != arrays[f"W{l - 1}"].shape[0]:
            raise NetvizError(
                f"{path}: W{l} takes {W.shape[1]} inputs but layer {l - 1} has "
                f"{arrays[f'W{l - 1}'].shape[0]} neurons"
            )
    return Params.from_named(arrays), meta
