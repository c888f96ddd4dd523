"""Distortions of a rendered page that keep its ground truth exact.

Each ``distort_<name>(canvas, rng, strength)`` takes a :class:`Canvas` (image,
trace mask, tracked points), a numpy Generator and a strength, and returns the
new canvas and a dict of the parameters it drew. Geometric distortions move the
image, the mask (nearest neighbour) and the points with the same transform;
photometric ones leave mask and points alone. ``distortions_apply`` runs a
preset's distortions in ``DISTORTION_ORDER`` (paper damage, then the camera or
scanner, then the sensor and the file).

Strength units (``DISTORTIONS[name][1]``):

=============  ==========================================================
rotate         maximum angle, degrees (drawn in [-s, s], counter-clockwise +)
perspective    maximum corner shift, fraction of the page side
wrinkles       texture amplitude, 0-1 (shading about 25 %, displacement 1.5 px at 1)
creases        maximum creases each way (1-4 in ECG-Image-Kit), angle 0-45 deg
handwriting    number of pen strokes and scribbled words
stains         number of stains
shadows        darkness of shadows and uneven lighting, 0-1
noise          Gaussian sigma, 0-255 scale
salt_pepper    fraction of pixels set to black or white
blur           Gaussian sigma, px at 200 dpi (scaled with the page size)
jpeg           JPEG quality, 1-100
temperature    colour temperature, kelvin (6500 = neutral)
bw             threshold, 0-255
margins        maximum scanner margin per side, fraction of the page side
crop           maximum crop per side, fraction of the page side
=============  ==========================================================
"""
from __future__ import annotations

import functools
import math
from typing import Callable

import cv2
import numpy as np

from .page import Canvas
from .presets import Preset

__all__ = ["DISTORTIONS", "DISTORTION_ORDER", "distortions_apply"] + [
    f"distort_{n}" for n in ("rotate", "perspective", "wrinkles", "creases", "handwriting", "stains",
                             "shadows", "noise", "salt_pepper", "blur", "jpeg", "temperature", "bw",
                             "margins", "crop")]

_LOW = 4   # low-resolution fields are computed at 1/_LOW of the page and upsampled


# ------------------------------------------------------------------------ helpers

def _border_color(rng: np.random.Generator) -> tuple[int, int, int]:
    """What shows beyond the paper: black (as ECG-Image-Kit fills) or a scanner lid."""
    if rng.random() < 0.5:
        return (0, 0, 0)
    v = int(rng.integers(180, 256))
    return (v, v, v)


def _homography(canvas: Canvas, m3: np.ndarray, rng: np.random.Generator) -> Canvas:
    h, w = canvas.mask.shape
    border = _border_color(rng)
    image = cv2.warpPerspective(canvas.image, m3, (w, h), flags=cv2.INTER_LINEAR,
                                borderMode=cv2.BORDER_CONSTANT, borderValue=border)
    mask = cv2.warpPerspective(canvas.mask, m3, (w, h), flags=cv2.INTER_NEAREST,
                               borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    xy1 = np.c_[canvas.points[:, ::-1], np.ones(len(canvas.points))] @ m3.T   # (M, 3)
    xy = xy1[:, :2] / xy1[:, 2:3]
    return Canvas(image, mask, xy[:, ::-1].copy())


@functools.lru_cache(maxsize=2)
def _pixel_grid(h: int, w: int) -> tuple[np.ndarray, np.ndarray]:
    """(H, W) float32 column and row index maps (pure, cached, read-only)."""
    xs, ys = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    xs.flags.writeable = False
    ys.flags.writeable = False
    return xs, ys


def _sample_low(field: np.ndarray, xy: np.ndarray, h: int, w: int) -> np.ndarray:
    """Bilinear sample of a low-res field at full-res points (cv2.resize's convention)."""
    fh, fw = field.shape
    u = np.clip((xy[:, 0] + 0.5) * fw / w - 0.5, 0, fw - 1)
    v = np.clip((xy[:, 1] + 0.5) * fh / h - 0.5, 0, fh - 1)
    u0 = np.clip(np.floor(u).astype(int), 0, fw - 2 if fw > 1 else 0)
    v0 = np.clip(np.floor(v).astype(int), 0, fh - 2 if fh > 1 else 0)
    du, dv = u - u0, v - v0
    u1, v1 = np.minimum(u0 + 1, fw - 1), np.minimum(v0 + 1, fh - 1)
    return (field[v0, u0] * (1 - du) * (1 - dv) + field[v0, u1] * du * (1 - dv)
            + field[v1, u0] * (1 - du) * dv + field[v1, u1] * du * dv)


def _displace(canvas: Canvas, dx_low: np.ndarray, dy_low: np.ndarray) -> Canvas:
    """Warp by a smooth displacement field: output(x) = input(x + d(x)).

    Points move to the x with x + d(x) = p, found by fixed-point iteration
    (d is small and smooth, so three steps reach well under 0.01 px).
    """
    h, w = canvas.mask.shape
    xs, ys = _pixel_grid(h, w)
    dx = cv2.resize(dx_low.astype(np.float32), (w, h), interpolation=cv2.INTER_LINEAR)
    dy = cv2.resize(dy_low.astype(np.float32), (w, h), interpolation=cv2.INTER_LINEAR)
    map_x, map_y = xs + dx, ys + dy
    image = cv2.remap(canvas.image, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    mask = cv2.remap(canvas.mask, map_x, map_y, cv2.INTER_NEAREST, borderMode=cv2.BORDER_CONSTANT)
    p = canvas.points[:, ::-1]                  # (M, 2) x, y
    x = p.copy()
    for _ in range(4):
        x = p - np.stack([_sample_low(dx_low, x, h, w), _sample_low(dy_low, x, h, w)], axis=1)
    return Canvas(image, mask, x[:, ::-1].copy())


def _shade(image: np.ndarray, field_low: np.ndarray) -> np.ndarray:
    """Multiply the image by a smooth (h, w) or (h, w, 3) field given at low resolution.

    The field is upsampled as uint8 in steps of 1/128 (0-2) and applied with
    OpenCV's saturating uint8 multiply: four times faster than float32 planes.
    """
    h, w = image.shape[:2]
    f8 = np.clip(np.asarray(field_low, np.float32) * 128 + 0.5, 0, 255).astype(np.uint8)
    f8 = cv2.resize(f8, (w, h), interpolation=cv2.INTER_LINEAR)
    if f8.ndim == 3:
        return cv2.multiply(image, f8, scale=1 / 128)
    return cv2.merge([cv2.multiply(ch, f8, scale=1 / 128) for ch in cv2.split(image)])


def _smooth_noise(rng: np.random.Generator, shape: tuple[int, int], cells: int) -> np.ndarray:
    """(h, w) float32 smooth noise, about ``cells`` blobs across the longer side, unit std."""
    h, w = shape
    gh, gw = max(2, round(cells * h / max(h, w))), max(2, round(cells * w / max(h, w)))
    f = cv2.resize(rng.standard_normal((gh, gw)).astype(np.float32), (w, h), interpolation=cv2.INTER_CUBIC)
    return f / (f.std() + 1e-6)


def _low_shape(canvas: Canvas) -> tuple[int, int]:
    h, w = canvas.mask.shape
    return max(2, h // _LOW), max(2, w // _LOW)


# --------------------------------------------------------------------- geometric

def distort_rotate(canvas: Canvas, rng: np.random.Generator, strength: float) -> tuple[Canvas, dict]:
    """Rotate about the page centre by an angle drawn in [-strength, strength] degrees."""
    angle = float(rng.uniform(-strength, strength))
    h, w = canvas.mask.shape
    m = np.vstack([cv2.getRotationMatrix2D(((w - 1) / 2, (h - 1) / 2), angle, 1.0), [0, 0, 1]])
    return _homography(canvas, m, rng), {"angle_deg": round(angle, 3)}


def distort_perspective(canvas: Canvas, rng: np.random.Generator, strength: float) -> tuple[Canvas, dict]:
    """Move each page corner by up to ``strength`` of the page side (a photo taken at an angle)."""
    h, w = canvas.mask.shape
    src = np.float32([[0, 0], [w - 1, 0], [w - 1, h - 1], [0, h - 1]])
    shift = rng.uniform(-strength, strength, size=(4, 2)) * [w, h]
    m = cv2.getPerspectiveTransform(src, (src + shift).astype(np.float32))
    return _homography(canvas, m.astype(np.float64), rng), {"corner_shift_px": np.round(shift, 1).tolist()}


def distort_margins(canvas: Canvas, rng: np.random.Generator, strength: float) -> tuple[Canvas, dict]:
    """Scanner margins: pad each side by up to ``strength`` of the page, then scale back to size."""
    h, w = canvas.mask.shape
    t, b = (rng.uniform(0, strength, 2) * h).round().astype(int)
    l, r = (rng.uniform(0, strength, 2) * w).round().astype(int)
    border = _border_color(rng)
    image = cv2.copyMakeBorder(canvas.image, t, b, l, r, cv2.BORDER_CONSTANT, value=border)
    mask = cv2.copyMakeBorder(canvas.mask, t, b, l, r, cv2.BORDER_CONSTANT, value=0)
    sy, sx = h / image.shape[0], w / image.shape[1]
    image = cv2.resize(image, (w, h), interpolation=cv2.INTER_AREA)
    # Grey dilation first, so that 1-px traces survive nearest-neighbour shrinking.
    mask = cv2.resize(cv2.dilate(mask, np.ones((3, 3), np.uint8)), (w, h), interpolation=cv2.INTER_NEAREST)
    p = canvas.points + [t, l]
    points = np.stack([(p[:, 0] + 0.5) * sy - 0.5, (p[:, 1] + 0.5) * sx - 0.5], axis=1)
    return Canvas(image, mask, points), {"top": int(t), "bottom": int(b), "left": int(l), "right": int(r)}


def distort_crop(canvas: Canvas, rng: np.random.Generator, strength: float) -> tuple[Canvas, dict]:
    """Cut up to ``strength`` of the page from each side (the image gets smaller)."""
    h, w = canvas.mask.shape
    t, b = (rng.uniform(0, strength, 2) * h).astype(int)
    l, r = (rng.uniform(0, strength, 2) * w).astype(int)
    image = np.ascontiguousarray(canvas.image[t:h - b, l:w - r])
    mask = np.ascontiguousarray(canvas.mask[t:h - b, l:w - r])
    return Canvas(image, mask, canvas.points - [t, l]), {"top": int(t), "bottom": int(b),
                                                          "left": int(l), "right": int(r)}


def distort_wrinkles(canvas: Canvas, rng: np.random.Generator, strength: float) -> tuple[Canvas, dict]:
    """Crumpled paper: ridged shading texture and a small smooth displacement."""
    shape = _low_shape(canvas)
    ridges = 1 - np.abs(_smooth_noise(rng, shape, 14) + 0.5 * _smooth_noise(rng, shape, 30))
    shade = 1 + strength * (0.15 * _smooth_noise(rng, shape, 4) + 0.12 * np.clip(ridges, -2, 1))
    amp = 1.5 * strength
    dx, dy = amp * _smooth_noise(rng, shape, 6), amp * _smooth_noise(rng, shape, 6)
    out = _displace(canvas, dx, dy)
    out.image = _shade(out.image, np.clip(shade, 0.4, 1.2))
    return out, {"amplitude": round(float(strength), 3)}


def distort_creases(canvas: Canvas, rng: np.random.Generator, strength: float) -> tuple[Canvas, dict]:
    """Fold lines: a dark groove, a bright crest, shaded faces and a sub-pixel step across each fold."""
    h, w = canvas.mask.shape
    lh, lw = _low_shape(canvas)
    xs, ys = np.meshgrid((np.arange(lw) + 0.5) * w / lw - 0.5, (np.arange(lh) + 0.5) * h / lh - 0.5)
    most = max(1, int(round(strength)))
    n_h, n_v = int(rng.integers(1, most + 1)), int(rng.integers(1, most + 1))
    angle = float(rng.uniform(0, 45))
    shade = np.ones((lh, lw), np.float32)
    dx, dy = np.zeros((lh, lw), np.float32), np.zeros((lh, lw), np.float32)
    width = 0.006 * max(h, w)
    for k in range(n_h + n_v):
        theta = math.radians(angle + (90 if k >= n_h else 0))
        nx, ny = -math.sin(theta), math.cos(theta)                      # unit normal to the fold
        offset = rng.uniform(0.15, 0.85) * (abs(nx) * w + abs(ny) * h) + min(0, nx * w) + min(0, ny * h)
        d = xs * nx + ys * ny - offset                                   # signed distance, px
        # A narrow dark groove, a bright crest beside it, and the two faces lit differently.
        shade += (-0.25 * np.exp(-(d / (0.4 * width)) ** 2) + 0.3 * np.exp(-((d - width) / width) ** 2)
                  - 0.3 * (d / (3 * width)) * np.exp(-(d / (3 * width)) ** 2))
        step = rng.uniform(0.3, 1.0) * np.tanh(d / width)
        dx += step * nx
        dy += step * ny
    out = _displace(canvas, dx, dy)
    out.image = _shade(out.image, np.clip(shade, 0.5, 1.3))
    return out, {"crease_angle": round(angle, 2), "creases_h": n_h, "creases_v": n_v}


# ------------------------------------------------------------------ paper marks

_WORDS = ("NSR", "ok", "repeat", "LVH?", "old MI", "compare", "normal", "AF?", "Dr.", "seen",
          "urgent", "QT long", "bed 4", "f/u", "STEMI?", "no change", "pre-op", "K+ 5.9")
_PENS = ((25, 45, 160), (20, 20, 20), (170, 25, 30), (30, 90, 40))


def distort_handwriting(canvas: Canvas, rng: np.random.Generator, strength: float) -> tuple[Canvas, dict]:
    """Pen strokes (smooth random walks) and scribbled words anywhere on the page."""
    image = canvas.image.copy()
    h, w = canvas.mask.shape
    px = max(h, w) / 280.0                                   # about 1 mm
    pen = _PENS[int(rng.integers(len(_PENS)))]
    n = max(1, int(round(strength)))
    for _ in range(n):
        steps = int(rng.integers(20, 80))
        turn = np.cumsum(rng.normal(0, 0.35, steps)) + rng.uniform(0, 2 * math.pi)
        step = rng.uniform(0.5, 1.5) * px
        xy = np.cumsum(np.stack([np.cos(turn), np.sin(turn)], 1) * step, axis=0) + [rng.uniform(0, w), rng.uniform(0, h)]
        cv2.polylines(image, [np.round(xy * 16).astype(np.int32)], False, pen,
                      int(rng.integers(1, 3 + int(px > 6))), cv2.LINE_AA, shift=4)
    for _ in range(n):
        word = _WORDS[int(rng.integers(len(_WORDS)))]
        scale = rng.uniform(3, 7) * px / 22
        org = (int(rng.uniform(0, 0.85 * w)), int(rng.uniform(0.05 * h, h)))
        cv2.putText(image, word, org, cv2.FONT_HERSHEY_SCRIPT_SIMPLEX, scale, pen,
                    max(1, round(scale * 1.2)), cv2.LINE_AA)
    return Canvas(image, canvas.mask, canvas.points), {"strokes": n, "words": n, "pen": list(pen)}


def distort_stains(canvas: Canvas, rng: np.random.Generator, strength: float) -> tuple[Canvas, dict]:
    """Coffee-like stains: soft tinted blobs, some with a darker ring."""
    lh, lw = _low_shape(canvas)
    alpha = np.zeros((lh, lw), np.float32)
    n = max(1, int(round(strength)))
    for _ in range(n):
        centre = (int(rng.uniform(0, lw)), int(rng.uniform(0, lh)))
        axes = (int(rng.uniform(0.03, 0.15) * lw), int(rng.uniform(0.03, 0.15) * lw))
        a = float(rng.uniform(0.15, 0.45))
        cv2.ellipse(alpha, centre, axes, float(rng.uniform(0, 180)), 0, 360, a, -1)
        if rng.random() < 0.5:
            cv2.ellipse(alpha, centre, axes, 0, 0, 360, min(0.8, 2 * a), max(1, lw // 300))
    alpha = cv2.GaussianBlur(alpha, (0, 0), max(1.0, lw / 400))
    tint = np.array([rng.uniform(120, 200), rng.uniform(80, 140), rng.uniform(30, 80)], np.float32) / 255
    field = 1 - alpha[..., None] * (1 - tint)                 # (h, w, 3)
    return Canvas(_shade(canvas.image, field), canvas.mask, canvas.points), {"stains": n}


# ----------------------------------------------------------------- light, sensor

def distort_shadows(canvas: Canvas, rng: np.random.Generator, strength: float) -> tuple[Canvas, dict]:
    """Uneven lighting (a gradient and a soft blob) and a cast shadow from one edge."""
    lh, lw = _low_shape(canvas)
    ys, xs = np.mgrid[0:lh, 0:lw].astype(np.float32)
    theta = rng.uniform(0, 2 * math.pi)
    g = (xs / lw - 0.5) * math.cos(theta) + (ys / lh - 0.5) * math.sin(theta)
    field = 1 - strength * 0.5 * (g - g.min()) - 0.1 * strength * _smooth_noise(rng, (lh, lw), 3)
    shadow = np.zeros((lh, lw), np.float32)
    edge = int(rng.integers(4))
    depth = rng.uniform(0.1, 0.4)
    poly = rng.uniform(0, 1, (3, 2)) * [lw, lh]
    if edge == 0:
        poly = np.vstack([[0, 0], [0, lh], poly * [depth, 1]])
    elif edge == 1:
        poly = np.vstack([[lw, 0], [lw, lh], [lw, 0] + poly * [-depth, 1] + [0, 0]])
    elif edge == 2:
        poly = np.vstack([[0, 0], [lw, 0], poly * [1, depth]])
    else:
        poly = np.vstack([[0, lh], [lw, lh], [0, lh] + poly * [1, -depth]])
    hull = cv2.convexHull(np.round(poly).astype(np.int32))
    cv2.fillConvexPoly(shadow, hull, 1.0)
    shadow = cv2.GaussianBlur(shadow, (0, 0), lw / 60)
    field = field * (1 - 0.6 * strength * shadow)
    return Canvas(_shade(canvas.image, np.clip(field, 0.2, 1.2)), canvas.mask, canvas.points), \
        {"darkness": round(float(strength), 3), "shadow_edge": edge}


def distort_temperature(canvas: Canvas, rng: np.random.Generator, strength: float) -> tuple[Canvas, dict]:
    """Colour cast of a light at ``strength`` kelvin, relative to 6500 K daylight."""
    # The 1.5 power matches the casts of ECG-Image-Kit's eik-dev pages (e.g. paper at
    # about (255, 184, 114) for 3100 K and (171, 198, 255) for 18400 K).
    gain = (_kelvin_rgb(strength) / _kelvin_rgb(6500.0)) ** 1.5
    gain = gain / gain.max() * rng.uniform(0.9, 1.05)
    image = cv2.transform(canvas.image, np.diag(gain).astype(np.float32))
    return Canvas(image, canvas.mask, canvas.points), {"kelvin": round(float(strength)),
                                                       "gain": np.round(gain, 3).tolist()}


def _kelvin_rgb(kelvin: float) -> np.ndarray:
    """RGB 0-255 of a black body at ``kelvin`` (Tanner Helland's fit, 1000-40000 K)."""
    t = np.clip(kelvin, 1000, 40000) / 100
    r = 255 if t <= 66 else 329.698727446 * (t - 60) ** -0.1332047592
    g = 99.4708025861 * math.log(t) - 161.1195681661 if t <= 66 else 288.1221695283 * (t - 60) ** -0.0755148492
    b = 255 if t >= 66 else (0 if t <= 19 else 138.5177312231 * math.log(t - 10) - 305.0447927307)
    return np.clip(np.array([r, g, b], np.float64), 1, 255)


def distort_noise(canvas: Canvas, rng: np.random.Generator, strength: float) -> tuple[Canvas, dict]:
    """Additive Gaussian noise of sigma ``strength`` (0-255 scale), independent per channel."""
    h, w = canvas.mask.shape
    n = np.empty((h, w + 2), np.float32)
    # OpenCV's generator is thread-local and about 3x faster than numpy's; seeding it
    # from rng just before the call keeps the page a pure function of the seed.
    cv2.setRNGSeed(int(rng.integers(2 ** 31)))
    cv2.randn(n, 0.0, float(strength))
    # Three shifted views of one field: per-pixel independent channels at a third of the cost.
    views = (n[:, 0:w], n[:, 1:w + 1], n[:, 2:w + 2]) if rng.random() < 0.5 else (n[:, 0:w],) * 3
    image = cv2.merge([cv2.add(ch, v, dtype=cv2.CV_8U) for ch, v in zip(cv2.split(canvas.image), views)])
    return Canvas(image, canvas.mask, canvas.points), \
        {"sigma": round(float(strength), 2)}


def distort_salt_pepper(canvas: Canvas, rng: np.random.Generator, strength: float) -> tuple[Canvas, dict]:
    """Set a fraction ``strength`` of pixels to black or white."""
    h, w = canvas.mask.shape
    k = int(strength * h * w)
    image = canvas.image.copy()
    rows, cols = rng.integers(0, h, k), rng.integers(0, w, k)
    image[rows, cols] = np.where(rng.random(k) < 0.5, 0, 255)[:, None].astype(np.uint8)
    return Canvas(image, canvas.mask, canvas.points), {"fraction": round(float(strength), 5)}


def distort_blur(canvas: Canvas, rng: np.random.Generator, strength: float) -> tuple[Canvas, dict]:
    """Gaussian blur (defocus) of sigma ``strength`` px at 200 dpi (scaled with the page size)."""
    sigma = float(strength) * max(canvas.mask.shape) / 2200
    return Canvas(cv2.GaussianBlur(canvas.image, (0, 0), sigma), canvas.mask, canvas.points), \
        {"sigma_px": round(sigma, 3)}


def distort_jpeg(canvas: Canvas, rng: np.random.Generator, strength: float) -> tuple[Canvas, dict]:
    """Round trip through JPEG at quality ``strength``."""
    quality = int(np.clip(round(strength), 1, 100))
    ok, buf = cv2.imencode(".jpg", canvas.image[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise RuntimeError("distort_jpeg: OpenCV could not encode the page")
    image = np.ascontiguousarray(cv2.imdecode(buf, cv2.IMREAD_COLOR)[..., ::-1])
    return Canvas(image, canvas.mask, canvas.points), {"quality": quality}


def distort_bw(canvas: Canvas, rng: np.random.Generator, strength: float) -> tuple[Canvas, dict]:
    """Black-and-white threshold at ``strength``, on luminance or with colour drop-out.

    Drop-out (the brightest channel) makes coloured grids vanish, as on a
    fax or a drop-out scanner; luminance keeps dark grids.
    """
    dropout = bool(rng.random() < 0.5)
    grey = canvas.image.max(axis=2) if dropout else cv2.cvtColor(canvas.image, cv2.COLOR_RGB2GRAY)
    bw = np.where(grey < strength, 0, 255).astype(np.uint8)
    return Canvas(cv2.merge([bw, bw, bw]), canvas.mask, canvas.points), \
        {"threshold": round(float(strength), 1), "dropout": dropout}


DISTORTIONS: dict[str, tuple[Callable, str]] = {
    "handwriting": (distort_handwriting, "strokes and words"),
    "stains": (distort_stains, "stains"),
    "wrinkles": (distort_wrinkles, "amplitude 0-1"),
    "creases": (distort_creases, "max creases each way"),
    "perspective": (distort_perspective, "corner shift, fraction of side"),
    "rotate": (distort_rotate, "max degrees"),
    "margins": (distort_margins, "margin, fraction of side"),
    "crop": (distort_crop, "crop, fraction of side"),
    "shadows": (distort_shadows, "darkness 0-1"),
    "temperature": (distort_temperature, "kelvin"),
    "blur": (distort_blur, "sigma px"),
    "noise": (distort_noise, "sigma 0-255"),
    "salt_pepper": (distort_salt_pepper, "fraction of pixels"),
    "bw": (distort_bw, "threshold 0-255"),
    "jpeg": (distort_jpeg, "quality 1-100"),
}
DISTORTION_ORDER = tuple(DISTORTIONS)
GEOMETRIC = ("wrinkles", "creases", "perspective", "rotate", "margins", "crop")


def distortions_apply(canvas: Canvas, preset: Preset, rng: np.random.Generator) -> tuple[Canvas, list[dict]]:
    """Apply ``preset``'s distortions in ``DISTORTION_ORDER``.

    Each spec draws one uniform for its probability and one for its strength
    whether or not it fires, so a page's draws do not depend on earlier ones.

    Returns
    -------
    canvas : Canvas
    applied : list of dict
        ``{"name", "strength", ...drawn parameters}`` for each distortion applied.
    """
    specs = {s.name: s for s in preset.distortions}
    unknown = set(specs) - set(DISTORTIONS)
    if unknown:
        raise ValueError(f"preset {preset.name!r}: unknown distortions {sorted(unknown)}; "
                         f"known: {', '.join(DISTORTIONS)}")
    applied = []
    for name in DISTORTION_ORDER:
        spec = specs.get(name)
        if spec is None:
            continue
        fire = rng.random() < spec.probability
        strength = float(rng.uniform(*spec.strength)) if spec.strength[1] > spec.strength[0] else float(spec.strength[0])
        sub = np.random.default_rng(rng.integers(2 ** 63))
        if not fire:
            continue
        canvas, params = DISTORTIONS[name][0](canvas, sub, strength)
        applied.append({"name": name, "strength": round(strength, 5), **params})
    return canvas, applied
