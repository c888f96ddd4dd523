"""Page geometry on synthetic pages with known answers."""
from dataclasses import replace

import cv2
import numpy as np
import pytest

from ecgdigitizer.digitize import page_geometry, points_level
from ecgdigitizer.geometry import (grid_detect, grid_suppress, image_noise, image_rotate, image_warp, ink_darkness,
                                   line_darkness, page_deskew, perspective_find)
from ecgdigitizer.render import page_render
from ecgdigitizer.render.presets import PRESETS, DistortionSpec, Preset
from render_helpers import LEADS12, synthetic_ecg


def grid_page(px_per_mm: float, width_mm: float = 279.4, height_mm: float = 215.9,
              colour=(255, 120, 120)) -> np.ndarray:
    """A white page with a 1-mm minor and 5-mm major grid in ``colour`` (RGB)."""
    w, h = int(round(width_mm * px_per_mm)), int(round(height_mm * px_per_mm))
    page = np.full((h, w, 3), 255, np.uint8)
    for k in range(int(width_mm) + 1):
        x = int(round(k * px_per_mm))
        page[:, x:x + (2 if k % 5 == 0 else 1)] = colour if k % 5 == 0 else (255, 210, 210)
    for k in range(int(height_mm) + 1):
        y = int(round(k * px_per_mm))
        page[y:y + (2 if k % 5 == 0 else 1)] = colour if k % 5 == 0 else (255, 210, 210)
    return page


@pytest.mark.parametrize("dpi", [100, 150, 200, 300])
def test_grid_period_at_several_resolutions(dpi):
    ppmm = dpi / 25.4
    est = grid_detect(line_darkness(grid_page(ppmm)))
    assert est.from_grid
    assert est.px_per_mm == pytest.approx(ppmm, rel=0.005), (est, ppmm)


def test_grid_period_on_a4_page():
    ppmm = 200 / 25.4
    est = grid_detect(line_darkness(grid_page(ppmm, width_mm=297.0, height_mm=210.0)))
    assert est.px_per_mm == pytest.approx(ppmm, rel=0.005)


def test_blank_page_falls_back_to_letter_scale():
    blank = np.full((850, 1100, 3), 250, np.uint8)
    est = grid_detect(line_darkness(blank))
    assert not est.from_grid
    assert est.px_per_mm == pytest.approx(1100 / 279.4)


@pytest.mark.parametrize("seed", [0, 1])
def test_a_page_of_beats_without_a_grid_falls_back_to_letter_scale(seed):
    # The beats repeat often enough to look like a weak period; only a grid has 1-mm lines.
    gridless = replace(PRESETS["clean"], name="gridless", grid_colors=("none",), dc_pulse_probability=0.0)
    page = page_render(synthetic_ecg(10.0, 500.0), 500.0, LEADS12, dpi=100, preset=gridless, seed=seed)
    est = grid_detect(line_darkness(page.image))
    assert not est.from_grid
    assert est.px_per_mm == pytest.approx(100 / 25.4, rel=0.01)


@pytest.mark.parametrize("angle", [-9.5, -4.0, -1.5, 0.0, 2.5, 9.0])
def test_deskew_recovers_rotation(angle):
    page = grid_page(100 / 25.4)
    cv2.line(page, (100, 400), (1000, 400), (0, 0, 0), 2)
    rotated = image_rotate(page, angle, border_value=(255, 255, 255))
    assert page_deskew(line_darkness(rotated)) == pytest.approx(-angle, abs=0.15)


def test_ink_darkness_prefers_grey_trace_over_coloured_grid():
    page = grid_page(100 / 25.4, colour=(230, 40, 40))
    x = np.arange(50, 900)
    y = np.round(300 + 12 * np.sin(x / 25.0)).astype(np.int32)
    cv2.polylines(page, [np.stack([x, y], 1)], False, (30, 30, 30), 1)
    ink = grid_suppress(ink_darkness(page))
    assert ink[y, x].mean() > 0.3  # the strong threshold of layout.ink_mask
    grid_rows = [int(round(k * 5 * 100 / 25.4)) for k in (10, 20)]
    assert max(ink[y, 100:900].mean() for y in grid_rows) < 0.1


def test_a_narrow_shadow_is_not_ink_and_a_trace_across_it_is():
    # A wrinkle's shadow: a band 20 px wide (5 mm at 100 dpi), a third darker,
    # with sharp edges; a grey trace runs across the page and through it.
    page = np.full((850, 1100, 3), 245, np.uint8)
    page[320:340] = (page[320:340] * 0.65).astype(np.uint8)
    x = np.arange(50, 1050)
    y = np.round(330 + 40 * np.sin(x / 40.0)).astype(np.int32)
    cv2.polylines(page, [np.stack([x, y], 1)], False, (60, 60, 60), 2)
    ink = ink_darkness(page)
    clear = np.abs(np.arange(850)[:, None] - y[None, :]) > 4   # shadow pixels away from the trace
    shadow = ink[320:340, 50:1050][clear[320:340]]
    assert shadow.max() < 0.3 and np.median(shadow) < 0.12  # layout.ink_mask's strong and low thresholds
    inside = (y >= 322) & (y < 338)
    assert np.median(ink[y[inside], x[inside]]) > 0.3


def _corner_shift(shape, shifts) -> np.ndarray:
    """The homography that moves an image's four corners by ``shifts`` (px, clockwise from top left)."""
    h, w = shape[:2]
    corners = np.float32([[0, 0], [w - 1, 0], [w - 1, h - 1], [0, h - 1]])
    return cv2.getPerspectiveTransform(corners, corners + np.float32(shifts)).astype(np.float64)


def _apply(homography, xy):
    mapped = np.c_[xy, np.ones(len(xy))] @ homography.T
    return mapped[:, :2] / mapped[:, 2:]


@pytest.mark.parametrize("shifts", [[[25, 10], [-15, 20], [-30, -25], [20, -5]],     # a photo from below left
                                    [[0, 30], [0, -30], [0, 30], [0, -30]]])        # turned about the vertical
def test_perspective_correction_makes_the_grid_lines_parallel(shifts):
    page = grid_page(100 / 25.4)
    distortion = _corner_shift(page.shape, shifts)
    photo = image_warp(page, distortion)
    correction = perspective_find(line_darkness(photo))
    assert correction is not None
    along = np.linspace(100, page.shape[1] - 100, 9)
    down = np.linspace(100, page.shape[0] - 100, 9)
    tilt = []
    for y in (100.0, page.shape[0] / 2, page.shape[0] - 100.0):          # horizontal grid lines come out level
        seen = _apply(distortion, np.c_[along, np.full_like(along, y)])
        tilt.append(np.ptp(seen[:, 1]))
        assert np.ptp(_apply(correction, seen)[:, 1]) < 3.0        # slopes left under 0.002 (min_change)
    assert max(tilt) > 10.0                                              # on the photo they were not
    for x in (100.0, page.shape[1] / 2, page.shape[1] - 100.0):          # vertical ones upright
        seen = _apply(distortion, np.c_[np.full_like(down, x), down])
        assert np.ptp(_apply(correction, seen)[:, 0]) < 3.0


def test_a_level_page_needs_no_perspective_correction():
    assert perspective_find(line_darkness(grid_page(200 / 25.4))) is None


def test_a_photographed_page_is_rectified_and_its_truth_follows():
    """A page seen at an angle: on ``level``, where ``points_level`` puts them, each lead's baseline is level."""
    signal = synthetic_ecg(10.0, 500.0)
    angled = Preset("angled", distortions=(DistortionSpec("perspective", 1.0, (0.03, 0.03)),))
    page = page_render(signal, 500.0, LEADS12, dpi=100, preset=angled, seed=4)
    geo = page_geometry(page.image)
    assert geo.rectified
    before, after = [], []
    for lead in page.ground_truth["leads"]:
        yx = np.asarray(lead["plotted_pixels"], dtype=np.float64)
        values = signal[lead["start_sample"]:lead["end_sample"], LEADS12.index(lead["lead_name"])][:len(yx)]
        near = np.abs(values) < 0.1            # mV; each point's baseline row = its row + its value (10 mm/mV)
        before.append(np.ptp(yx[near, 0] + values[near] * 10.0 * 100 / 25.4))
        level = points_level(geo, yx[near, ::-1])[:, 1]
        after.append(np.ptp(level + values[near] * 10.0 * geo.px_per_mm))
    assert max(before) > 6.0, before           # the photo's baselines were not level
    assert max(after) < 2.5, after


def test_image_noise_reads_zero_on_a_clean_page_and_grows_with_noise():
    page = np.full((300, 400, 3), 245, np.uint8)
    page[::20] = (200, 120, 120)                      # thin grid lines
    cv2.line(page, (0, 150), (399, 120), (20, 20, 20), 1)
    assert image_noise(page) < 1.0
    rng = np.random.default_rng(0)
    readings = [image_noise(np.clip(page + rng.normal(0, s, page.shape), 0, 255).astype(np.uint8))
                for s in (5, 10, 20)]
    assert readings == sorted(readings)
    assert 0.4 * 10 < readings[1] < 0.9 * 10          # about 0.6 s: the grey mix averages channels
