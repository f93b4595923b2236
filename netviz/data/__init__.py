"""Digit data: Kaggle CSV and MNIST IDX loaders, validation, the shipped sample, splits, fetch.

Public API (the rest of netviz imports only these names):

- ``Digits``: frozen dataclass, ``images`` (n, 784) uint8 read-only (one row per example),
  ``labels`` (n,) uint8 read-only or ``None`` (an unlabelled CSV), ``origin`` (str).
- ``Source``: frozen dataclass, ``name`` (str), ``sha256`` (str, of the file bytes read),
  ``rows`` (Digits: CSV rows, or an IDX training file's images, in order),
  ``official_test`` (Digits or None: an IDX folder's t10k files).
- ``load_source(spec) -> Source``: ``spec`` is a CSV path (.csv / .csv.gz), an IDX folder or
  images file, or ``"sample"``.
- ``split(source, kind="seed", train_size=None, test_size=None, shuffle_seed=None)
  -> tuple[Digits, Digits]``.
"""

from __future__ import annotations
