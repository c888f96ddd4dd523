"""Signal assembly: pixel columns to samples."""
import numpy as np
import pytest

from ecgdigitizer.assemble import leads_cut, leads_place, limb_leads_reconcile, page_samples, trace_interpolate
from ecgdigitizer.layouts import LIMB_BASIS, MM_PER_S, PAGE_SECONDS, layout_get

NAMES = ["I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6"]


@pytest.mark.parametrize("per_column", [1, 3])
def test_every_sample_is_read_at_its_own_page_column_whatever_the_rounding(per_column):
    # Each trace's value is its page column, so the placed value of a sample
    # is the column it was read at, which must be x_start + time * px_per_s,
    # though x_start and the windows' starts fall between columns; likewise
    # with several points per column (the column model's traces).
    px_per_mm, fs, x_start = 7.87, 500.0, 118.37
    px_per_s = MM_PER_S * px_per_mm
    x_end = x_start + PAGE_SECONDS * px_per_s
    first = round(x_start)
    columns = first + (np.arange((round(x_end) - first) * per_column) - per_column // 2) / per_column
    layout = layout_get("3x4+1")
    n = page_samples(fs)
    leads = leads_cut([columns.copy() for _ in range(4)], layout, x_start, x_end, n, per_column)
    placed = leads_place(leads, NAMES, fs, n, px_per_mm)
    expected = x_start + np.arange(n) / fs * px_per_s
    for lead in leads:
        samples = np.arange(lead.start, lead.end)
        # Within the window's cut points (its last 1.5 px may lie past them).
        inside = samples[expected[samples] <= lead.rows[-1]]
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


# ------------------------------------------------------------------ limb leads

LIMB = ("I", "II", "III", "aVR", "aVL", "aVF")


def limb_record(fs=500.0, seconds=5.0):
    """(T, 7) mV: the six limb leads of QRS-like bumps every 0.8 s (they obey the identities), and V1."""
    t = np.arange(int(seconds * fs)) / fs
    def bumps(amp):
        return sum(amp * np.exp(-0.5 * ((t - b) / 0.015) ** 2) for b in np.arange(0.3, seconds, 0.8))
    plane = np.stack([bumps(0.8), bumps(1.2)]) + 0.05 * np.sin(2 * np.pi * 0.3 * t)   # I, II
    limb = (LIMB_BASIS @ plane).T
    return np.concatenate([limb, bumps(-0.6)[:, None]], axis=1), list(LIMB) + ["V1"]


def shown_as_on_a_3x4_page(signal, fs=500.0):
    """NaN where a 3x4+1 page shows nothing over the first 5 s: I, II, III then aVR, aVL, aVF; II all along."""
    out = signal.copy()
    half = int(2.5 * fs)
    out[half:, [0, 2]] = np.nan          # I, III: first column
    out[:half, [3, 4, 5]] = np.nan       # aVR, aVL, aVF: second column
    return out


def test_limb_readings_with_independent_errors_come_closer_to_the_truth():
    truth, names = limb_record()
    rng = np.random.default_rng(1)
    read = shown_as_on_a_3x4_page(truth) + rng.normal(0, 0.02, truth.shape)
    out = limb_leads_reconcile(read, names, 500.0)
    limb = slice(0, 6)
    before = np.nanmean((read[:, limb] - truth[:, limb]) ** 2)
    after = np.nanmean((out[:, limb] - truth[:, limb]) ** 2)
    assert after < 0.75 * before
    half = 1250   # the reconciled stretches obey the identities, up to each lead's own baseline
    einthoven = out[:half, 2] - (out[:half, 1] - out[:half, 0])
    goldberger = out[half:, 3] + out[half:, 4] + out[half:, 5]          # aVR + aVL + aVF = 0
    assert np.ptp(einthoven) < 1e-9
    assert np.ptp(goldberger) < 1e-9
    assert np.array_equal(out[:, 6], read[:, 6])                       # V1 passes through
    assert np.array_equal(np.isnan(out), np.isnan(read))               # unseen stays unseen


def test_one_misread_limb_lead_takes_the_others_reading_and_spreads_to_none():
    truth, names = limb_record()
    read = shown_as_on_a_3x4_page(truth)
    misread = slice(1800, 1840)           # aVL follows a label for 80 ms
    read[misread, 4] += 0.5
    out = limb_leads_reconcile(read, names, 500.0)
    stretch = slice(1250, 2500)
    # aVL is the truth again, up to its baseline; the others keep their exact
    # readings (up to theirs), with nothing of the misreading in them.
    assert np.ptp(out[stretch, 4] - truth[stretch, 4]) < 1e-3         # 1 uV: the baselines are medians
    for lead in (1, 3, 5):
        assert np.ptp(out[stretch, lead] - read[stretch, lead]) < 1e-3


def test_limb_leads_whose_rows_disagree_in_time_are_left_as_read():
    truth, names = limb_record()
    read = shown_as_on_a_3x4_page(truth)
    read[1250:2500, 4] = np.roll(truth[:, 4], 5)[1250:2500]   # aVL's row 10 ms late (a warped page)
    read += np.random.default_rng(2).normal(0, 0.01, read.shape)
    out = limb_leads_reconcile(read, names, 500.0)
    assert np.array_equal(out[1250:2500], read[1250:2500], equal_nan=True)
    assert not np.array_equal(out[:1250], read[:1250], equal_nan=True)   # I, II, III still agree in time
