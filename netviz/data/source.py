"""``load_source``: what the user named (CSV, IDX folder or file, "sample") as a Source."""

from __future__ import annotations

from pathlib import Path

from netviz.data import idx
from netviz.data.csv import read_csv_digits
from netviz.data.digits import Digits, Source
from netviz.data.files import gunzip_if_gzip, listing_digest, read_bytes, sha256_hex
from netviz.data.sample import SAMPLE_SPEC, sample_file
from netviz.errors import DataError


def load_source(spec: str | Path) -> Source:
    """Load and validate a data set; any problem with it is a DataError (one line).

    ``spec``: ``"sample"`` (the shipped sample, even if a file of that name exists), a Kaggle CSV
    (``.csv`` / ``.csv.gz``), a folder holding the standard MNIST IDX names, or an IDX images file
    (its labels file found beside it). A file's kind is decided by its content (IDX starts with
    zero bytes; gzip by its magic bytes), not by its name.
    """
    if str(spec) == SAMPLE_SPEC:
        sample = sample_file()
        raw = sample.read_bytes()
        rows = read_csv_digits(gunzip_if_gzip(raw, str(sample)), str(sample))
        return Source(name=SAMPLE_SPEC, sha256=sha256_hex(raw), rows=rows)
    path = Path(spec)
    if path.is_dir():
        return _load_idx_folder(path)
    data, digest = _read(path)
    if idx.looks_like_idx(data):
        rows, digests = _load_idx_pair(path, None, (data, digest))
        return Source(name=str(spec), sha256=listing_digest(digests), rows=rows)
    return Source(name=str(spec), sha256=digest, rows=read_csv_digits(data, path))


def _read(path: Path) -> tuple[bytes, str]:
    """A file's content (decompressed if gzip) and the SHA-256 of its raw bytes."""
    raw = read_bytes(path)
    return gunzip_if_gzip(raw, path), sha256_hex(raw)


def _load_idx_folder(folder: Path) -> Source:
    """The train pair (required) and the t10k pair (optional, as the official test set)."""
    train_images = _required(folder, idx.TRAIN_IMAGES)
    rows, digests = _load_idx_pair(train_images, _required(folder, idx.TRAIN_LABELS))
    test_images = idx.find_standard(folder, idx.TEST_IMAGES)
    test_labels = idx.find_standard(folder, idx.TEST_LABELS)
    official_test = None
    if test_images is not None or test_labels is not None:
        # Half a pair is more likely a failed download than a choice: say so rather than guess.
        official_test, test_digests = _load_idx_pair(
            test_images or _required(folder, idx.TEST_IMAGES),
            test_labels or _required(folder, idx.TEST_LABELS),
        )
        digests += test_digests
    return Source(
        name=str(folder),
        sha256=listing_digest(digests),
        rows=rows,
        official_test=official_test,
    )


def _required(folder: Path, stem: str) -> Path:
    found = idx.find_standard(folder, stem)
    if found is None:
        raise DataError(folder, f"no {stem} (or {stem}.gz) in this folder")
    return found


def _load_idx_pair(
    images_path: Path, labels_path: Path | None, images_read: tuple[bytes, str] | None = None
) -> tuple[Digits, list[tuple[str, str]]]:
    """The pair as Digits, and each file's ``(name, sha256 of its raw bytes)``.

    ``labels_path``: None to find it beside the images by the standard naming, after the images
    file itself has passed its checks. ``images_read``: the images file's ``_read`` result when
    the caller has it already.
    """
    images_data, images_digest = images_read or _read(images_path)
    images = idx.parse_images(images_data, images_path)
    labels_path = labels_path or idx.labels_path_for(images_path)
    labels_data, labels_digest = _read(labels_path)
    labels = idx.parse_labels(labels_data, labels_path)
    digits = idx.pair(images, labels, str(images_path), str(labels_path))
    return digits, [(images_path.name, images_digest), (labels_path.name, labels_digest)]
