"""Signal assembly: traced rows of pixels to a 12-lead record in millivolts.

Each page row's trace is cut into its columns' time windows, converted to
millivolts around the lead's own baseline, resampled from pixel columns to the
header's sampling rate (a cubic spline through the columns,
``trace_interpolate``), and placed at its window in a ``(num_samples,
num_leads)`` array in the header's lead order. Where a page shows three or
more limb leads at once (a 3x4 page's first two columns with the rhythm
strip), their readings are made to agree with the limb-lead identities
(``limb_leads_reconcile``). Samples the page does not show stay NaN;
completing them is the signal model's job (``completion``).
"""
from __future__ import annotations

import numpy as np
from scipy.interpolate import CubicSpline

from .layouts import (LIMB_BASIS, MM_PER_MV, MM_PER_S, PAGE_SECONDS, STANDARD_LEADS, Layout, lead_name_normalize,
                      lead_window)

__all__ = ["LeadTrace", "leads_cut", "signal_assemble", "leads_place", "trace_interpolate", "baseline_estimate",
           "limb_leads_reconcile", "page_samples", "LIMB_OUTLIER_MV", "LIMB_MAX_LAG_S"]

# Limb-lead readings that disagree by more than this (mV) are not averaged:
# one of them followed something else (a label, a neighbour's QRS).
LIMB_OUTLIER_MV = 0.1
# A stretch is reconciled only where every lead's reading lines up in time
# with what the others give, to within this (s): a creased or warped page
# can shift one row's time axis by several milliseconds against another's.
LIMB_MAX_LAG_S = 0.002


class LeadTrace:
    """One lead as drawn: pixel rows at points along its window, and the samples it covers.

    Attributes
    ----------
    name : str
    rows : (W * per_column,) float ndarray
        Trace row at each point of the lead's window (NaN where unseen).
    offset : float
        Where the window's first sample lies, in points of ``rows``
        (within half a point of ``per_column // 2``: windows are cut at whole points).
    start, end : int
        Samples ``[start, end)`` of a ``PAGE_SECONDS`` page the window shows,
        counted at ``page_fs``.
    per_column : int
        Points per pixel column: 1 for the tracker's rows, more where the
        column model also gives rows inside each column.
    """

    def __init__(self, name: str, rows: np.ndarray, offset: float, start: int, end: int, per_column: int = 1):
        self.name, self.rows, self.offset, self.start, self.end = name, rows, offset, start, end
        self.per_column = per_column


def leads_cut(row_traces: list[np.ndarray], layout: Layout, x_start: float, x_end: float,
              page_samples: int, per_column: int = 1) -> list[LeadTrace]:
    """Cut each page row's trace into leads.

    Parameters
    ----------
    row_traces : list of (W * per_column,) float ndarray
        One per page row; point ``k`` lies at page column
        ``round(x_start) + (k - per_column // 2) / per_column``.
    layout : Layout
    x_start, x_end : float
        Page columns of time 0 and ``PAGE_SECONDS``.
    page_samples : int
        Samples in ``PAGE_SECONDS`` at the header's rate.
    per_column : int
        Points per pixel column of the traces.
    """
    px_per_sample = (x_end - x_start) / page_samples
    first = round(x_start)  # the page column of every trace's point per_column // 2
    leads = []
    for row, trace in enumerate(row_traces):
        names = layout.row_leads(row)
        for column, name in enumerate(names):
            start, end = lead_window(column, len(names), page_samples)
            c0 = int(round(start * px_per_sample * per_column))
            c1 = int(round(end * px_per_sample * per_column))
            # Sample ``start`` lies at page column x_start + start * px_per_sample,
            # a fraction of a point from the point after the cut.
            offset = (x_start + start * px_per_sample - first) * per_column + per_column // 2 - c0
            leads.append(LeadTrace(name, trace[c0:c1], offset, start, end, per_column))
    return leads


def baseline_estimate(rows: np.ndarray, px_per_mm: float) -> float:
    """The most common row of a trace: its isoelectric line.

    A histogram in 0.25-mm bins, smoothed over three bins; the mode beats the
    mean or median, which QRS complexes and T waves pull away.
    """
    finite = rows[np.isfinite(rows)]
    if finite.size == 0:
        return float("nan")
    bin_px = max(0.25 * px_per_mm, 0.5)
    edges = np.arange(finite.min() - bin_px, finite.max() + 2 * bin_px, bin_px)
    counts, edges = np.histogram(finite, edges)
    smooth = np.convolve(counts, np.ones(3), mode="same")
    k = int(np.argmax(smooth))
    return float(0.5 * (edges[k] + edges[k + 1]))


def signal_assemble(leads: list[LeadTrace], lead_names: list[str], fs: float, num_samples: int,
                    px_per_mm: float) -> np.ndarray:
    """Place each lead's samples at its window, in millivolts.

    Parameters
    ----------
    leads : list of LeadTrace
        From ``leads_cut`` at ``fs``. When a lead appears twice (a rhythm
        strip repeats a lead of the grid), the longer window is written last
        and wins where they overlap.
    lead_names : list of str
        The header's lead names, in order; matched case-insensitively.
    fs : float
        Sampling rate (Hz) of the output.
    num_samples : int
    px_per_mm : float

    Returns
    -------
    (num_samples, len(lead_names)) float ndarray
        NaN where the page does not show a lead.
    """
    px_per_mv = MM_PER_MV * px_per_mm

    def to_mv(lead: LeadTrace, rows: np.ndarray) -> np.ndarray:
        return (baseline_estimate(lead.rows, px_per_mm) - rows) / px_per_mv

    return leads_place(leads, lead_names, fs, num_samples, px_per_mm, to_mv, trace_interpolate)


def leads_place(leads: list[LeadTrace], lead_names: list[str], fs: float, num_samples: int,
                px_per_mm: float, transform=None, interpolate=np.interp) -> np.ndarray:
    """Resample each lead's values per point to ``fs`` and place them at its window.

    ``interpolate(x, seen_points, values)`` gives the values at the samples'
    fractional points (straight lines by default: right for a confidence
    per column). ``transform(lead, values)`` then maps them (e.g. rows to
    mV); without it they are placed as they are. Longer windows are placed
    last and win where windows overlap.
    """
    out = np.full((num_samples, len(lead_names)), np.nan)
    index = {lead_name_normalize(n): i for i, n in enumerate(lead_names)}
    px_per_s = MM_PER_S * px_per_mm
    for lead in sorted(leads, key=lambda ld: ld.end - ld.start):
        j = index.get(lead_name_normalize(lead.name))
        end = min(lead.end, num_samples)
        seen = np.isfinite(lead.rows)
        if j is None or end <= lead.start or seen.sum() < 2:
            continue
        n = np.arange(lead.start, end)
        col = lead.offset + (n - lead.start) / fs * px_per_s * lead.per_column   # each sample's point
        values = interpolate(col, np.flatnonzero(seen), lead.rows[seen])
        out[n, j] = transform(lead, values) if transform else values
    return out


def trace_interpolate(x: np.ndarray, columns: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """A trace's rows at fractional columns ``x``, from its rows at the integer ``columns`` it was read at.

    A cubic spline through each run of consecutive columns, straight lines
    across the gaps between runs and flat beyond the ends. A page shows a
    sample every 2-5 px at 200-100 dpi, so a QRS peak usually falls between
    two columns; straight lines cut it off, the spline's curvature restores
    most of it. With every column at its true row (``bench/column_oracle.py``,
    eik-dev masked SNR clean / aug) the ceiling goes from 23.9 / 17.2 dB with
    straight lines to 25.7 / 19.7; the columns as read, 20.0 / 13.1 to
    21.2 / 14.0. A spline of degree 5 or a modified Akima one scored the same
    or lower.
    """
    out = np.interp(x, columns, rows)
    runs = np.split(np.arange(columns.size), np.flatnonzero(np.diff(columns) > 1) + 1)
    for run in runs:
        if run.size < 4:    # too short to bend; the straight line stays
            continue
        c = columns[run]
        inside = (x >= c[0]) & (x <= c[-1])
        out[inside] = CubicSpline(c, rows[run])(x[inside])
    return out


def limb_leads_reconcile(signal: np.ndarray, lead_names: list[str], fs: float, *,
                         outlier_mv: float = LIMB_OUTLIER_MV, max_lag_s: float = LIMB_MAX_LAG_S
                         ) -> np.ndarray:
    """The limb leads' seen samples made to agree with the limb-lead identities.

    The six limb leads are functions of two (``layouts.LIMB_BASIS``), so where
    a page shows three or more of them at once, each reading of the plane is
    redundant: a 3x4+1 page shows I, III and the rhythm strip's II together
    for 2.5 s, then aVR, aVL, aVF and II. Reading errors in different rows
    are independent, and the least-squares point of the plane averages them
    out. Each stretch with the same limb leads seen is reconciled on its own,
    and every lead keeps its own baseline there (its median), which the
    readings do not share.

    A sample whose readings disagree by more than ``outlier_mv`` with that
    point is not averaged, which would spread one lead's misreading over
    the others. Where four or more are seen and leaving one lead out brings
    the rest within ``outlier_mv``, that lead is the misread one: all take
    the point the others give. Otherwise the readings stay as they are.
    A stretch where some lead lines up best with the point the others give
    at a lag beyond ``max_lag_s`` (rows whose time axes a warped page has
    shifted against each other) is left as read: averaging misaligned QRS
    complexes would blur them into every lead.
    Masked SNR on eik-dev (learned, NaN unplotted), clean / aug / wrinkle /
    varied: 21.08 / 14.05 / 16.63 / 16.29 dB without this, 21.33 / 14.33 /
    16.82 / 16.46 with it (``python bench/bench_digitizer.py``; the README
    has the classical digitizer's and the renderer's pages).

    Parameters
    ----------
    signal : (num_samples, num_leads) float ndarray
        mV, NaN where unseen (``signal_assemble``).
    lead_names : list of str
        The columns' lead names; leads other than the six limb leads pass through.
    fs : float
        Sampling rate (Hz).

    Returns
    -------
    (num_samples, num_leads) float ndarray
        A copy; unseen samples stay NaN.
    """
    out = np.array(signal, dtype=np.float64)
    index = {lead_name_normalize(n): j for j, n in enumerate(lead_names)}
    present = [k for k, name in enumerate(STANDARD_LEADS[:len(LIMB_BASIS)]) if name in index]
    columns = np.array([index[STANDARD_LEADS[k]] for k in present], dtype=int)
    basis = LIMB_BASIS[present]
    seen = np.isfinite(out[:, columns])
    pattern = seen @ (1 << np.arange(columns.size))          # which limb leads each sample shows
    cuts = np.flatnonzero(np.diff(pattern)) + 1
    max_lag = max(1, int(round(max_lag_s * fs)))
    for start, end in zip(np.r_[0, cuts], np.r_[cuts, pattern.size]):
        shown = seen[start]
        if shown.sum() < 3 or np.linalg.matrix_rank(basis[shown]) < 2:
            continue
        cols = columns[shown]
        out[start:end, cols] = _limb_stretch_reconcile(out[start:end, cols], basis[shown], outlier_mv, max_lag)
    return out


def _limb_stretch_reconcile(values: np.ndarray, basis: np.ndarray, outlier_mv: float,
                            max_lag: int) -> np.ndarray:
    """``limb_leads_reconcile`` for one stretch: ``values`` (n, k) of the k leads with rows ``basis`` (k, 2)."""
    centre = np.median(values, axis=0)
    y = values - centre

    def from_leads(keep: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Every lead from the plane point that the ``keep`` leads give; their largest misfit per sample."""
        fit = y[:, keep] @ np.linalg.pinv(basis[keep]).T @ basis.T
        return fit, np.abs(fit[:, keep] - y[:, keep]).max(axis=1)

    # Each lead against the point the others give: the lag check, and the misread lead's replacement.
    leave_out = [np.arange(len(basis)) != k for k in range(len(basis))]
    others = [(k, *from_leads(keep)) for k, keep in enumerate(leave_out)
              if np.linalg.matrix_rank(basis[keep]) == 2]
    if any(abs(_lag_best(y[:, k], fit_k[:, k], 3 * max_lag)) > max_lag for k, fit_k, _ in others):
        return values
    fit, misfit = from_leads(np.ones(len(basis), bool))
    out = np.where((misfit <= outlier_mv)[:, None], fit, y)
    if len(basis) >= 4:   # with three, the two left always fit exactly: nothing tells which one is wrong
        fits = np.stack([fit_k for _, fit_k, _ in others])          # (m, n, k)
        misfits = np.stack([misfit_k for _, _, misfit_k in others])  # (m, n)
        best = np.argmin(misfits, axis=0)
        one_misread = (misfit > outlier_mv) & (misfits[best, np.arange(len(y))] <= outlier_mv)
        out[one_misread] = fits[best, np.arange(len(y))][one_misread]
    return out + centre


def _lag_best(x: np.ndarray, reference: np.ndarray, reach: int) -> int:
    """The lag ``l`` (samples, within +-``reach``) at which ``x[t + l]`` best matches ``reference[t]``."""
    n = min(x.size, reference.size)
    if n <= 2 * reach:
        return 0
    errors = [np.mean((x[reach + lag:n - reach + lag] - reference[reach:n - reach]) ** 2)
              for lag in range(-reach, reach + 1)]
    return int(np.argmin(errors)) - reach


def page_samples(fs: float) -> int:
    """Samples in one printed page (``PAGE_SECONDS``) at ``fs``."""
    return int(round(PAGE_SECONDS * fs))
