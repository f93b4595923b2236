"""Trace files: every step of a run in one SQLite file, written as it happens, read anywhere.

The store knows nothing of the UI or of what a run chooses to record (see
``netviz.training.recording``).
"""

from __future__ import annotations

from .reader import TraceError, TraceReader
from .schema import SCHEMA_VERSION, SUFFIX, Step, parse_address
from .writer import TraceWriteError, TraceWriter

__all__ = [
    "SCHEMA_VERSION",
    "SUFFIX",
    "Step",
    "TraceError",
    "TraceReader",
    "TraceWriteError",
    "TraceWriter",
    "parse_address",
]
