"""Signal assembly: pixel columns to samples."""
import numpy as np

from ecgdigitizer.assemble import leads_cut, leads_place, page_samples, trace_interpolate
from ecgdigitizer.layouts import MM_PER_S, PAGE_SECONDS, layout_get

NAMES = ["I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6"]


def test_every_sample_is_read_at_its_own_page_column_whatever_the_rounding():
    # Each trace's value is its page column, so the placed value of a sample
    # is the column it was read at, which must be x_start + time * px_per_s,
    # though x_start and the windows' starts fall between columns.
    px_per_mm, fs, x_start = 7.87, 500.0, 118.37
    px_per_s = MM_PER_S * px_per_mm
    x_end = x_start + PAGE_SECONDS * px_per_s
    columns = np.arange(round(x_start), round(x_end), dtype=float)
    layout = layout_get("3x4+1")
    n = page_samples(fs)
    leads = leads_cut([columns.copy() for _ in range(4)], layout, x_start, x_end, n)
    placed = leads_place(leads, NAMES, fs, n, px_per_mm)
    expected = x_start + np.arange(n) / fs * px_per_s
    for lead in leads:
        samples = np.arange(lead.start, lead.end)
        # Within the window's cut columns (its last 1.5 px may lie past them).
        inside = samples[expected[samples] <= columns[0] + np.flatnonzero(columns == lead.rows[-1])[0]]
        assert inside.size >= lead.end - lead.start - 4
        got = placed[inside, NAMES.index(lead.name)]
        if lead.name != "II" or lead.end - lead.start == n:   # the rhythm strip overwrites II's window
            assert np.allclose(got, expected[inside], atol=1e-6), lead.name


def test_the_spline_keeps_a_peak_that_falls_between_columns():
    # A QRS-like spike two columns wide, peaking halfway between two columns
    # (100 dpi: five samples per column): straight lines cut its top off.
    columns = np.arange(40, dtype=float)
    fine = np.linspace(0, 39, 400)

    def spike(x):
        return 30.0 * np.exp(-0.5 * ((x - 20.5) / 1.0) ** 2)

    spline = trace_interpolate(fine, columns, spike(columns))
    straight = np.interp(fine, columns, spike(columns))
    assert abs(trace_interpolate(np.array([20.5]), columns, spike(columns))[0] - 30.0) < 1.0
    assert np.interp(20.5, columns, spike(columns)) < 27.0
    assert np.sqrt(np.mean((spline - spike(fine)) ** 2)) < 0.3 * np.sqrt(np.mean((straight - spike(fine)) ** 2))


def test_the_spline_goes_through_the_columns_and_bridges_gaps_with_straight_lines():
    rng = np.random.default_rng(0)
    columns = np.r_[np.arange(0, 10), np.arange(15, 17), np.arange(20, 30)].astype(float)
    rows = rng.normal(size=columns.size)
    assert np.allclose(trace_interpolate(columns, columns, rows), rows)
    gap = np.linspace(9, 20, 23)                       # across the gaps and the 2-column run between them
    assert np.allclose(trace_interpolate(gap, columns, rows), np.interp(gap, columns, rows))
    ends = np.array([-3.0, 33.0])                      # flat beyond the ends
    assert np.allclose(trace_interpolate(ends, columns, rows), rows[[0, -1]])
