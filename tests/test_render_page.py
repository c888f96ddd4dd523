"""The clean page: layouts, ECG-Image-Kit conventions, record shapes, errors, determinism."""
from __future__ import annotations

import dataclasses
import glob
import json
import os

import numpy as np
import pytest

from ecgdigitizer.layouts import LAYOUTS, lead_window
from ecgdigitizer.render import (GRID_COLORS, PRESETS, Preset, ground_truth_read, ground_truth_write, ink_fraction,
                                 mask_fraction, page_render, plotted_pixels_array)
from ecgdigitizer.render.ink import plotted_points
from ecgdigitizer.render.page import PageStyle

from conftest import SHARED_DATA as SHARED
from render_helpers import LEADS12, synthetic_ecg

SIGNAL = synthetic_ecg()


def _check_ink(page, minimum=0.99):
    ink = ink_fraction(page.image, page.ground_truth)
    mask = mask_fraction(page.trace_mask, page.ground_truth)
    assert ink >= minimum and mask >= minimum, f"ink {ink:.4f}, mask {mask:.4f} (need >= {minimum})"


@pytest.mark.parametrize("name", sorted(LAYOUTS))
def test_each_layout_draws_every_lead_window_on_ink(name):
    layout = LAYOUTS[name]
    page = page_render(SIGNAL, 500, LEADS12, layout=name, dpi=100)
    leads = page.ground_truth["leads"]
    # ECG-Image-Kit's order: grid rows bottom to top, columns left to right, then the rhythm strips.
    expected = [(layout.grid[r][c], *lead_window(c, layout.num_columns, 5000))
                for r in reversed(range(len(layout.grid))) for c in range(layout.num_columns)]
    expected += [(lead, 0, 5000) for lead in layout.rhythm]
    assert [(l["lead_name"], l["start_sample"], l["end_sample"]) for l in leads] == expected
    for l in leads:
        assert len(l["plotted_pixels"]) == l["end_sample"] - l["start_sample"]
        assert set(l["lead_bounding_box"]) == {"0", "1", "2", "3"}
        assert set(l["text_bounding_box"]) == {"0", "1", "2", "3"}
    assert page.layout == name
    assert page.trace_mask.max() == len(leads)
    _check_ink(page)


@pytest.mark.parametrize("dpi", [100, 200, 300])
def test_clean_ground_truth_on_ink_at_each_resolution(dpi):
    page = page_render(SIGNAL, 500, LEADS12, dpi=dpi)
    assert page.image.shape == (round(215.9 * dpi / 25.4), round(279.4 * dpi / 25.4), 3)
    assert page.image.dtype == np.uint8 and page.trace_mask.shape == page.image.shape[:2]
    _check_ink(page)
    # Negative control: the same check on points moved 1.5 mm down fails for most samples.
    control = ink_fraction(page.image, page.ground_truth, offset=(1.5 * dpi / 25.4, 0))
    assert control < 0.8, f"points 1.5 mm off the trace still count as ink for {control:.3f}"


def test_pixels_follow_speed_gain_and_paper():
    base = page_render(SIGNAL, 500, LEADS12, dpi=100, layout="12x1")
    ppmm = 100 / 25.4
    p = plotted_pixels_array(base.ground_truth["leads"][0])
    assert np.allclose(np.diff(p[:, 1]), 25 * ppmm / 500, atol=0.011)                      # 25 mm/s
    lead = LEADS12.index(base.ground_truth["leads"][0]["lead_name"])
    rows = p[:, 0] + SIGNAL[:, lead] * 10 * ppmm                                  # 10 mm/mV
    assert np.ptp(rows) < 0.02
    double = page_render(SIGNAL, 500, LEADS12, dpi=100, layout="12x1", gain=20.0)
    p2 = plotted_pixels_array(double.ground_truth["leads"][0])
    assert np.allclose(p2[:, 0] + SIGNAL[:, lead] * 20 * ppmm, (p2[:, 0] + SIGNAL[:, lead] * 20 * ppmm)[0], atol=0.02)
    fast = page_render(SIGNAL, 500, LEADS12, dpi=100, layout="3x4+1", speed=50.0)
    assert fast.ground_truth["leads"][-1]["end_sample"] == 2500                   # 5 s fit at 50 mm/s
    a4 = page_render(SIGNAL, 500, LEADS12, dpi=100, paper="a4")
    assert a4.image.shape[:2] == (round(210 * ppmm), round(297 * ppmm))


@pytest.mark.skipif(not glob.glob(os.path.join(SHARED, "eik-dev", "clean", "full", "*.json")),
                    reason="shared/data/eik-dev not present")
def test_matches_ecg_image_kit_conventions():
    import wfdb
    path = sorted(glob.glob(os.path.join(SHARED, "eik-dev", "clean", "full", "*.json")))[0]
    eik = ground_truth_read(path)
    rec = wfdb.rdrecord(path[:-len("-0.json")])
    page = page_render(rec.p_signal, rec.fs, rec.sig_name, layout="3x4+1", dpi=eik["resolution"])
    ours = page.ground_truth
    for key in ("width", "height", "x_grid", "y_grid", "resolution", "sampling_frequency"):
        assert ours[key] == pytest.approx(eik[key], abs=0.01), key
    assert [(l["lead_name"], l["start_sample"], l["end_sample"]) for l in ours["leads"]] == \
           [(l["lead_name"], l["start_sample"], l["end_sample"]) for l in eik["leads"]]
    for a, b in zip(ours["leads"], eik["leads"]):
        cols_a, cols_b = plotted_pixels_array(a)[:, 1], plotted_pixels_array(b)[:, 1]
        assert np.abs(cols_a - cols_b).max() < 1.0, a["lead_name"]
        # Same row spacing between samples: identical gain and pixel pitch.
        assert np.allclose(np.diff(plotted_pixels_array(a)[:, 0]), np.diff(plotted_pixels_array(b)[:, 0]), atol=0.02)


@pytest.mark.parametrize("fs", [100, 250, 257, 500, 1000])
def test_sampling_rates(fs):
    x = synthetic_ecg(fs=fs)
    page = page_render(x, fs, LEADS12, dpi=100)
    n = round(10 * fs)
    assert page.ground_truth["leads"][-1]["end_sample"] == n
    assert page.ground_truth["sampling_frequency"] == fs
    _check_ink(page)


def test_fewer_leads_in_another_order():
    names = ["V1", "II", "I"]
    x = synthetic_ecg(leads=3)
    page = page_render(x, 500, names, layout="3x4+1", dpi=100)
    drawn = [l["lead_name"] for l in page.ground_truth["leads"]]
    assert drawn == ["II", "I", "V1", "II"]
    for l in page.ground_truth["leads"][:3]:
        j = names.index(l["lead_name"])
        p = plotted_pixels_array(l)
        rows = p[:, 0] + x[l["start_sample"]:l["end_sample"], j] * 10 * 100 / 25.4
        assert np.ptp(rows) < 0.02, l["lead_name"]
    _check_ink(page)


def test_unknown_lead_names_get_one_row_each():
    page = page_render(synthetic_ecg(leads=2), 500, ["ECG1", "ECG2"], dpi=100)
    assert page.layout == "2x1"
    assert [l["lead_name"] for l in page.ground_truth["leads"]] == ["ECG2", "ECG1"]
    _check_ink(page)


def test_short_record_and_later_window():
    x = synthetic_ecg(seconds=4.0)
    page = page_render(x, 500, LEADS12, dpi=100)
    leads = page.ground_truth["leads"]
    assert {l["lead_name"] for l in leads} == {"I", "II", "III", "aVR", "aVL", "aVF", "II"}
    assert leads[-1]["end_sample"] == 2000
    long = synthetic_ecg(seconds=30.0)
    page = page_render(long, 500, LEADS12, dpi=100, start_sample=10000)
    assert page.ground_truth["window_start_sample"] == 10000
    assert page.ground_truth["leads"][-1]["end_sample"] == 5000
    rows = plotted_pixels_array(page.ground_truth["leads"][0])[:, 0]
    p_first = page_render(long[10000:], 500, LEADS12, dpi=100).ground_truth["leads"][0]
    assert np.allclose(rows, plotted_pixels_array(p_first)[:, 0])


def test_nan_gaps_are_not_drawn_and_survive_json(tmp_path):
    x = SIGNAL.copy()
    x[100:400, :] = np.nan
    page = page_render(x, 500, LEADS12, dpi=100, layout="12x1")
    lead = page.ground_truth["leads"][-1]
    p = plotted_pixels_array(lead)
    assert np.isnan(p[100:400]).all() and np.isfinite(p[:100]).all() and np.isfinite(p[400:]).all()
    # No ink of that lead in the gap's columns.
    cols = np.round((15 + np.arange(120, 380) / 500 * 25) * 100 / 25.4).astype(int)
    k = len(page.ground_truth["leads"])
    assert not (page.trace_mask[:, cols] == k).any()
    path = str(tmp_path / "page.json")
    ground_truth_write(path, page.ground_truth)
    back = ground_truth_read(path)
    assert np.array_equal(plotted_pixels_array(back["leads"][-1]), p, equal_nan=True)
    _check_ink(page)


@pytest.mark.parametrize("kwargs, message", [
    (dict(signal=np.zeros(100), names=LEADS12), "num_samples, num_leads"),
    (dict(signal=np.zeros((100, 3)), names=LEADS12), "3 leads but 12"),
    (dict(signal=np.zeros((100, 12)), names=LEADS12, fs=0), "sampling frequency"),
    (dict(signal=np.full((100, 12), np.nan), names=LEADS12), "all NaN"),
    (dict(signal=np.zeros((100, 12)), names=LEADS12, start_sample=100), "outside"),
    (dict(signal=np.zeros((100, 12)), names=LEADS12, layout="5x5"), "unknown layout"),
    (dict(signal=np.zeros((100, 12)), names=LEADS12, preset="nice"), "unknown preset"),
    (dict(signal=np.zeros((100, 13)), names=[f"X{i}" for i in range(13)]), "too many"),
])
def test_clear_errors(kwargs, message):
    args = dict(kwargs)
    signal, names, fs = args.pop("signal"), args.pop("names"), args.pop("fs", 500)
    with pytest.raises(ValueError, match=message):
        page_render(signal, fs, names, dpi=100, **args)


@pytest.mark.parametrize("colour", sorted(GRID_COLORS))
def test_grid_colours(colour):
    page = page_render(SIGNAL, 500, LEADS12, dpi=100, preset=Preset("t", grid_colors=(colour,)))
    corner = page.image[:40, 600:700].reshape(-1, 3)                 # grid only, no trace or text
    if colour == "none":
        assert (corner == 255).all()
    else:
        major = np.asarray(GRID_COLORS[colour])
        assert (np.abs(corner.astype(int) - major).sum(axis=1) < 40).any(), "no major-line pixels"
    assert page.ground_truth["gridlines"] == (colour != "none")


def test_random_grid_colours_as_ecg_image_kit_draws_them():
    """Major and minor lines each take a random colour, which the sidecar records; nothing else changes."""
    drawn = []
    for seed in range(3):
        # 300 dpi: minor lines over a pixel wide, so some pixels show their colour unblended
        page = page_render(SIGNAL, 500, LEADS12, dpi=300, seed=seed,
                           preset=Preset("t", grid_colors=("red",), random_grid_probability=1.0))
        gt = page.ground_truth
        major, minor = np.asarray(gt["grid_line_color_major"]), np.asarray(gt["grid_line_color_minor"])
        corner = page.image[:120, 1800:2100].reshape(-1, 3).astype(int)  # grid only, no trace or text
        for colour in (major, minor):
            assert (np.abs(corner - colour).sum(axis=1) < 40).any(), f"no pixels of {colour}"
        drawn.append((tuple(major), tuple(minor)))
    assert len(set(drawn)) == 3 and all(a != b for a, b in drawn)
    # the same page but for its grid: the colours come from a generator of their own
    plain, coloured = (page_render(SIGNAL, 500, LEADS12, dpi=100, seed=0,
                                   preset=dataclasses.replace(PRESETS["aug"], random_grid_probability=p))
                       for p in (0.0, 1.0))
    assert np.array_equal(plain.trace_mask, coloured.trace_mask) and not np.array_equal(plain.image, coloured.image)
    assert [lead["plotted_pixels"] for lead in plain.ground_truth["leads"]] == \
        [lead["plotted_pixels"] for lead in coloured.ground_truth["leads"]]
    with pytest.raises(ValueError, match="grid_rgb"):
        PageStyle(grid_rgb=((0, 0, 0), (0, 300, 0)))


def test_determinism_under_a_seed():
    a = page_render(SIGNAL, 500, LEADS12, dpi=100, preset="hard", seed=7)
    b = page_render(SIGNAL, 500, LEADS12, dpi=100, preset="hard", seed=7)
    c = page_render(SIGNAL, 500, LEADS12, dpi=100, preset="hard", seed=8)
    assert np.array_equal(a.image, b.image) and np.array_equal(a.trace_mask, b.trace_mask)
    assert json.dumps(a.ground_truth) == json.dumps(b.ground_truth)
    assert not np.array_equal(a.image, c.image)
    g = page_render(SIGNAL, 500, LEADS12, dpi=100, preset="hard", seed=np.random.default_rng(7))
    assert np.array_equal(a.image, g.image)


def test_printed_header_is_invented():
    page = page_render(SIGNAL, 500, LEADS12, dpi=100, preset=Preset("t", printed_text_probability=1.0))
    assert page.ground_truth["printed_text"] is True
    top = page.image[:int(30 * 100 / 25.4)]
    assert (top.min(axis=2) < 60).sum() > 200, "no header ink at the top of the page"


def test_points_inside_image_are_most():
    page = page_render(SIGNAL, 500, LEADS12, dpi=100)
    pts, ids = plotted_points(page.ground_truth, page.trace_mask.shape)
    assert len(pts) == 20000 and ids.max() == 13


@pytest.mark.skipif(not glob.glob(os.path.join(SHARED, "eik-dev", "aug", "full", "*.json")),
                    reason="shared/data/eik-dev not present")
@pytest.mark.parametrize("condition", ["clean", "aug", "wrinkle", "varied"])
def test_reader_and_ink_check_work_on_ecg_image_kit_pages(condition):
    """The same reader and checker on ECG-Image-Kit's own pages: one schema for both."""
    import cv2
    for path in sorted(glob.glob(os.path.join(SHARED, "eik-dev", condition, "full", "*.json")))[:2]:
        gt = ground_truth_read(path)
        png = path.replace(os.sep + "full" + os.sep, os.sep + "hidden" + os.sep)[:-len(".json")] + ".png"
        image = cv2.imread(png)[..., ::-1]
        assert image.shape[:2] == (gt["height"], gt["width"])
        assert ink_fraction(image, gt) >= 0.98, path
