"""Layouts are recognised without a flag, on pages the renderer draws."""
import numpy as np
import pytest

from ecgdigitizer.digitize import page_geometry
from ecgdigitizer.layout import PageLayout, layout_detect, pulse_time_axis, tick_present, time_axis_find
from ecgdigitizer.layouts import layout_get
from ecgdigitizer.render import page_render
from render_helpers import LEADS12, synthetic_ecg

SIGNAL = synthetic_ecg(10.0, 500.0)


@pytest.mark.parametrize("layout", ["3x4", "3x4+1", "3x4+3", "6x2", "6x2+1", "2x6", "12x1"])
@pytest.mark.parametrize("preset", ["clean", "varied"])
def test_layout_recognised(layout, preset):
    page = page_render(SIGNAL, 500.0, LEADS12, layout=layout, dpi=100, preset=preset, seed=3)
    geo = page_geometry(page.image)
    assert geo.page.layout.name == layout
    assert geo.px_per_mm == pytest.approx(100 / 25.4, rel=0.01)


def test_tick_needs_a_thick_bar_across_the_baseline():
    mask = np.zeros((200, 200), bool)
    mask[80:121, 50:53] = True     # a 3-px bar 20 px above and below row 100
    mask[60:101, 150] = True       # a thin spike above the baseline only
    assert tick_present(mask, 100.0, 51.0, px_per_mm=8.0)
    assert not tick_present(mask, 100.0, 150.0, px_per_mm=8.0)


def test_specks_beyond_the_traces_end_do_not_move_the_time_axis():
    # Four rows traced from column 60 to 1043 at 4 px/mm; on three of them
    # specks of noise (2 mm wide, 5.5 mm apart) go on past the end, from
    # 4.5-6.5 mm after it (nearer ones are bridged, and read as trace).
    mask = np.zeros((850, 1100), bool)
    rows = (350, 490, 630, 770)
    for y in rows:
        mask[y:y + 2, 60:1044] = True
    for y, start in zip(rows[1:], (1062, 1066, 1070)):
        for x in range(start, 1100, 30):
            mask[y - 3:y, x:x + 8] = True
    _, x_end = time_axis_find(mask, np.array(rows, float), 4.0)
    assert x_end == pytest.approx(1043.5)


def test_a_trace_that_ends_on_a_tall_stroke_ends_where_the_stroke_does():
    # At 4 px/mm the rows' band reaches 3 mm (12 px) either side of the
    # baseline; every row's last stroke climbs 40 px and ends, out of it, at column 1049.
    mask = np.zeros((850, 1100), bool)
    rows = (350, 490, 630, 770)
    for y in rows:
        mask[y:y + 2, 60:1040] = True
        for k, x in enumerate(range(1040, 1050)):
            mask[y - 4 * k - 4:y - 4 * k + 2, x] = True
    _, x_end = time_axis_find(mask, np.array(rows, float), 4.0)
    assert x_end == pytest.approx(1049.5)


def _four_rows_and(extra_row_y: int, extra_fill: float) -> np.ndarray:
    """Four traces across the page at 4 px/mm, and a fifth band inked over ``extra_fill`` of the width."""
    mask = np.zeros((850, 1100), bool)
    for y in (350, 490, 630, 770):
        mask[y:y + 2, 60:1044] = True
    for x in range(60, 1044, 40):                     # pieces 40 * extra_fill px long, 40 px apart
        mask[extra_row_y:extra_row_y + 3, x:x + int(40 * extra_fill)] = True
    return mask


def test_a_gappy_fifth_row_is_dropped_to_read_a_layout():
    """Handwriting or a cropped edge fills a row's band less than a trace: dropped when the count fits no layout."""
    page = layout_detect(_four_rows_and(120, 0.55), 4.0)
    assert page.layout.name == "3x4+1"
    assert page.row_y.tolist() == [350.0, 490.0, 630.0, 770.0]


def test_five_full_rows_are_not_forced_into_a_layout():
    with pytest.raises(ValueError, match="found 5 rows"):
        layout_detect(_four_rows_and(120, 1.0), 4.0)


def _pulse_page(edge_x: float, rows: list[float], px_per_mm: float) -> np.ndarray:
    """A darkness map with a 10-mm pulse's falling edge, a blurred vertical line centred on
    column ``edge_x`` (sub-pixel), above each row."""
    page = np.zeros((int(rows[-1] + 20 * px_per_mm), 600), np.float32)
    line = 0.9 * np.exp(-0.5 * ((np.arange(page.shape[1]) - edge_x) / 0.6) ** 2)
    for y in rows:
        page[int(round(y - 10 * px_per_mm)):int(round(y)) + 1] = np.maximum(
            page[int(round(y - 10 * px_per_mm)):int(round(y)) + 1], line)
    return page


def test_pulses_set_time_zero_to_a_fraction_of_a_pixel():
    ppmm, fs = 100 / 25.4, 500.0
    rows = [150.0, 300.0, 450.0]
    ends_axis = PageLayout(layout_get("3x4"), np.array(rows), 101.0, 101.0 + 250 * ppmm, ppmm)
    edge = 100.37
    page = pulse_time_axis(ends_axis, _pulse_page(edge, rows, ppmm), fs)
    expected = edge - 1.5 / fs * 25.0 * ppmm        # ECG-Image-Kit's edge: 1.5 samples after time 0
    assert page.x_start == pytest.approx(expected, abs=0.05)
    assert page.x_end - page.x_start == pytest.approx(250 * ppmm)
    assert (ends_axis.time_from, page.time_from) == ("ink ends", "pulses")


def test_without_agreeing_pulses_the_ink_ends_keep_the_time_axis():
    ppmm, fs = 100 / 25.4, 500.0
    rows = [150.0, 300.0, 450.0]
    ends_axis = PageLayout(layout_get("3x4"), np.array(rows), 101.0, 101.0 + 250 * ppmm, ppmm)
    blank = np.zeros((600, 600), np.float32)
    assert pulse_time_axis(ends_axis, blank, fs) is ends_axis
    one_row = _pulse_page(100.4, rows[:1], ppmm)                   # a single edge is not enough
    assert pulse_time_axis(ends_axis, np.pad(one_row, ((0, 600 - one_row.shape[0]), (0, 0))), fs) is ends_axis
    far = _pulse_page(101.0 + 2.0 * ppmm, rows, ppmm)              # 2 mm off: not this page's pulse
    assert pulse_time_axis(ends_axis, far, fs) is ends_axis
