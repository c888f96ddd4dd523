"""Signal assembly: pixel columns to samples."""
import numpy as np

from ecgdigitizer.assemble import leads_cut, leads_place, page_samples
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
