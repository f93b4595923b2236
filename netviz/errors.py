"""Errors that are the user's to fix: the CLI shows them as one line and exits with status 2."""

from __future__ import annotations

from pathlib import Path


class NetvizError(Exception):
    """A problem with the user's input or options, told in one line; never a traceback."""


class DataError(NetvizError):
    """A data file that cannot be used, with where in the file the problem is.

    The message reads ``FILE: row R, column C: PROBLEM (value V)``, each part present only when
    known. Rows are 1-based data rows (a CSV's header is not a row).
    """

    def __init__(
        self,
        path: str | Path,
        problem: str,
        *,
        row: int | None = None,
        column: str | int | None = None,
        value: object = None,
    ) -> None:
        self.path, self.problem = str(path), problem
        self.row, self.column, self.value = row, column, value
        where = [str(path)]
        if row is not None:
            where.append(f"row {row}")
        if column is not None:
            where.append(f"column {column}")
        message = ", ".join(where) + ": " + problem
        if value is not None:
            shown = repr(value)  # repr: quotes, and control characters as escapes
            message += f" (value {shown if len(shown) <= 80 else shown[:70] + '…'})"
        super().__init__(message)
