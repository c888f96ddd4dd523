"""Page geometry: ink darkness, rotation and the paper scale (pixels per millimetre).

The three steps a page goes through before its layout can be read:

1. ``ink_darkness``: how much darker each pixel is than the paper around it,
   discounting strongly coloured pixels (grids are coloured, traces are grey);
   ``line_darkness`` keeps the grid, for the next two steps;
2. ``page_deskew``: the rotation that makes the grid and the trace baselines
   horizontal, found by maximising the sharpness of the row profile
   (the projection-profile method; Postl, ICPR 1986);
3. ``perspective_find``: on a photo taken at an angle, the lines of a level
   page still converge; the homography that makes them parallel, from the
   slope of the lines in bands across and down the page;
4. ``grid_detect``: the period of the 5-mm grid from the power spectrum of the
   darkness profiles, with the page size as a prior for the search range.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

import cv2
import numpy as np

__all__ = ["ink_darkness", "image_noise", "NOISE_FREE", "line_darkness", "grid_suppress", "page_deskew",
           "image_rotate", "rotation_matrix", "perspective_find", "image_warp", "grid_detect", "GridEstimate",
           "LETTER_WIDTH_MM", "A4_WIDTH_MM"]

log = logging.getLogger(__name__)

LETTER_WIDTH_MM = 279.4  # US letter, landscape
A4_WIDTH_MM = 297.0


def line_darkness(image: np.ndarray) -> np.ndarray:
    """Darkness of the darkest channel relative to the paper, in [0, 1].

    Unlike ``ink_darkness`` this keeps coloured grid lines (a pure red line is
    dark in the green and blue channels), so it is the map to measure the
    grid's period and the page's rotation on.

    Parameters
    ----------
    image : (H, W, 3) uint8 ndarray

    Returns
    -------
    (H, W) float32 ndarray
    """
    darkest = np.minimum(np.minimum(image[:, :, 0], image[:, :, 1]), image[:, :, 2]).astype(np.float32)
    paper = _paper_brightness(darkest)
    return np.clip((paper - darkest) / np.maximum(paper, 1.0), 0.0, 1.0)


def ink_darkness(image: np.ndarray, *, noise: float | None = None, chroma_weight: bool = True) -> np.ndarray:
    """Darkness of each pixel relative to the local paper, in [0, 1].

    Each channel is divided by the paper's own colour around the pixel, so a
    colour cast or tinted paper darkens grey ink equally in all channels. A
    coloured grid line darkens some channels much more than others; that
    spread ("relative chroma") is used to discount it. Where a shadow falls
    (a wrinkle, a fold, a photo's vignette) the paper is taken to be the
    shadow (``_paper_under_shadow``), so that a shadow's edge is not ink.
    The image is first blurred a little, less where it has no noise
    (``image_noise``, ``_smoothing_sigma``).

    Parameters
    ----------
    image : (H, W, 3) uint8 ndarray
        RGB page.
    noise : float, optional
        The page's ``image_noise``, when already measured.
    chroma_weight : bool
        Scale darkness down where the pixel's relative chroma is high: ECG
        traces are printed grey or black, grids usually in a colour.

    Returns
    -------
    (H, W) float32 ndarray
        0 on paper, towards 1 on black ink.
    """
    sigma = _smoothing_sigma(image_noise(image) if noise is None else noise)
    smooth = cv2.GaussianBlur(image, (0, 0), sigma).astype(np.float32)
    paper = np.minimum(_paper_brightness(smooth), _paper_under_shadow(smooth))
    ratio = cv2.divide(smooth, np.maximum(paper, 1.0, out=paper))
    np.clip(ratio, 0.0, 1.0, out=ratio)
    r, g, b = ratio[:, :, 0], ratio[:, :, 1], ratio[:, :, 2]
    brightest = np.maximum(np.maximum(r, g), b)  # (faster than ratio.max(axis=2))
    darkness = 1.0 - brightest
    if chroma_weight:
        chroma = brightest - np.minimum(np.minimum(r, g), b)
        darkness *= np.clip(1.0 - (chroma - 0.15) / 0.3, 0.0, 1.0)
    return darkness


NOISE_FREE = 2.0  # grey levels: image_noise below this is a clean render or scan


def image_noise(image: np.ndarray) -> float:
    """How noisy a page is: a robust standard deviation of its grey image's pixel noise.

    The grey image's difference from its own 3x3 median holds the noise and
    the edges of thin lines; lines cover few pixels, so 1.4826 times the
    median absolute difference (the normal distribution's factor) measures
    the noise alone. Noise drawn independently per channel with standard
    deviation s reads about 0.6 s (the grey mix averages part of it away).
    A noise-free render or scan reads 0; eik-dev's pages made with
    ECG-Image-Kit's noise read 4 to 39. Every other row is enough.
    """
    grey = cv2.cvtColor(np.ascontiguousarray(image[::2]), cv2.COLOR_RGB2GRAY)
    residual = grey.astype(np.int16) - cv2.medianBlur(grey, 3)
    return 1.4826 * float(np.median(np.abs(residual)))


def _smoothing_sigma(noise: float) -> float:
    """The Gaussian blur (px) ``ink_darkness`` starts with: less on a noise-free page.

    On a noisy page the blur keeps speckles out of the ink; on a clean one it
    only spreads a thin trace into its neighbours. Masked SNR (learned, NaN
    unplotted) with 0.5 instead of 0.7 px everywhere: eik-dev clean 22.24 ->
    22.65 dB read on the JSON sidecars' time axis (21.23 -> 22.20 on our
    own), the renderer's clean pages of 20 validation records 18.68 ->
    18.95; but wrinkle 17.63 -> 17.18 and varied 17.35 -> 17.08, whose pages
    are noisy, and aug lost two pages' layouts to speckle.
    """
    return 0.5 if noise < NOISE_FREE else 0.7


def grid_suppress(ink: np.ndarray, *, quantile: float = 0.3) -> np.ndarray:
    """Remove straight horizontal and vertical lines from a deskewed ink map.

    A grid line is dark along (nearly) its whole length, a trace only here and
    there, so subtracting each row's and each column's ``quantile`` of darkness
    removes the grid and keeps the trace (also on dark, grey grids where the
    colour cue of ``ink_darkness`` fails).
    """
    rows = _quantile_of_nonnegative(ink, quantile, axis=1)
    cleaned = np.clip(ink - rows, 0.0, 1.0)
    cols = _quantile_of_nonnegative(cleaned, quantile, axis=0)
    return np.clip(cleaned - cols, 0.0, 1.0)


def _quantile_of_nonnegative(values: np.ndarray, q: float, axis: int) -> np.ndarray:
    """``np.quantile(values, q, axis, keepdims=True)`` of a 2-D array with no negative values.

    Most rows and columns of a darkness map are mostly bare paper, exactly 0:
    where enough of a line's values are 0, its quantile is 0, and only the
    other lines are sorted (the same result, four times faster on a clean
    200-dpi page).
    """
    n = values.shape[axis]
    # np.quantile interpolates between the sorted values at floor((n-1)q) and the next.
    enough_zeros = int(np.floor((n - 1) * q)) + 2
    busy = n - np.count_nonzero(values, axis=axis) < enough_zeros
    out = np.zeros(values.shape[1 - axis], values.dtype)
    if busy.any():
        out[busy] = np.quantile(values[busy] if axis == 1 else values[:, busy], q, axis=axis)
    return np.expand_dims(out, axis)


def _paper_brightness(value: np.ndarray) -> np.ndarray:
    """Local paper brightness, per channel: a wide median on a small copy, so that thin ink vanishes."""
    h, w = value.shape[:2]
    scale = 200.0 / max(h, w)
    small = cv2.resize(value.astype(np.uint8), (max(1, int(w * scale)), max(1, int(h * scale))),
                       interpolation=cv2.INTER_AREA)
    small = cv2.medianBlur(small, 9)
    return cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR).astype(np.float32)


_SHADOW_LONG_SIDE = 600  # px of the copy that _paper_under_shadow works on


def _paper_under_shadow(image: np.ndarray, *, size_fraction: float = 1.0 / 120.0) -> np.ndarray:
    """The paper's brightness where shadows fall: thin dark lines closed over, then smoothed.

    On a copy at most ``_SHADOW_LONG_SIDE`` px long, a grey closing with a
    disc ``size_fraction`` of the page's longer side across (2.3 mm on a
    letter page) removes the traces, grid and text, which are thinner, and
    keeps shading, which is wider. The median of ``_paper_brightness``
    spans some 12 mm, so next to a wrinkle's sharp shadow it reads the paper
    brighter than it is, and the shadow's edge, darker than that, became a
    blob of "ink" that could join a trace: eik-dev wrinkle 00008_hr lost its
    top row that way (and with it the right leads for every row). Taking the
    darker of the two keeps the median where there is no shadow. Masked SNR
    (learned): eik-dev clean 16.51 -> 16.54 dB, aug 10.58 -> 10.63, wrinkle
    9.86 -> 12.06, varied 11.70 -> 11.78; the renderer's pages of 12
    validation records clean +0.04, aug +0.10, wrinkle +0.10 (200 dpi), aug
    +0.05, wrinkle +0.09 (100 dpi). The closing alone, without the median,
    read the ink thicker: eik-dev clean -1.5 dB, aug +0.8.
    """
    h, w = image.shape[:2]
    scale = min(1.0, _SHADOW_LONG_SIDE / max(h, w))   # shading is smooth: a small copy is enough
    small = cv2.resize(image, (max(1, round(w * scale)), max(1, round(h * scale))),
                       interpolation=cv2.INTER_AREA)
    size = 2 * int(max(small.shape[:2]) * size_fraction / 2) + 1
    disc = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size, size))
    closed = cv2.GaussianBlur(cv2.morphologyEx(small, cv2.MORPH_CLOSE, disc), (0, 0), size / 2.0)
    return cv2.resize(closed, (w, h), interpolation=cv2.INTER_LINEAR)


def rotation_matrix(shape: tuple[int, ...], angle_deg: float) -> np.ndarray:
    """The 3x3 matrix of ``image_rotate``: pixel ``(x, y, 1)`` of an image of ``shape`` to the rotated image."""
    h, w = shape[:2]
    return np.vstack([cv2.getRotationMatrix2D((w / 2.0, h / 2.0), angle_deg, 1.0), [0.0, 0.0, 1.0]])


def image_rotate(image: np.ndarray, angle_deg: float, *, border_value=None) -> np.ndarray:
    """Rotate ``image`` by ``angle_deg`` (counter-clockwise) about its centre, same size."""
    h, w = image.shape[:2]
    matrix = rotation_matrix(image.shape, angle_deg)[:2]
    if border_value is None:
        return cv2.warpAffine(image, matrix, (w, h), flags=cv2.INTER_LINEAR,
                              borderMode=cv2.BORDER_REPLICATE)
    return cv2.warpAffine(image, matrix, (w, h), flags=cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_CONSTANT, borderValue=border_value)


def page_deskew(darkness: np.ndarray, *, max_angle: float = 10.0) -> float:
    """Angle (degrees, counter-clockwise) that makes the page's lines horizontal.

    Searches a coarse then a fine grid of angles on a copy about 800 px wide,
    scoring each by the variance of the row-sum profile: horizontal grid lines
    and trace baselines make it peaky only when they are level.
    """
    h, w = darkness.shape
    scale = min(1.0, 800.0 / w)
    small = cv2.resize(darkness, (int(w * scale), int(h * scale)), interpolation=cv2.INTER_AREA)

    def sharpness(angle: float) -> float:
        profile = image_rotate(small, angle, border_value=0.0).sum(axis=1)
        return float(np.var(np.diff(profile)))

    coarse = np.arange(-max_angle, max_angle + 1e-6, 0.5)
    best = coarse[int(np.argmax([sharpness(a) for a in coarse]))]
    fine = np.arange(best - 0.5, best + 0.5 + 1e-6, 0.05)
    return float(fine[int(np.argmax([sharpness(a) for a in fine]))])


def perspective_find(lines: np.ndarray, *, bands: int = 4, max_slope: float = 0.06, min_change: float = 0.002,
                     max_steps: int = 3) -> np.ndarray | None:
    """The homography (3x3, page pixels to rectified pixels) that makes a level page's lines parallel.

    A page photographed at an angle keeps converging lines after
    ``page_deskew``: the slope of its horizontal lines changes down the page,
    that of its vertical lines across it. Both are measured in ``bands``
    bands each way (the shear that makes a band's profile sharpest, as in
    ``page_deskew``), and fitted as straight lines in the band's position. To
    first order, the map ``X = (x + b y) / (1 + g x + h y)``,
    ``Y = (c x + y) / (1 + g x + h y)`` (centred coordinates) turns lines of
    slope ``g y - c`` (horizontal) and ``h x - b`` (vertical, dx/dy) into level
    and upright ones, so the fits give ``g, c, h, b``. The step is repeated
    on the corrected page, up to ``max_steps`` times, while the slopes still
    differ. On the renderer's perspective pages (corner shifts of 1-4 % of the
    side, 12 validation records; `run_model.py`, NaN unplotted) masked SNR
    went from 2.8 to 12.7 dB, a page that gives no layout counting 0; over
    the 11 records that give one, one step scored 12.1 dB and repeating it
    13.4 (a second step was needed on 3 pages of 13).

    Returns None where the page's lines are already parallel and at right
    angles to within ``min_change`` (a slope of 0.11 degrees), so that level
    pages are not resampled: on the 40 eik-dev pages and on rotated renderer
    pages every band measured 0 after deskewing, on perspective pages the
    slopes spread by 0.0095 to 0.05. Creases bend lines too: two of 13
    100-dpi wrinkled renderer pages were corrected (that set's masked SNR
    6.19 -> 6.18 dB).
    """
    h, w = lines.shape
    scale = min(1.0, 400.0 / w)   # slopes to 0.0005 need no more than this
    small = cv2.resize(lines, (max(1, int(w * scale)), max(1, int(h * scale))), interpolation=cv2.INTER_AREA)
    sh, sw = small.shape
    centre = np.array([[1.0, 0.0, -(sw - 1) / 2.0], [0.0, 1.0, -(sh - 1) / 2.0], [0.0, 0.0, 1.0]])
    total, current = None, small
    for _ in range(max_steps):
        y_centres, y_slopes = _band_slopes(current, bands, max_slope)     # horizontal lines, dy/dx
        x_centres, x_slopes = _band_slopes(current.T, bands, max_slope)   # vertical lines, dx/dy
        spread = max(np.ptp(y_slopes), np.ptp(x_slopes), abs(np.mean(y_slopes) + np.mean(x_slopes)))
        if spread < min_change:
            break
        g, minus_c = np.polyfit(y_centres, y_slopes, 1)
        hh, minus_b = np.polyfit(x_centres, x_slopes, 1)
        step = np.linalg.inv(centre) @ np.array([[1.0, -minus_b, 0.0], [-minus_c, 1.0, 0.0], [g, hh, 1.0]]) @ centre
        total = step if total is None else step @ total
        current = image_warp(small, total)
    if total is None:
        return None
    to_small = np.diag([scale, scale, 1.0])
    return np.linalg.inv(to_small) @ total @ to_small


def image_warp(image: np.ndarray, homography: np.ndarray) -> np.ndarray:
    """``image`` mapped by ``homography`` (3x3, source pixels to output pixels), same size.

    What comes in from outside the image takes its median colour (the
    paper's). Replicating the edge instead (as ``image_rotate`` does) draws
    streaks from whatever touches the edge, and ink joined to the border is
    dropped (``layout.ink_mask``): a renderer page photographed at an angle
    lost three of its four rows that way. Levelling pages with this warp
    rather than ``image_rotate``: masked SNR (learned, NaN unplotted) eik-dev
    wrinkle 16.26 -> 16.70 dB, clean unchanged, aug and varied -0.01; the
    renderer's pages of 12 validation records -0.05 to +0.02.
    """
    h, w = image.shape[:2]
    step = max(1, int(np.sqrt(h * w / 1e5)))                  # about 10^5 pixels are enough for a median
    paper = np.median(image[::step, ::step].reshape(-1, *image.shape[2:]), axis=0)
    return cv2.warpPerspective(image, homography, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT,
                               borderValue=np.atleast_1d(paper).astype(float).tolist())


def _band_slopes(lines: np.ndarray, bands: int, max_slope: float) -> tuple[np.ndarray, np.ndarray]:
    """The slope (dy/dx) of the lines in each of ``bands`` horizontal bands, and the bands' centre rows.

    Rows are centred on the image's middle row. The slope is searched in
    steps of 0.003 up to ``max_slope``, then of 0.0005 around the best.
    """
    h = lines.shape[0]
    centres, slopes = [], []
    for k in range(bands):
        band = lines[k * h // bands:(k + 1) * h // bands]
        coarse = _sharpest_slope(band, np.arange(-max_slope, max_slope + 1e-9, 0.003))
        slopes.append(_sharpest_slope(band, np.arange(coarse - 0.0015, coarse + 0.0015 + 1e-9, 0.0005)))
        centres.append((k + 0.5) * h / bands - (h - 1) / 2.0)
    return np.array(centres), np.array(slopes)


def _sharpest_slope(band: np.ndarray, slopes: np.ndarray, *, groups: int = 40) -> float:
    """The slope among ``slopes`` whose shear makes the band's row profile sharpest.

    The band's columns are summed in ``groups`` groups; a shear by slope
    ``t`` moves each group's row profile by ``t`` times the group's distance
    from the middle column (linear interpolation), and their sum is the
    sheared band's profile; a group 10 px wide shifts by under a pixel
    from end to end for the slopes a deskewed page shows. On a 200-dpi page
    ``perspective_find`` takes 0.06 s this way, 0.09 s shearing the whole
    band with ``cv2.warpAffine``, and reads the renderer's perspective pages
    as well (masked SNR of the 11 records above 13.4 dB against 13.5; 16
    groups: 12.8).
    """
    h, w = band.shape
    edges = np.linspace(0, w, groups + 1).astype(int)
    profiles = np.add.reduceat(band, edges[:-1], axis=1).T                   # (groups, h)
    offsets = (edges[:-1] + edges[1:] - 1) / 2.0 - (w - 1) / 2.0
    where = np.arange(h)[None, None, :] + slopes[:, None, None] * offsets[None, :, None]   # (slopes, groups, h)
    low = np.floor(where).astype(int)
    frac = where - low
    padded = np.pad(profiles, ((0, 0), (1, 2)))                              # rows outside the band read 0
    group = np.arange(groups)[None, :, None]
    below = padded[group, np.clip(low + 1, 0, h + 2)]
    above = padded[group, np.clip(low + 2, 0, h + 2)]
    sheared = ((1.0 - frac) * below + frac * above).sum(axis=1)              # (slopes, h)
    return float(slopes[int(np.argmax(np.var(np.diff(sheared, axis=1), axis=1)))])


@dataclass(frozen=True)
class GridEstimate:
    """Paper scale of a page.

    Attributes
    ----------
    px_per_mm : float
    from_grid : bool
        True when the grid's period was measured, False when the page-size
        prior was used because no grid stood out or it had no 1-mm lines.
    strength : float
        Mean log of spectral power over its median at the first harmonics of
        the chosen period (higher is surer; about 0 for no grid).
    """
    px_per_mm: float
    from_grid: bool
    strength: float


def grid_detect(darkness: np.ndarray, *, min_strength: float = 2.0, min_line_strength: float = 4.0,
                prior_weight: float = 1.0) -> GridEstimate:
    """Pixels per millimetre from the grid's period.

    The column and row means of the darkness map are periodic with the 1-mm and
    5-mm grid. Their power spectra are summed and scored at the first five
    harmonics of each candidate 5-mm period; candidates are restricted to
    0.7 x an A4 page's scale .. 1.3 x a letter page's scale for this image
    width, which rules out sub-harmonics. The winner is then refined on a
    finely zero-padded spectrum (``_scale_refine``). Without a clear peak, the
    letter-page scale is returned.

    Beats, text and shadows are periodic enough to pass ``min_strength`` on a
    page without a grid: the renderer's gridless pages scored about 3 and
    were read at 4.1 px/mm instead of 3.94 (100 dpi), and the hard preset's
    gridless pages at 4.3-12.4 px/mm. What they lack is the 1-mm lines: at a
    grid's 1-mm frequency the log power over the median is at least 5.3 on
    every eik-dev page and on the hard preset's pages with a grid, and at
    most 3.2 on those without. So a grid whose 1-mm lines are not
    ``min_line_strength`` above the median is not taken for one.

    Parameters
    ----------
    darkness : (H, W) float ndarray
        ``line_darkness`` of a level page.
    min_strength : float
        Below this score no grid is taken to be present.
    min_line_strength : float
        Below this log power (over the median) at the chosen period's 1-mm
        frequency no grid is taken to be present.
    prior_weight : float
        Score penalty per unit of |log(scale / letter-page scale)|.
    """
    h, w = darkness.shape
    prior = w / LETTER_WIDTH_MM
    grid_only = np.minimum(darkness, np.quantile(darkness, 0.995))
    profiles = [grid_only.mean(axis=0), grid_only.mean(axis=1)]
    n = 4096
    spectrum = _power_spectrum(profiles, n)
    candidates = np.linspace(0.7 * w / A4_WIDTH_MM, 1.3 * prior, 400)
    # Geometric mean of the first five harmonics: every harmonic of the true
    # 5-mm period is present, while a wrong period that happens to hit the
    # strong 1-mm line frequency misses the others.
    log_power = np.log(np.maximum(spectrum, 1e-12) / (np.median(spectrum) + 1e-12))
    log_power = np.maximum.reduce([log_power, np.roll(log_power, 1), np.roll(log_power, -1)])
    # A weak prior for the letter-page scale breaks near-ties between the true
    # period and one that shares its strongest harmonic (a 4-mm "period" hits
    # the 1-mm lines as its 4th harmonic).
    scores = []
    for ppmm in candidates:
        harmonics = np.arange(1, 6) / (5.0 * ppmm)
        harmonics = harmonics[harmonics < 0.5]
        scores.append(log_power[np.round(harmonics * n).astype(int)].mean()
                      - prior_weight * abs(np.log(ppmm / prior)))
    best = int(np.argmax(scores))
    strength, ppmm = float(scores[best]), float(candidates[best])
    if strength < min_strength:
        log.debug("no grid period stands out (strength %.1f); using the letter-page scale", strength)
        return GridEstimate(prior, False, strength)
    line_strength = float(log_power[int(round(n / ppmm))])      # the 5th harmonic: 1-mm lines
    if line_strength < min_line_strength:
        log.debug("a %.2f px/mm period without 1-mm lines (%.1f); using the letter-page scale",
                  ppmm, line_strength)
        return GridEstimate(prior, False, strength)
    return GridEstimate(_scale_refine(profiles, ppmm), True, strength)


def _power_spectrum(profiles: list[np.ndarray], n: int) -> np.ndarray:
    """Summed power spectra of detrended, Hann-windowed profiles, ``n``-point FFT."""
    total = 0.0
    for profile in profiles:
        profile = profile - cv2.GaussianBlur(profile.reshape(1, -1), (0, 0), 10).ravel()
        total = total + np.abs(np.fft.rfft(profile * np.hanning(profile.size), n)) ** 2
    return total


def _scale_refine(profiles: list[np.ndarray], ppmm: float) -> float:
    """Sharpen a scale estimate to about 0.02 %.

    On a 2**16-point spectrum, find the strongest bin within 3 % of each of
    the first five harmonics and average the scales they imply, weighted by
    harmonic number times power (higher harmonics pin the period better).
    """
    n = 1 << 16
    spectrum = _power_spectrum(profiles, n)
    estimates, weights = [], []
    for k in range(1, 6):
        f = k / (5.0 * ppmm)
        lo, hi = int(f * 0.97 * n), int(min(f * 1.03, 0.5) * n)
        if hi <= lo:
            continue
        i = lo + int(np.argmax(spectrum[lo:hi]))
        estimates.append(k / (5.0 * i / n))
        weights.append(k * spectrum[i])
    return float(np.average(estimates, weights=weights)) if estimates else ppmm
