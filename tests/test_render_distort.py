"""Distortions: each one keeps the ground truth on the ink; geometric maps are exact."""
from __future__ import annotations

import numpy as np
import pytest

from ecgdigitizer.render import (DISTORTIONS, PRESETS, DistortionSpec, Preset, ink_fraction, mask_fraction,
                                 page_render, plotted_pixels_array)
from ecgdigitizer.render.distort import GEOMETRIC, _displace, distort_perspective, distort_rotate
from ecgdigitizer.render.page import Canvas

from render_helpers import LEADS12, synthetic_ecg

SIGNAL = synthetic_ecg(seed=3)
STRONG = {"rotate": 6.0, "perspective": 0.05, "wrinkles": 1.0, "creases": 4.0, "handwriting": 8.0,
          "stains": 5.0, "shadows": 0.7, "noise": 40.0, "salt_pepper": 0.01, "blur": 1.5, "jpeg": 25.0,
          "temperature": 2500.0, "bw": 150.0, "margins": 0.06, "crop": 0.05}


def test_every_distortion_has_a_strong_setting():
    assert set(STRONG) == set(DISTORTIONS)


def _points(page) -> np.ndarray:
    return np.concatenate([plotted_pixels_array(l) for l in page.ground_truth["leads"]])


@pytest.mark.parametrize("dpi", [100, 200])
@pytest.mark.parametrize("name", sorted(DISTORTIONS))
def test_distortion_keeps_ground_truth_on_ink(name, dpi):
    clean = page_render(SIGNAL, 500, LEADS12, dpi=dpi, preset=Preset("t", trace_grey=(0, 0)), seed=1)
    preset = Preset("t", trace_grey=(0, 0), distortions=(DistortionSpec(name, 1.0, (STRONG[name],) * 2),))
    for seed in (1, 2):
        page = page_render(SIGNAL, 500, LEADS12, dpi=dpi, preset=preset, seed=seed)
        assert [d["name"] for d in page.ground_truth["distortions"]] == [name]
        ink = ink_fraction(page.image, page.ground_truth)
        mask = mask_fraction(page.trace_mask, page.ground_truth)
        control = ink_fraction(page.image, page.ground_truth, offset=(1.5 * dpi / 25.4, 0))
        assert ink >= 0.95 and mask >= 0.95, f"{name} seed {seed}: ink {ink:.4f}, mask {mask:.4f}"
        assert control < 0.85, f"{name}: points 1.5 mm off the trace pass as ink ({control:.3f})"
        assert page.image.shape[:2] == page.trace_mask.shape
        assert (page.ground_truth["height"], page.ground_truth["width"]) == page.trace_mask.shape
    moved = np.nanmax(np.abs(_points(page) - _points(clean))) if page.image.shape == clean.image.shape else np.inf
    if name in GEOMETRIC:
        assert moved > 0.5, f"{name} did not move the points"
    else:
        assert moved == 0, f"{name} is photometric but moved the points by {moved}"


@pytest.mark.parametrize("preset", ["aug", "wrinkle", "varied", "hard"])
def test_presets_keep_ground_truth_on_ink(preset):
    fractions = []
    for seed in range(3):
        page = page_render(SIGNAL, 500, LEADS12, dpi=100, preset=preset, seed=seed)
        fractions.append(ink_fraction(page.image, page.ground_truth))
    assert min(fractions) >= 0.95, f"{preset}: ink fractions {np.round(fractions, 4)}"


def _dot_canvas(h=200, w=300, at=(80.3, 140.6)):
    """A Gaussian dot at a sub-pixel [row, col]."""
    ys, xs = np.mgrid[0:h, 0:w]
    dot = np.exp(-((ys - at[0]) ** 2 + (xs - at[1]) ** 2) / (2 * 2.0 ** 2))
    img = (255 - 200 * dot).astype(np.uint8)
    return Canvas(np.dstack([img] * 3), np.zeros((h, w), np.uint8), np.array([at], float))


def _centroid(image: np.ndarray, near: np.ndarray, radius: int = 12) -> np.ndarray:
    """Centroid of darkness within ``radius`` px of ``near`` (away from any dark fill at the borders)."""
    r0, c0 = np.round(near).astype(int) - radius
    patch = 255 - image[r0:r0 + 2 * radius + 1, c0:c0 + 2 * radius + 1, 0].astype(float)
    patch[patch < 20] = 0
    ys, xs = np.mgrid[0:patch.shape[0], 0:patch.shape[1]]
    return np.array([r0 + (ys * patch).sum() / patch.sum(), c0 + (xs * patch).sum() / patch.sum()])


@pytest.mark.parametrize("warp", [
    lambda c, r: distort_rotate(c, r, 20.0)[0],
    lambda c, r: distort_perspective(c, r, 0.08)[0],
    lambda c, r: _displace(c, r.normal(0, 2.0, (6, 8)), r.normal(0, 2.0, (6, 8))),
])
def test_geometric_maps_are_sub_pixel_exact(warp):
    rng = np.random.default_rng(0)
    canvas = _dot_canvas()
    out = warp(canvas, rng)
    found = _centroid(out.image, out.points[0])
    err = np.abs(found - out.points[0]).max()
    assert np.abs(out.points[0] - canvas.points[0]).max() > 1, "the warp did not move the dot"
    assert err < 0.15, f"dot at {found}, ground truth {out.points[0]} ({err:.3f} px)"


def test_presets_are_the_documented_ones():
    assert set(PRESETS) == {"clean", "aug", "wrinkle", "varied", "hard"}
    assert PRESETS["clean"].distortions == ()
    rotation = {n: next(d.strength for d in PRESETS[n].distortions if d.name == "rotate")
                for n in ("aug", "wrinkle", "varied")}
    assert rotation == {"aug": (5.0, 5.0), "wrinkle": (3.0, 3.0), "varied": (2.0, 2.0)}   # eik-dev images.csv


def test_unknown_distortion_in_a_preset_is_named():
    with pytest.raises(ValueError, match="unknown distortions"):
        page_render(SIGNAL, 500, LEADS12, dpi=100, preset=Preset("t", distortions=(DistortionSpec("melt", 1, (1, 1)),)))
