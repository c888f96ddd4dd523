"""Trace extraction on masks with known traces."""
import numpy as np
import pytest

from ecgdigitizer.digitize import _shared_ink_yield
from ecgdigitizer.trace import Trace, runs_find, trace_extract


def test_runs_find_known_answer():
    mask = np.array([[1, 0, 0],
                     [1, 0, 1],
                     [0, 0, 1],
                     [1, 0, 1]], bool)
    runs = runs_find(mask)
    assert runs.column.tolist() == [0, 0, 2]
    assert runs.top.tolist() == [0.0, 3.0, 1.0]
    assert runs.bottom.tolist() == [1.0, 3.0, 3.0]


def _draw(rows: np.ndarray, height: int, thickness: int = 2) -> np.ndarray:
    mask = np.zeros((height, rows.size), bool)
    for x in range(rows.size):
        lo = min(rows[x], rows[x - 1] if x else rows[x])
        hi = max(rows[x], rows[x - 1] if x else rows[x])
        mask[int(lo): int(hi) + thickness, x] = True
    return mask


def test_follows_a_sine_and_keeps_a_spike():
    x = np.arange(400)
    rows = np.round(50 + 10 * np.sin(x / 20.0)).astype(int)
    rows[200] = 10  # a one-column R spike, 40 px above the baseline
    mask = _draw(rows, 100)
    got = trace_extract(mask, 50.0, px_per_mm=4.0).rows
    smooth = np.abs(got - (rows + 0.5))
    smooth[199:202] = 0
    assert np.nanmax(smooth) <= 1.5
    assert got[200] < 13  # the spike's peak is kept, not averaged away


def _draw_thick(centre: np.ndarray, height: int, width: float) -> np.ndarray:
    """Ink every pixel whose centre lies within ``width / 2`` of the polyline through ``centre``."""
    fine_x = np.linspace(0, centre.size - 1, 40 * centre.size)
    fine_y = np.interp(fine_x, np.arange(centre.size), centre)
    rows, cols = np.mgrid[0:height, 0:centre.size]
    mask = np.zeros((height, centre.size), bool)
    for x, y in zip(fine_x, fine_y):
        near = np.abs(cols - x) <= width / 2
        mask |= near & ((rows - y) ** 2 + (cols - x) ** 2 <= (width / 2) ** 2)
    return mask


def test_a_thick_line_is_read_at_its_centre_on_steep_curving_strokes_and_at_tips():
    # A QRS drawn 4 px thick: a convex upstroke to a sharp R peak, a steep fall
    # to an S trough, back to the baseline. A run's own centre leans towards
    # where the stroke bends (off by up to 17 px here, 5 px on average over the
    # complex); the line's centre does not.
    centre = np.full(60, 80.0)
    centre[20:27] = 80 - 50 * (np.arange(7) / 6.0) ** 2      # convex rise to the R peak at row 30
    centre[27:33] = np.linspace(30, 120, 6)                   # fall to the S trough
    centre[33:37] = np.linspace(120, 80, 5)[1:]
    got = trace_extract(_draw_thick(centre, 160, 4.0), 80.0, px_per_mm=8.0).rows
    error = np.abs(got - centre)
    assert error[18:40].mean() <= 1.5 and error.max() <= 5.5
    assert abs(got[26] - 30) <= 2.0 and abs(got[32] - 120) <= 2.0   # R peak and S trough kept


def test_a_thick_line_s_waves_are_read_within_a_third_of_a_pixel():
    # A wave packet drawn with a round pen 7 px across, between flat
    # stretches (whose runs give the line's width). Every run within the
    # pen's reach bounds the centre by the pen's height at that distance;
    # bounding it by the full half-width for every run within reach read
    # these waves 0.55 px rms off.
    x = np.arange(240)
    centre = np.full(240, 90.0)
    centre[80:160] = 90 + 30 * np.sin(2 * np.pi * (x[80:160] - 80) / 40) * np.hanning(80)
    got = trace_extract(_draw_thick(centre, 190, 7.0), 90.0, px_per_mm=8.0).rows
    error = (got - centre)[80:160]
    assert np.sqrt(np.mean(error ** 2)) <= 0.45


def _mask_from_pieces(pieces: list[list[tuple[int, int]]], height: int) -> np.ndarray:
    """A mask whose column ``c`` is inked over each ``(top, bottom)`` run of ``pieces[c]`` (inclusive)."""
    mask = np.zeros((height, len(pieces)), bool)
    for col, runs in enumerate(pieces):
        for top, bottom in runs:
            mask[top:bottom + 1, col] = True
    return mask


def _mask_from_runs(runs: list[tuple[int, int]], height: int = 260) -> np.ndarray:
    return _mask_from_pieces([[run] for run in runs], height)


def test_a_narrow_spike_on_a_100_dpi_page_is_read_as_one_tip():
    # The runs of a 3-px line around a 20-ms R wave on a 100-dpi page (as on
    # eik-dev aug JS00004, V2): the tip's four columns are inked from row 94-95
    # down, their tops a pixel apart. Read with a zero tolerance the tip split
    # into two peaks with a dip of 12 px (0.3 mV) between them.
    # (Ten flat columns on each side: the line's width is the strip's median run.)
    runs = [(121, 123)] * 10 + [(95, 123), (95, 121), (95, 121), (94, 150)] + [(148, 150), (130, 148)] \
        + [(121, 130)] + [(121, 123)] * 10
    got = trace_extract(_mask_from_runs(runs, 200), 122.0, px_per_mm=3.94).rows[6:]
    assert np.nanargmin(got[4:8]) + 4 in (5, 6)                  # one tip, in the middle
    assert got[5] <= 97.0 and got[6] <= 97.0                      # at the top of the ink, less the half-width
    assert got[4] >= 115.0                                        # the upstroke column is not the peak


def test_a_tip_narrower_than_a_thick_line_s_reach_is_read_at_its_top():
    # The runs of a 5-px line around an R-S complex on a 100-dpi page (as on
    # eik-dev aug JS00007, V4): the tip's three columns reach row 46-47, the
    # columns two away from it only the baseline. (Ten flat columns on each
    # side: the line's width is the strip's median run.) Bounded by every column
    # within the line's reach (2), the R wave was read at its base (row 123).
    runs = [(117, 121)] * 10 + [(116, 120), (115, 119), (73, 118), (46, 116), (46, 238), (47, 238),
                                 (121, 205), (121, 188), (120, 132), (119, 127)] + [(117, 121)] * 10
    got = trace_extract(_mask_from_runs(runs), 119.0, px_per_mm=3.94).rows[5:]
    assert np.nanmin(got[7:12]) <= 50.0       # the R wave's tip
    assert np.nanmax(got[7:13]) >= 200.0      # and the S wave's


def test_a_stroke_longer_than_the_line_s_reach_is_read_falling_all_the_way():
    # The runs of a noisy 200-dpi trace (median run 7 px, so a reach of three
    # columns) around a QRS (eik-dev clean JS45547, lead I): an R tip at
    # column 6 (row 213), a fall over three columns to an S trough at column 10
    # (row 294). Bounded by every run within three columns, the fall's bounds
    # contradict each other, and their middle read the stroke as a plateau
    # (249, 249, 252) before a jump to the trough.
    stroke = [(231, 239), (229, 239), (227, 237), (223, 232), (215, 229), (210, 227), (210, 233),
              (210, 272), (213, 296), (238, 297), (271, 297), (270, 297), (260, 290), (254, 280), (247, 271)]
    runs = [(231, 237)] * 10 + stroke + [(250, 256)] * 10
    got = trace_extract(_mask_from_runs(runs, 320), 234.0, px_per_mm=7.87).rows[10:]
    assert np.all(np.diff(got[6:11]) > 5.0)      # falling in every column from the tip to the trough
    assert got[9] >= 270.0                        # the column before the trough near its depth


def test_a_spike_whose_middle_column_a_grid_line_erased_is_read_as_one_tip():
    # A 3-px line's QRS spike on a 100-dpi page (as on eik-dev aug E00001,
    # lead I): a vertical grid line removed the stroke's ink in its middle
    # column, which keeps only the baseline's run. Read as it is, the spike
    # was lost: that run bounded both tip columns beside it to the baseline.
    runs = [(116, 118)] * 5 + [(118, 121), (75, 122), (73, 121), (120, 125), (74, 125), (89, 125),
                                (116, 125)] + [(116, 117)] * 5
    got = trace_extract(_mask_from_runs(runs), 118.0, px_per_mm=3.94).rows
    assert np.nanmin(got[6:11]) <= 77.0                 # the tip at the top of the ink
    high = np.flatnonzero(got[6:12] <= 90.0)
    assert np.all(np.diff(high) == 1)                   # one tip: no dip back between high columns


def test_a_spike_cut_by_grid_lines_at_100_dpi_is_read_as_one_tip():
    # The ink of eik-dev aug E00001 V5's second R wave (page rows less 400,
    # columns 872-889): a thin 1.9-mV spike whose strokes removed grid lines
    # cut into pieces 1 to 4 px apart, beside the baseline's own pieces.
    # Closing only 1-px gaps, the path took the upstroke's top in one column,
    # the baseline in the next, the tip in the third and the baseline again:
    # two peaks with a dip to the baseline between them.
    pieces = [[(97, 97)], [(97, 97)], [(96, 97)], [(96, 97)], [(96, 97)], [(76, 76), (96, 98)],
              [(68, 69), (76, 77), (80, 81), (83, 85), (87, 89), (92, 98)],
              [(68, 69), (72, 72), (76, 76), (79, 81), (83, 85), (87, 97)],
              [(68, 97), (214, 215)], [(67, 92), (96, 97), (147, 147), (213, 215)],
              [(67, 92), (97, 101), (146, 147), (212, 215)], [(84, 84), (88, 89), (97, 101), (147, 147)],
              [(96, 100)], [(25, 25), (96, 97), (100, 100)], [(24, 26), (96, 97), (163, 163)],
              [(25, 25), (96, 97), (163, 163)]]
    pieces = [[(96, 97)]] * 8 + pieces + [[(96, 97)]] * 8
    got = trace_extract(_mask_from_pieces(pieces, 240), 96.5, px_per_mm=3.94).rows
    assert np.nanmin(got) <= 72.0                       # the tip, 25 px (6 mm) above the baseline
    high = np.flatnonzero(got <= 80.0)
    assert np.all(np.diff(high) == 1)                   # one tip: no dip back to the baseline between


def test_a_trough_is_not_traded_for_a_thin_remnant_nearer_the_baseline():
    # An S wave drawn 3 px thick: down, a trough column, up. The trough column
    # also holds a 1-px grid remnant near the baseline, as close to both
    # strokes as the trough itself.
    runs = [[(121, 123)]] * 4 + [[(121, 189)], [(132, 132), (160, 189)], [(129, 187)]] + [[(121, 123)]] * 3
    got = trace_extract(_mask_from_pieces(runs, 200), 122.0, px_per_mm=3.94).rows
    assert got[5] > 170.0


def test_a_grid_line_printed_over_a_stroke_does_not_cut_it():
    centre = np.full(60, 80.0)
    centre[20:30] = np.linspace(80, 20, 10)   # a steep rise
    centre[30:36] = np.linspace(20, 80, 6)    # and fall
    mask = _draw_thick(centre, 120, 4.0)
    mask[50:52] = False                        # a 2-px grid line across both strokes (0.25 mm)
    got = trace_extract(mask, 80.0, px_per_mm=8.0).rows
    assert np.nanmax(np.abs(got - centre)) <= 4.0


def test_ignores_a_neighbouring_trace_and_text():
    x = np.arange(300)
    rows = np.round(60 + 5 * np.sin(x / 15.0)).astype(int)
    mask = _draw(rows, 120)
    mask[5:8, :] = True          # another lead's flat baseline near the top of the band
    mask[90:100, 100:110] = True  # a label below the trace
    got = trace_extract(mask, 60.0, px_per_mm=4.0).rows
    assert np.nanmax(np.abs(got - (rows + 0.5))) <= 1.5


def test_columns_without_ink_are_nan():
    mask = np.zeros((30, 10), bool)
    mask[10:12, :4] = True
    mask[10:12, 7:] = True
    got = trace_extract(mask, 10.0, px_per_mm=4.0).rows
    assert np.isnan(got[4:7]).all() and np.isfinite(got[:4]).all() and np.isfinite(got[7:]).all()


def test_a_confident_guide_picks_the_right_trace_and_an_unsure_one_does_not():
    mask = np.zeros((100, 200), bool)
    mask[30:32, :] = True   # the lead's own trace, far from the baseline prior
    mask[60:62, :] = True   # a neighbour's trace right on the prior
    guide = np.full(200, 30.5)
    sure = trace_extract(mask, 60.0, px_per_mm=4.0, guide=guide, guide_confidence=np.full(200, 0.9)).rows
    unsure = trace_extract(mask, 60.0, px_per_mm=4.0, guide=guide, guide_confidence=np.zeros(200)).rows
    assert np.allclose(sure, 30.5) and np.allclose(unsure, 60.5)


def test_ink_far_from_a_confident_guide_is_replaced_by_the_guide():
    mask = np.zeros((100, 50), bool)
    mask[40:42, :] = True
    mask[40:42, 20:25] = False
    mask[80:82, 20:25] = True     # a blob the path is forced through where the trace is missing
    guide = np.full(50, 40.5)
    got = trace_extract(mask, 40.0, px_per_mm=4.0, guide=guide, guide_confidence=np.full(50, 0.9), stray_mm=3.0).rows
    assert np.allclose(got, 40.5)
    kept = trace_extract(mask, 40.0, px_per_mm=4.0, guide=guide, guide_confidence=np.full(50, 0.9)).rows
    assert kept[22] == pytest.approx(80.5)


def test_a_cut_off_speck_needs_only_a_half_sure_guide_but_a_spike_keeps_its_ink():
    rows = np.full(80, 40)
    rows[60] = 5                   # a one-column spike: its run reaches down to the trace
    mask = _draw(rows, 100)
    mask[:, 20:23] = False
    mask[80:82, 20:23] = True      # a speck 10 mm below where the trace is missing
    guide = np.full(80, 40.5)      # the guide does not see the spike (2 px/mm is too coarse)
    half_sure = np.full(80, 0.7)   # under the stray rule's 0.9
    got = trace_extract(mask, 40.0, px_per_mm=4.0, guide=guide, guide_confidence=half_sure, stray_mm=3.0).rows
    assert np.allclose(got[20:23], 40.5)   # the speck is replaced by the guide
    assert got[60] < 8                     # the spike, 8 mm from the guide, is kept
    mask[:, 20:40] = False
    mask[80:82, 20:40] = True      # a 5-mm stroke is not a speck: its ink stays under 0.9
    got = trace_extract(mask, 40.0, px_per_mm=4.0, guide=guide, guide_confidence=half_sure, stray_mm=3.0).rows
    assert np.allclose(got[20:40], 80.5)


def test_ink_two_rows_took_goes_to_the_row_whose_model_row_is_near():
    # Column 0: a neighbour's spike (rows 20-70) touched row A's trace: A's
    # value was pulled to 45, 15 px (3.75 mm) from A's model row; B, whose
    # spike it is, reads 25, near its model row (35). Column 1: A is as far
    # from its model row, but no other row took that ink. Column 2: shared
    # and far, but the model is unsure.
    a = Trace(np.array([45.0, 45.0, 45.0]), np.array([20.0, 20.0, 20.0]), np.array([70.0, 70.0, 70.0]))
    b = Trace(np.array([25.0, 90.0, 25.0]), np.array([20.0, 88.0, 20.0]), np.array([70.0, 92.0, 70.0]))
    guides = [np.full(3, 30.0), np.full(3, 35.0)]
    confidences = [np.array([0.9, 0.9, 0.3]), np.full(3, 0.9)]
    rows_a, rows_b = _shared_ink_yield([a, b], guides, confidences, px_per_mm=4.0, baselines=np.array([30.0, 60.0]))
    assert rows_a.tolist() == [30.0, 45.0, 45.0]
    assert rows_b.tolist() == [25.0, 90.0, 25.0]


def test_a_row_keeps_its_own_tall_tip_that_the_neighbour_s_wave_touches():
    # Baselines at rows 100 (A) and 200 (B), as on eik-dev aug JS00007, where
    # V4's R wave and V5's S wave meet. Column 0: A's R tip (value 30), drawn
    # in one run down to row 160 that B's ink also reaches; A's model row is
    # barely sure and far from the tip, B's lies at B's own trace, so the
    # ink is A's and A keeps it. Column 1: the same run, but A's value (170)
    # lies past the midline (150), nearer B: A takes its model row.
    a = Trace(np.array([30.0, 170.0]), np.array([28.0, 28.0]), np.array([160.0, 175.0]))
    b = Trace(np.array([190.0, 190.0]), np.array([150.0, 150.0]), np.array([205.0, 205.0]))
    guides = [np.array([95.0, 95.0]), np.array([195.0, 195.0])]
    confidences = [np.full(2, 0.5), np.full(2, 0.9)]
    rows_a, _ = _shared_ink_yield([a, b], guides, confidences, px_per_mm=4.0, baselines=np.array([100.0, 200.0]))
    assert rows_a.tolist() == [30.0, 95.0]


def test_a_flat_stretch_is_read_to_a_fraction_of_a_pixel_from_the_ink_s_darkness():
    # A slow wave 3 px thick, drawn with anti-aliased edges: each pixel's
    # darkness is the share of it the line covers. Whole-pixel runs can only
    # place the centre to half a pixel; the darkness places it closer.
    x = np.arange(300)
    centre = 40.0 + 1.5 * np.sin(x / 15.0)
    rows = np.arange(80)[:, None]
    darkness = np.clip(np.minimum(rows + 0.5 - (centre - 1.5), (centre + 1.5) - (rows - 0.5)), 0.0, 1.0)
    mask = darkness > 0.12
    runs_only = trace_extract(mask, 40.0, px_per_mm=4.0).rows
    with_darkness = trace_extract(mask, 40.0, px_per_mm=4.0, darkness=darkness).rows
    error_runs = np.abs(runs_only - centre)[5:-5].mean()
    error_darkness = np.abs(with_darkness - centre)[5:-5].mean()
    assert error_darkness < 0.1 and error_darkness < error_runs / 2
