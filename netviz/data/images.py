"""Digit images from files, made into MNIST digits by MNIST's own preprocessing, step by step.

``read_digit(path)`` reads a PNG or JPEG (also BMP, GIF, TIFF, WebP) of any size, colour or
grey, with or without alpha, and returns :class:`Preprocessed`: the 784 pixels a data set's row
holds, and each step on the way, for the tour to show:

1. ``grey``: the image as read, in grey (luminance), 0 black – 255 white;
2. ``ink``: the ink made bright on black, paper exactly 0 (a smooth lighting gradient and the
   paper's noise removed);
3. ``cropped``: cut to the ink's bounding box;
4. ``scaled``: scaled to fit 20×20, aspect ratio kept, by area averaging (anti-aliased);
5. ``placed``: put in the 28×28 field so its centre of mass is at the centre.

What MNIST does, measured on the shipped sample rather than assumed: every digit's bounding box
fits 20×20 (most are 20 tall); its centre of mass, in pixel indices, lies in [13.5, 14.5] on both
axes, spread evenly: a whole-pixel shift put it at (14, 14). The same is done here (a sub-pixel
shift would need interpolation, which blurs the digit by up to half a pixel and gives pictures
the network never saw in training). Every digit's brightest pixel is 254 or 255; a scaled digit
is stretched to match, so thin pen strokes do not reach the network as a faint ghost.

matplotlib (and Pillow, which it brings) is imported inside :func:`read_grey`, so
``import netviz.data.images`` costs nothing at start-up.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np

from ..errors import NetvizError
from ..safe import over_budget

StepName = Literal["grey", "ink", "cropped", "scaled", "placed"]
STEP_TITLES: dict[StepName, str] = {
    "grey": "as read, in grey",
    "ink": "ink made bright on black, paper 0",
    "cropped": "cropped to the ink",
    "scaled": "scaled to fit 20×20",
    "placed": "placed in 28×28 by its centre of mass",
}

FORMATS = ("PNG", "JPEG", "BMP", "GIF", "TIFF", "WEBP")  # Pillow's own decoders, no helpers
MAX_PIXELS = 40_000_000  # a 40-megapixel photo; decoded as RGBA floats it takes 640 MB
WORK_PIXELS = 2_000_000  # larger images are block-averaged to about this before the work
BYTES_PER_PIXEL = 40  # the decoded array and the grey copies made from it, at the peak

FIELD, BOX, CENTRE = 28, 20, 14.0  # MNIST: 28×28 field, 20×20 box, centre of mass at (14, 14)
QUANTUM = 1 / 255  # one grey level: differences below it are not in the file
NOISE_SIGMAS = 5.0  # ink stands this many noise standard deviations above the paper
FAINT_FRACTION = 0.05  # fainter than this share of the core: JPEG ringing, light the fit missed
MIN_CONTRAST = 0.06  # ink at least this far from the paper (0–1 grey), else the image is blank
MIN_INK_PIXELS = 4  # fewer pixels of ink than this is a speck, not a digit
SPECK_SHARE = 0.01  # a stretch of rows or columns holding less of the ink is a speck
# A digit cropped tight (a third of it ink) misleads the paper's fit: the fitted shade then
# spans more than the whole grey range, or the paper's "noise" is wider than a photo's grain
# (a robust standard deviation, 0–1 grey). Its paper is then taken as one shade.
MAX_LIGHTING = 1.0
MAX_NOISE = 0.08


@dataclass(frozen=True)
class Preprocessed:
    """An image made into an MNIST digit.

    ``pixels`` (784,) uint8, row-major as a data set's row; ``steps`` the named 2-D float32
    arrays 0–255 on the way, in order (see :data:`STEP_TITLES`); ``dark_ink`` whether the ink
    was darker than the paper (and so was inverted). All arrays are read-only.
    """

    pixels: np.ndarray
    steps: tuple[tuple[StepName, np.ndarray], ...]
    dark_ink: bool

    def step(self, name: StepName) -> np.ndarray:
        """The array of step ``name``."""
        return dict(self.steps)[name]


def read_digit(path: str | Path) -> Preprocessed:
    """The digit in the image file ``path``; NetvizError (one line naming the file) when it is
    not an image, cannot be read, is too large, or holds no ink."""
    return preprocess(read_grey(path), str(path))


def preprocess(grey: np.ndarray, name: str = "image") -> Preprocessed:
    """MNIST's preprocessing of ``grey`` (H, W) floats in [0, 1] (0 black); ``name`` is what a
    blank image is called in the error."""
    grey = np.asarray(grey, dtype=np.float32)
    ink, dark = ink_on_black(grey, name)
    rows, cols = ink_box(ink)
    cropped = ink[rows, cols]
    scaled = fit_box(cropped)
    placed = place(scaled)
    steps = (
        ("grey", grey * 255),
        ("ink", ink * 255),
        ("cropped", cropped * 255),
        ("scaled", scaled * 255),
        ("placed", placed.astype(np.float32)),
    )
    return Preprocessed(
        _frozen(placed.reshape(-1)),
        tuple((n, _frozen(np.asarray(a, dtype=np.float32))) for n, a in steps),
        dark,
    )


# --- reading ------------------------------------------------------------------------------------


def read_grey(path: str | Path) -> np.ndarray:
    """The image in ``path`` as grey (H, W) float32 in [0, 1], upright (EXIF orientation
    applied), transparent parts filled in, block-averaged when above :data:`WORK_PIXELS`."""
    path = Path(path)
    if not path.is_file():
        raise NetvizError(f"{path}: {'not a file' if path.exists() else 'no such image file'}")
    if path.stat().st_size == 0:
        raise NetvizError(f"{path}: empty file (0 bytes), not an image")
    fmt, orientation = _header(path)
    import matplotlib.image

    try:
        # Named by what Pillow found inside, not by the file's extension, which imread trusts.
        decoded = matplotlib.image.imread(path, format=fmt.lower())
    except (OSError, ValueError, RuntimeError, SyntaxError, EOFError) as e:
        raise NetvizError(f"{path}: unreadable {fmt} image ({_reason(e)})") from None
    decoded = np.asarray(decoded)
    if not (decoded.ndim == 2 or (decoded.ndim == 3 and decoded.shape[2] in (1, 2, 3, 4))):
        raise NetvizError(f"{path}: pixels of shape {decoded.shape}, neither grey nor colour")
    grey = _to_grey(decoded)
    del decoded
    grey = _upright(grey, orientation)
    k = int(np.ceil(np.sqrt(grey.size / WORK_PIXELS)))
    return block_mean(grey, k) if k > 1 else grey


def _header(path: Path) -> tuple[str, int]:
    """(Pillow's format name, EXIF orientation 1–8) from the file's header, after checking the
    format is one of :data:`FORMATS` and the size fits :data:`MAX_PIXELS` and memory: a 100-byte
    file can claim 10⁵ × 10⁵ pixels, and is refused before a pixel is decoded."""
    import warnings

    from PIL import Image, UnidentifiedImageError

    try:
        with warnings.catch_warnings():
            # Pillow warns of a "decompression bomb" past 89 megapixels; the size is judged below.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(path, formats=FORMATS) as im:
                fmt, (width, height) = im.format, im.size
                _check_size(path, width, height)
                # Read after the size check: a PNG may keep its EXIF after the pixels.
                orientation = im.getexif().get(0x0112, 1)  # the EXIF Orientation tag
    except UnidentifiedImageError:
        raise NetvizError(
            f"{path}: not an image netviz can read (PNG, JPEG, BMP, GIF, TIFF or WebP)"
        ) from None
    except Image.DecompressionBombError:  # Pillow's own limit, far past ours: refused at open
        raise NetvizError(
            f"{path}: more pixels than netviz reads ({MAX_PIXELS:,}); scale the image down first"
        ) from None
    except (OSError, ValueError, SyntaxError, EOFError) as e:
        raise NetvizError(f"{path}: unreadable image ({_reason(e)})") from None
    return str(fmt), orientation if orientation in range(1, 9) else 1


def _check_size(path: Path, width: int, height: int) -> None:
    pixels = width * height
    if pixels == 0:
        raise NetvizError(f"{path}: the image has no pixels ({width} × {height})")
    if pixels > MAX_PIXELS:
        raise NetvizError(
            f"{path}: {width:,} × {height:,} pixels, more pixels than netviz reads "
            f"({MAX_PIXELS:,}); scale the image down first"
        )
    if problem := over_budget(pixels * BYTES_PER_PIXEL, f"{width:,} × {height:,} pixels"):
        raise NetvizError(f"{path}: {problem}")


def _reason(e: BaseException) -> str:
    text = str(e).strip().splitlines()
    return text[0][:120] if text else type(e).__name__


def _to_grey(a: np.ndarray) -> np.ndarray:
    """Grey (H, W) float32 in [0, 1] from (H, W), (H, W, 3) or (H, W, 4) of any dtype.

    Luminance Y = 0.299 R + 0.587 G + 0.114 B (ITU-R 601, as Pillow's and JPEG's grey).
    Transparent parts are filled with the paper's shade: the opaque pixels' median when most of
    the image is opaque (the paper is drawn), else the shade that contrasts with the ink (a
    digit drawn on a transparent sheet, in black or in white).
    """
    scale = np.iinfo(a.dtype).max if np.issubdtype(a.dtype, np.integer) else 1.0
    if a.ndim == 2:
        return np.clip(a.astype(np.float32) / np.float32(scale), 0, 1)
    if a.shape[2] <= 2:  # grey, grey + alpha
        Y = a[:, :, 0].astype(np.float32) / np.float32(scale)
    else:
        Y = sum(np.float32(w / scale) * a[:, :, c] for c, w in enumerate((0.299, 0.587, 0.114)))
    Y = np.clip(Y, 0, 1).astype(np.float32)
    if a.shape[2] in (2, 4):
        alpha = np.clip(a[:, :, -1].astype(np.float32) / np.float32(scale), 0, 1)
        if alpha.min() < 1:
            Y = alpha * Y + (1 - alpha) * _fill_shade(Y, alpha)
    return Y


def _fill_shade(Y: np.ndarray, alpha: np.ndarray) -> float:
    """The shade for the transparent parts of grey ``Y`` with opacity ``alpha`` (both (H, W))."""
    opaque = alpha >= 0.5
    if opaque.mean() > 0.5:
        return float(np.median(Y[opaque]))
    weight = float(alpha.sum())
    ink_shade = float((alpha * Y).sum()) / weight if weight > 0 else 1.0
    return 1.0 if ink_shade < 0.5 else 0.0


def _upright(a: np.ndarray, orientation: int) -> np.ndarray:
    """``a`` turned as EXIF orientation 1–8 says (what Pillow's ``exif_transpose`` does): a
    phone stores a portrait photo sideways and records how to turn it."""
    turned = {
        1: a,
        2: a[:, ::-1],
        3: a[::-1, ::-1],
        4: a[::-1],
        5: a.T,
        6: np.rot90(a, -1),
        7: np.rot90(a, 2).T,
        8: np.rot90(a, 1),
    }[orientation]
    return np.ascontiguousarray(turned)


def block_mean(a: np.ndarray, k: int) -> np.ndarray:
    """``a`` (H, W) averaged over k×k blocks: (⌈H/k⌉, ⌈W/k⌉); the edge is repeated to fill the
    last blocks, so no ink at the border is lost."""
    H, W = a.shape
    padded = np.pad(a, ((0, -H % k), (0, -W % k)), mode="edge")
    h, w = padded.shape[0] // k, padded.shape[1] // k
    return padded.reshape(h, k, w, k).mean(axis=(1, 3), dtype=np.float64).astype(np.float32)


# --- ink on black -------------------------------------------------------------------------------


def ink_on_black(grey: np.ndarray, name: str = "image") -> tuple[np.ndarray, bool]:
    """(ink (H, W) float32 in [0, 1], paper exactly 0 and the ink's core 1; whether the ink was
    dark on light paper). NetvizError naming ``name`` when there is no ink.

    The paper's shade under smooth lighting is fitted (:func:`paper_shade`) and taken away; the
    residue, lightly blurred against the paper's grain, is the ink on one side (darker or
    lighter than the paper: whichever holds more beyond the noise) and the noise on both. The
    ink is then stretched from the noise's edge (or a faint share of the ink) to its core.
    """
    blur, shade = 1 + 2 * (min(grey.shape) // 400), paper_shade(grey)
    residue = box_blur(grey - shade, blur)
    sigma = _robust_sd(residue)
    # The fit followed the ink of a digit cropped tight: its paper is one shade, and its noise
    # the quieter side of the residue (the ink widens the other).
    if float(np.ptp(shade)) > MAX_LIGHTING or sigma > MAX_NOISE:
        residue = box_blur(grey - paper_level(grey), blur)
        sides = (np.abs(residue[residue > 0]), np.abs(residue[residue < 0]))
        sigma = min(_robust_sd(side) for side in sides)
    edge = max(NOISE_SIGMAS * sigma, 2 * QUANTUM)
    darker = np.maximum(-residue - edge, 0).sum(dtype=np.float64)
    lighter = np.maximum(residue - edge, 0).sum(dtype=np.float64)
    dark = bool(darker > lighter)
    ink = -residue if dark else residue
    strong = ink[ink > edge]
    core = float(np.percentile(strong, 99)) if strong.size else 0.0
    if strong.size < MIN_INK_PIXELS or core < max(MIN_CONTRAST, 2 * edge):
        raise NetvizError(
            f"{name}: no ink found, a blank image (nothing stands out from the paper by "
            f"{MIN_CONTRAST:.0%} of the grey range or more)"
        )
    faint = max(edge, FAINT_FRACTION * core)
    return np.clip((ink - faint) / (core - faint), 0, 1).astype(np.float32), dark


def paper_level(grey: np.ndarray) -> float:
    """The commonest grey level (of 64 bins) of the image's edge: the paper's. A digit cropped
    tight touches its edge in a few places only, though its strokes may cover more of the
    image than the paper does."""
    ring = max(1, min(grey.shape) // 50)
    edge = np.concatenate([grey[:ring].ravel(), grey[-ring:].ravel(),
                           grey[:, :ring].ravel(), grey[:, -ring:].ravel()])  # fmt: skip
    counts, edges = np.histogram(edge, bins=64, range=(0.0, 1.0))
    k = int(np.argmax(counts))
    return float((edges[k] + edges[k + 1]) / 2)


def paper_shade(grey: np.ndarray) -> np.ndarray:
    """The paper's shade (H, W) float32: a quadratic surface a + bx + cy + dx² + exy + fy² (a
    lamp's gradient, a vignette) fitted to the pixels that are not ink.

    Ink is found as what lies far from the fit: start from the median (most pixels are paper),
    fit to the pixels within 3 robust standard deviations of it, and repeat with the new fit.
    The fit uses at most ~20,000 pixels on a regular grid.
    """
    H, W = grey.shape
    step = max(1, int(np.sqrt(H * W / 20_000)))
    ys, xs = np.mgrid[0:H:step, 0:W:step]
    sample = grey[::step, ::step].ravel().astype(np.float64)
    A = np.stack(_quadratic_terms(ys.ravel() / max(H - 1, 1), xs.ravel() / max(W - 1, 1)), 1)
    fit = np.full_like(sample, np.median(sample))
    coef = np.zeros(A.shape[1])
    coef[0] = fit[0]
    for _ in range(4):
        r = sample - fit
        off = np.abs(r - np.median(r))
        keep = off <= max(3 * 1.4826 * np.median(off), 2 * QUANTUM)
        coef = np.linalg.lstsq(A[keep], sample[keep], rcond=None)[0]
        fit = A @ coef
    y = (np.arange(H) / max(H - 1, 1))[:, None]
    x = (np.arange(W) / max(W - 1, 1))[None, :]
    shade = sum(c * t for c, t in zip(coef, _quadratic_terms(y, x), strict=True))
    return np.broadcast_to(shade, (H, W)).astype(np.float32)


def _quadratic_terms(y, x) -> tuple:
    """1, x, y, x², xy, y² with x, y in [0, 1], centred so the terms are well conditioned."""
    x, y = 2 * x - 1, 2 * y - 1
    return (np.ones_like(x * y), x, y, x * x, x * y, y * y)


def _robust_sd(a: np.ndarray) -> float:
    """The noise's standard deviation, from the median absolute deviation (ink, a minority of
    the pixels, barely moves it): 1.4826 · MAD for Gaussian noise."""
    if a.ndim == 1:  # one side's magnitudes: their spread about 0
        return float(1.4826 * np.median(a)) if a.size else 0.0
    sample = a[:: max(1, a.shape[0] // 300), :: max(1, a.shape[1] // 300)]
    return float(1.4826 * np.median(np.abs(sample - np.median(sample))))


def box_blur(a: np.ndarray, size: int) -> np.ndarray:
    """``a`` (H, W) averaged over size×size squares (size odd; 1 leaves it as it is), the edge
    repeated; from running sums, so the cost does not grow with ``size``."""
    if size <= 1:
        return a.astype(np.float32)
    half = size // 2
    out = np.pad(a, half, mode="edge").astype(np.float64)
    for axis in (0, 1):
        c = np.cumsum(out, axis=axis)
        c = np.concatenate([np.zeros_like(c.take([0], axis=axis)), c], axis=axis)
        n = c.shape[axis]
        out = (c.take(range(size, n), axis=axis) - c.take(range(n - size), axis=axis)) / size
    return out.astype(np.float32)


# --- crop, scale, place -------------------------------------------------------------------------


def ink_box(ink: np.ndarray) -> tuple[slice, slice]:
    """(rows, cols) of the ink's bounding box in ``ink`` (H, W), paper 0.

    A stretch of rows (or columns) with ink, cut off from the rest by empty ones and holding
    under :data:`SPECK_SHARE` of the ink, is a speck of dirt or noise and left out; rows and
    columns are trimmed in turn until neither changes.
    """
    rows, cols = slice(0, ink.shape[0]), slice(0, ink.shape[1])
    for _ in range(4):
        region = ink[rows, cols]
        r = _main_span(region.sum(axis=1, dtype=np.float64))
        c = _main_span(region.sum(axis=0, dtype=np.float64))
        new_rows = slice(rows.start + r[0], rows.start + r[1])
        new_cols = slice(cols.start + c[0], cols.start + c[1])
        if (new_rows, new_cols) == (rows, cols):
            break
        rows, cols = new_rows, new_cols
    return rows, cols


def _main_span(profile: np.ndarray) -> tuple[int, int]:
    """[start, stop) from the first to the last run of non-zero entries of ``profile`` that
    holds at least :data:`SPECK_SHARE` of its sum."""
    on = np.concatenate([[False], profile > 0, [False]])
    edges = np.flatnonzero(on[1:] != on[:-1])
    starts, stops = edges[::2], edges[1::2]
    mass = np.array([profile[a:b].sum() for a, b in zip(starts, stops, strict=True)])
    # Noise scattered everywhere makes many small runs: the largest one is kept at least.
    kept = np.flatnonzero(mass >= min(SPECK_SHARE * mass.sum(), mass.max()))
    return int(starts[kept[0]]), int(stops[kept[-1]])


def area_weights(n: int, m: int) -> np.ndarray:
    """(m, n): resizing n pixels to m, output pixel i is the mean of the input over its span
    [i·n/m, (i+1)·n/m), each input pixel weighted by how much of it lies in the span."""
    edges = np.arange(m + 1) * (n / m)
    j = np.arange(n)[None, :]
    overlap = np.minimum(edges[1:, None], j + 1) - np.maximum(edges[:-1, None], j)
    return np.clip(overlap, 0, None) / (n / m)


def fit_box(cropped: np.ndarray) -> np.ndarray:
    """``cropped`` (h, w) scaled so its longer side is 20, aspect kept: (≤20, ≤20) in [0, 1],
    stretched so its strongest pixel is 1 (as every MNIST digit's is 254 or 255)."""
    h, w = cropped.shape
    f = BOX / max(h, w)
    size = (max(1, round(h * f)), max(1, round(w * f)))
    scaled = area_weights(h, size[0]) @ cropped.astype(np.float64) @ area_weights(w, size[1]).T
    return scaled / scaled.max()


def centre_of_mass(a: np.ndarray) -> tuple[float, float]:
    """(row, column) of ``a``'s (H, W) centre of mass, in pixel indices."""
    total = a.sum(dtype=np.float64)
    rows = a.sum(axis=1, dtype=np.float64) @ np.arange(a.shape[0]) / total
    cols = a.sum(axis=0, dtype=np.float64) @ np.arange(a.shape[1]) / total
    return float(rows), float(cols)


def place(scaled: np.ndarray) -> np.ndarray:
    """``scaled`` (h, w) in [0, 1], h, w ≤ 20, in the 28×28 field as uint8, shifted by whole
    pixels so its centre of mass is within half a pixel of (14, 14).

    The box is kept inside the field: a digit whose mass sits at one extreme of its box (it
    would need a box corner past the edge) loses no ink but is then less well centred.
    """
    levels = np.round(np.clip(scaled, 0, 1) * 255)
    cy, cx = centre_of_mass(levels)  # of the levels stored, so the stored digit is centred
    h, w = levels.shape
    top = int(np.clip(np.round(CENTRE - cy), 0, FIELD - h))
    left = int(np.clip(np.round(CENTRE - cx), 0, FIELD - w))
    field = np.zeros((FIELD, FIELD), dtype=np.uint8)
    field[top : top + h, left : left + w] = levels.astype(np.uint8)
    return field


def _frozen(a: np.ndarray) -> np.ndarray:
    a = np.ascontiguousarray(a)
    a.setflags(write=False)
    return a
