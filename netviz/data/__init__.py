"""Digit data: Kaggle CSV and MNIST IDX loaders, validation, the shipped sample, splits, fetch.

Public API (the rest of netviz imports only these names):

- ``Digits``: frozen dataclass, ``images`` (n, 784) uint8 read-only C-contiguous (one row per
  example), ``labels`` (n,) uint8 read-only or ``None`` (an unlabelled CSV), ``origin`` (str,
  where the rows came from, for people to read); ``len(digits)`` is n.
- ``Source``: frozen dataclass, ``name`` (str: the spec as given, or ``"sample"``), ``sha256``
  (str, of the file bytes read; for several IDX files, of their ``sha256sum``-style listing),
  ``rows`` (Digits: CSV rows, or an IDX training file's images, in order),
  ``official_test`` (Digits or None: an IDX folder's t10k files).
- ``load_source(spec) -> Source``: ``spec`` is a CSV path (.csv / .csv.gz), an IDX folder or
  images file, or ``"sample"``. A bad file raises ``netviz.errors.DataError`` (one line:
  file, row, column, problem, value).
- ``split(source, kind="seed", train_size=None, test_size=None, shuffle_seed=None)
  -> tuple[Digits, Digits]``, ``kind`` a ``SplitKind`` (``"seed"``, ``"official"``,
  ``"sizes"``); an impossible split raises ``netviz.errors.NetvizError``.

``netviz.data.fetch`` (``fetch_mnist``, ``rich_progress``, ``cache_dir``) is imported on demand,
not from here, because it pulls in ``urllib``. pandas is imported only while a CSV is read.
"""

from __future__ import annotations

from netviz.data.digits import Digits, Source
from netviz.data.source import load_source
from netviz.data.split import SplitKind, split

__all__ = ["Digits", "Source", "SplitKind", "load_source", "split"]
