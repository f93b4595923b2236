"""Kaggle digit-recognizer CSV: ``label``, ``pixel0``…``pixel783`` (``label`` optional).

Read through pandas, imported inside the functions so that ``import netviz`` stays fast. Reading
takes a fast path (every cell parsed straight to uint8); only when that fails is the file parsed
again, loosely, to find the first offending cell (row-major: lowest row, then leftmost column).
"""

from __future__ import annotations

import gzip
import io
import re
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from netviz.data.digits import PIXELS, Digits
from netviz.errors import DataError

if TYPE_CHECKING:
    import pandas as pd

LABEL = "label"
PIXEL_COLUMNS = tuple(f"pixel{i}" for i in range(PIXELS))
EXPECTED = "label, pixel0...pixel783"
_PIXEL_SET = frozenset(PIXEL_COLUMNS)


def read_csv_digits(data: bytes, name: str | Path) -> Digits:
    """Validate an already-decompressed CSV and return its rows; any problem is a DataError.

    ``name`` is the file as the user should see it in messages; it is also the ``origin``.
    """
    import pandas as pd

    _refuse_binary(data, name)
    try:
        frame = _parse(data, name, strict=True)
    except (ValueError, OverflowError):
        # A cell did not parse straight to uint8: parse loosely and name the first bad cell. If
        # none is bad (a cell like "1e2"), every cell is a whole number in range after all.
        frame = _parse(data, name, strict=False)
        _check_shape(frame, name)
        _raise_first_bad_cell(frame, name)
        frame = frame.apply(pd.to_numeric).astype(np.uint8)
    has_label = _check_shape(frame, name)
    labels = frame[LABEL].to_numpy() if has_label else None
    if labels is not None and (labels > 9).any():
        row = int(np.argmax(labels > 9))
        value = int(labels[row])
        raise DataError(name, "label outside 0-9", row=row + 1, column=LABEL, value=value)
    images = np.ascontiguousarray(frame[list(PIXEL_COLUMNS)].to_numpy(dtype=np.uint8))
    return Digits(images=images, labels=labels, origin=str(name))


def _refuse_binary(data: bytes, name: str | Path) -> None:
    # A NUL byte never occurs in a text CSV; without this check pandas reports a baffling header.
    if b"\x00" in data[:4096]:
        raise DataError(name, "not a CSV file (binary data)")


def _parse(data: bytes, name: str | Path, strict: bool) -> pd.DataFrame:
    """``pd.read_csv`` on bytes; pandas' structural errors become DataErrors with a row.

    Strict: every cell straight to uint8 (fast; raises ValueError on any bad cell). Loose: types
    inferred and only an empty cell is missing, so "NA" or "nan" stay text (not a number).
    """
    import pandas as pd

    loose = {"keep_default_na": False, "na_values": [""]}
    options: dict[str, object] = {"dtype": np.uint8} if strict else loose
    try:
        with warnings.catch_warnings():
            # A first row with one field too many makes pandas drop a field with only a warning.
            warnings.simplefilter("error", pd.errors.ParserWarning)
            warnings.simplefilter("ignore", RuntimeWarning)  # overflow during the uint8 fast path
            warnings.simplefilter("ignore", pd.errors.DtypeWarning)  # mixed column: bad cell found
            return pd.read_csv(io.BytesIO(data), index_col=False, **options)
    except pd.errors.EmptyDataError:
        raise DataError(name, "empty file (no header, no rows)") from None
    except pd.errors.ParserWarning:
        raise DataError(name, "more fields than the header has", row=1) from None
    except pd.errors.ParserError as error:
        raise _field_count_error(str(error), name) from None
    except UnicodeDecodeError as error:
        raise DataError(name, f"not a UTF-8 text CSV file ({error.reason})") from None


def _field_count_error(message: str, name: str | Path) -> DataError:
    # pandas says "Expected 785 fields in line 7, saw 786"; its line counts the header as 1.
    found = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", message)
    if found is None:
        return DataError(name, f"not a readable CSV file ({message.strip()})")
    expected, line, saw = (int(group) for group in found.groups())
    return DataError(name, f"{saw} fields, the header has {expected}", row=line - 1)


def _check_columns(columns: list[str], name: str | Path) -> bool:
    """Whether the header has a label column; a header that is not ours is a DataError.

    Header problems name the column by its 1-based position and show the name found as the value.
    """
    pixels = [column for column in columns if column != LABEL]
    has_label = len(pixels) < len(columns)
    if pixels == list(PIXEL_COLUMNS):
        return has_label
    no_label = "" if has_label else ", and there is no label column"
    stranger = next((c for c in columns if c != LABEL and c not in _PIXEL_SET), None)
    if stranger is not None:
        raise DataError(
            name,
            f"not a pixel column{no_label}; expected {EXPECTED}{_hint(stranger, columns)}",
            column=columns.index(stranger) + 1,
            value=stranger,
        )
    if len(pixels) != PIXELS:
        raise DataError(name, f"{len(pixels)} pixel columns{no_label}; expected {EXPECTED}")
    position, found = next((i, c) for i, c in enumerate(pixels) if c != PIXEL_COLUMNS[i])
    raise DataError(
        name,
        f"expected pixel{position} here; expected {EXPECTED} in that order",
        column=columns.index(found) + 1,
        value=found,
    )


def _hint(stranger: str, columns: list[str]) -> str:
    # pandas renames a repeated "pixel3" to "pixel3.1"; a number as a name means no header row.
    if stranger.rpartition(".")[0] in columns:
        return "; a repeated column name?"
    return "; is the header row missing?" if _is_number(stranger) else ""


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _check_shape(frame: pd.DataFrame, name: str | Path) -> bool:
    """Whether there is a label column; a wrong header or no rows is a DataError."""
    has_label = _check_columns(list(frame.columns), name)
    if len(frame) == 0:
        raise DataError(name, "no data rows, only a header")
    return has_label


def _raise_first_bad_cell(frame: pd.DataFrame, name: str | Path) -> None:
    """Raise a DataError for the first cell (lowest row, then leftmost column) that is not valid."""
    first: tuple[int, int] | None = None
    for index, column in enumerate(frame.columns):
        row = _first_bad_row(frame[column], high=9 if column == LABEL else 255)
        if row is not None and (first is None or row < first[0]):
            first = (row, index)
    if first is None:
        return
    row, index = first
    column = frame.columns[index]
    raw = frame.iat[row, index]
    raise DataError(name, _problem(raw, column), row=row + 1, column=column, value=_shown(raw))


def _first_bad_row(cells: pd.Series, high: int) -> int | None:
    """0-based index of the first cell that is not an integer in 0..high, or None (vectorised)."""
    import pandas as pd

    values = pd.to_numeric(cells, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    with np.errstate(invalid="ignore"):
        bad = ~np.isfinite(values) | (values != np.round(values)) | (values < 0) | (values > high)
    return int(np.argmax(bad)) if bad.any() else None


def _problem(raw: object, column: str) -> str:
    value = _as_float(raw)
    if _is_missing(raw):
        return "empty cell"
    if value is None or not np.isfinite(value):
        return "not a number"
    if value != round(value):
        return "not a whole number"
    return "label outside 0-9" if column == LABEL else "pixel value outside 0-255"


def _is_missing(raw: object) -> bool:
    return raw is None or (isinstance(raw, float) and np.isnan(raw))


def _as_float(raw: object) -> float | None:
    try:
        return float(raw)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


def _shown(raw: object) -> object:
    """The cell as the message shows it: text as written, whole numbers without ``.0``."""
    if _is_missing(raw):
        return ""
    if isinstance(raw, str):
        return raw
    if isinstance(raw, int | np.integer):  # as written, even past float precision
        return int(raw)
    value = float(raw)  # type: ignore[arg-type]
    return int(value) if value.is_integer() else value


def csv_text(digits: Digits) -> str:
    """``digits`` in the Kaggle layout (a ``label`` column only when there are labels)."""
    import pandas as pd

    frame = pd.DataFrame(digits.images, columns=list(PIXEL_COLUMNS))
    if digits.labels is not None:
        frame.insert(0, LABEL, digits.labels)
    return frame.to_csv(index=False, lineterminator="\n")


def write_csv(path: Path, digits: Digits) -> None:
    """Write ``digits`` as CSV; a ``.gz`` name is gzipped with mtime 0, so the bytes reproduce."""
    data = csv_text(digits).encode()
    if path.name.endswith(".gz"):
        data = gzip.compress(data, compresslevel=9, mtime=0)
    path.write_bytes(data)
