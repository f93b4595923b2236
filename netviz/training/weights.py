"""Weights on disk: ``.npz`` files of W1, b1, … and a JSON note of how they were made.
Never pickled: the note is stored as a unicode string array and read with ``allow_pickle=False``.

A weights file may come from anywhere, so it is read in two passes: first each array's ``.npy``
header (its dtype and shape, a few hundred bytes), checked against the bytes the archive holds
and against the memory budget; only then the arrays themselves. A 454-byte file claiming a
(100000, 100000) matrix is refused from its header, before 74.5 GiB are asked for.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np

from ..core.network import Params
from ..errors import NetvizError
from ..files import atomic_writer
from ..safe import MAX_HIDDEN_LAYERS, network_over_budget, over_budget, shown

FLOATS = ("float32", "float64")  # what a network computes in
MAX_META = 1 << 20  # characters of the JSON note; netviz writes a few hundred
MAX_MEMBERS = 2 * (MAX_HIDDEN_LAYERS + 1) + 1  # W and b of every layer, and the note


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
    headers = _headers(path)
    _check_layers(path, {k: v for k, v in headers.items() if k != "meta"})
    try:
        with np.load(path, allow_pickle=False) as z:
            arrays = {k: z[k] for k in z.files}
    except (ValueError, OSError, zipfile.BadZipFile, EOFError, KeyError) as e:
        raise NetvizError(f"{path}: not a netviz weights file ({_reason(e)})") from None
    meta = _meta(path, arrays.pop("meta", None))
    return Params.from_named(arrays), meta


def _headers(path: Path) -> dict[str, tuple[np.dtype, tuple[int, ...]]]:
    """Each array's (dtype, shape), from its ``.npy`` header alone; NetvizError if a header is
    unreadable, promises more bytes than the archive holds, or more than the memory budget."""
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
            if len(members) > MAX_MEMBERS:
                raise NetvizError(
                    f"{path}: {len(members):,} entries; a netviz weights file has at most "
                    f"{MAX_MEMBERS} (W and b of each layer, and a note)"
                )
            return dict(_header(path, archive, member) for member in members)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError) as e:
        raise NetvizError(f"{path}: not a netviz weights file ({_reason(e)})") from None


def _header(
    path: Path, archive: zipfile.ZipFile, member: zipfile.ZipInfo
) -> tuple[str, tuple[np.dtype, tuple[int, ...]]]:
    name = member.filename.removesuffix(".npy")
    shown_name = shown(name)
    fmt = np.lib.format
    try:
        with archive.open(member) as f:
            version = fmt.read_magic(f)
            if version not in ((1, 0), (2, 0)):
                raise ValueError(f"npy format version {version}")
            read = fmt.read_array_header_1_0 if version == (1, 0) else fmt.read_array_header_2_0
            shape, _, dtype = read(f)
            header_bytes = f.tell()
    except (ValueError, TypeError, SyntaxError, KeyError, RuntimeError) as e:
        raise NetvizError(
            f"{path}: entry '{shown_name}' is not a numpy array ({_reason(e)})"
        ) from None
    if dtype.hasobject:
        raise NetvizError(
            f"{path}: {shown_name} holds Python objects (pickled data), which netviz never loads"
        )
    count = int(np.prod(shape, dtype=object))  # exact: no int64 overflow from a forged shape
    need = count * dtype.itemsize
    held = member.file_size - header_bytes
    problem = over_budget(need, f"{shown_name} {shape} {dtype}")
    if problem:
        raise NetvizError(f"{path}: {problem}")
    if need != held:
        raise NetvizError(
            f"{path}: {shown_name}'s header promises {shape} {dtype} ({need:,} bytes), the file "
            f"holds {max(held, 0):,} bytes for it"
        )
    return name, (dtype, tuple(shape))


def _check_layers(path: Path, arrays: dict[str, tuple[np.dtype, tuple[int, ...]]]) -> None:
    """W1, b1, … W_L, b_L of float numbers whose shapes chain from layer to layer, ending in
    10 digits, within the memory budget; else one line saying what is wrong."""
    L = sum(1 for k in arrays if k.startswith("W"))
    expected = {f"{p}{l}" for l in range(1, L + 1) for p in "Wb"}
    if L == 0 or set(arrays) != expected:
        found = ", ".join(shown(k) for k in sorted(arrays)) or "nothing"
        raise NetvizError(f"{path}: expected arrays W1, b1, …; found {found}")
    for name, (dtype, _) in arrays.items():
        if dtype.name not in FLOATS:
            kind = dtype.name if dtype.kind in "biufc" else str(dtype)
            raise NetvizError(
                f"{path}: {name} holds {kind} numbers; netviz weights are float32 or float64"
            )
    dtype = arrays["W1"][0]
    for l in range(1, L + 1):
        (W_dtype, W), (b_dtype, b) = arrays[f"W{l}"], arrays[f"b{l}"]
        if len(W) != 2 or b != W[:1]:
            raise NetvizError(
                f"{path}: W{l} {W} and b{l} {b} do not make a layer (W{l} is (n_out, n_in), "
                f"b{l} (n_out,))"
            )
        if W_dtype != dtype or b_dtype != dtype:
            raise NetvizError(
                f"{path}: layers mix {dtype} and {W_dtype if W_dtype != dtype else b_dtype}"
            )
        if l > 1 and W[1] != arrays[f"W{l - 1}"][1][0]:
            previous = arrays[f"W{l - 1}"][1][0]
            raise NetvizError(
                f"{path}: W{l} takes {W[1]} inputs but layer {l - 1} has {previous} neurons"
            )
    if arrays[f"W{L}"][1][0] != 10:
        raise NetvizError(
            f"{path}: the last layer has {arrays[f'W{L}'][1][0]} outputs, not 10 digits"
        )
    sizes = [arrays["W1"][1][1], *(arrays[f"W{l}"][1][0] for l in range(1, L + 1))]
    problem = network_over_budget(sizes, dtype.itemsize)
    if problem:
        raise NetvizError(f"{path}: {problem}")


def _meta(path: Path, stored: np.ndarray | None) -> dict:
    """The JSON note saved beside the weights ({} when there is none)."""
    if stored is None:
        return {}
    if stored.dtype.kind != "U" or stored.shape != () or stored.dtype.itemsize > 4 * MAX_META:
        raise NetvizError(f"{path}: its 'meta' entry is not a JSON note (a short string)")
    try:
        meta = json.loads(str(stored))
    except (ValueError, RecursionError):  # RecursionError: brackets nested thousands deep
        meta = None
    if not isinstance(meta, dict):
        raise NetvizError(f"{path}: its 'meta' entry is not a JSON object")
    return meta


def _reason(error: BaseException) -> str:
    """An exception's message in a few plain words, never numpy's advice to unpickle."""
    text = str(error) or type(error).__name__
    if "allow_pickle" in text or "pickle" in text.lower():
        return "it holds pickled data, which netviz never loads"
    return shown(text, 80)
