"""Clinical intervals of one ECG lead: heart rate, RR, PR, QRS, QT and QTc.

One delineator serves both the reference and the digitized output, so that
their difference measures digitization and not the choice of algorithm. It is
NeuroKit2's ``ecg_delineate`` (Makowski et al., Behav Res 53:1689, 2021);
``DELINEATORS`` lists the methods it offers here. The default,
``"prominence"`` (Emrich et al., 2024), was chosen on LUDB records 1-60
(``bench/bench_delineator_ludb.py --select``); its error is reported on
records 61-120. On the selection half (12 leads, median |error| against the
cardiologists) it gave PR 12 ms, QRS 20 ms, QT 20 ms, where ``"dwt"`` gave
40 / 63 / 66 ms, ``"cwt"`` gave no usable PR or QT and ``"peak"`` gives no QRS
onsets or offsets at all; it is also the fastest (about 5 ms per 10-s lead
against 40 ms), which keeps 100 records with intervals within a minute.

Its QRS boundaries, however, are the base points of the R peak's prominence
inside a fixed 100-ms window, so on synthetic beats its QRS duration is 100 ms
whatever the true width (60-150 ms): it cannot see a QRS widen. QRS onset and
offset therefore come from a slope threshold on the same cleaned signal
(:func:`qrs_bounds_slope`, ``qrs_bounds="slope"``, the default), which on the
LUDB selection half improved QRS to 10 ms and QT to 15 ms median |error| (PR
unchanged at 12 ms) and follows a synthetic QRS width one for one, about 20 ms
wide of the truth because NeuroKit's cleaning smooths the edges (its 50-Hz
filter is a 20-ms moving average). P onset, T offset and R peaks stay
NeuroKit's. On the held-out LUDB half (records 61-120, 12 leads) this default
is off from the cardiologists by PR 12 ms, QRS 12 ms, QT 15 ms median |error|
(90th percentiles 75, 42 and 58 ms), which is the floor below which interval
errors of a digitized ECG cannot be told from delineation noise.

Each interval is measured per beat and summarised by its median over the beats
of the lead, so reference and output need not have matching beats:

* PR  = QRS onset - P onset          (ms)
* QRS = QRS offset - QRS onset       (ms)
* QT  = T offset - QRS onset         (ms)
* RR  = median distance of R peaks   (ms);  HR = 60000 / RR (bpm)
* QTc = QT / sqrt(RR / 1 s)          (Bazett, ms)

Beat values outside physiological bounds (``BOUNDS_MS``) are treated as
delineation failures of that beat and dropped.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np

__all__ = ["DELINEATORS", "QRS_BOUNDS", "INTERVALS", "BOUNDS_MS", "MIN_SECONDS", "Waves", "Intervals",
           "ecg_waves", "qrs_bounds_slope", "waves_intervals", "intervals_measure", "longest_finite_run"]

DELINEATORS = ("prominence", "dwt", "cwt", "peak")
QRS_BOUNDS = ("slope", "delineator")
INTERVALS = ("hr", "rr", "pr", "qrs", "qt", "qtc")
# Plausible ranges (ms); a beat value outside is a delineation failure, not a finding.
BOUNDS_MS = {"rr": (250.0, 2500.0), "pr": (60.0, 400.0), "qrs": (30.0, 250.0), "qt": (180.0, 700.0)}
MIN_SECONDS = 2.0  # shortest span worth delineating: two beats at 60 bpm
QRS_SLOPE_FRACTION = 0.1  # QRS boundary: slope below this share of the QRS's steepest slope


@dataclass(frozen=True)
class Waves:
    """Fiducial points of one lead, in samples (NaN where not found), one entry per beat.

    Attributes
    ----------
    r_peaks : (B,) ndarray of int
    p_on, qrs_on, qrs_off, t_off : (B,) ndarray of float
    """
    r_peaks: np.ndarray
    p_on: np.ndarray
    qrs_on: np.ndarray
    qrs_off: np.ndarray
    t_off: np.ndarray


@dataclass
class Intervals:
    """Median intervals of one lead (ms, HR in bpm); NaN where unmeasurable.

    ``ok`` is False when the lead could not be delineated at all, and
    ``reason`` then says why.
    """
    hr: float = np.nan
    rr: float = np.nan
    pr: float = np.nan
    qrs: float = np.nan
    qt: float = np.nan
    qtc: float = np.nan
    n_beats: int = 0
    ok: bool = False
    reason: str = ""
    waves: Waves | None = field(default=None, repr=False)

    def as_dict(self) -> dict:
        return {k: getattr(self, k) for k in INTERVALS}


def longest_finite_run(mask: np.ndarray) -> tuple[int, int]:
    """``[start, end)`` of the longest run of True in a 1-D boolean mask ((0, 0) if none).

    >>> longest_finite_run(np.array([0, 1, 1, 0, 1], bool))
    (1, 3)
    """
    m = np.concatenate(([False], np.asarray(mask, bool), [False]))
    edges = np.flatnonzero(np.diff(m.astype(np.int8)))
    if edges.size == 0:
        return 0, 0
    starts, ends = edges[::2], edges[1::2]
    i = int(np.argmax(ends - starts))
    return int(starts[i]), int(ends[i])


def ecg_waves(x: np.ndarray, fs: float, *, method: str = "prominence", qrs_bounds: str = "slope") -> Waves:
    """Delineate one lead with NeuroKit2.

    Parameters
    ----------
    x : (N,) ndarray of float
        One lead in mV, finite everywhere.
    fs : float
        Sampling frequency in Hz.
    method : {"prominence", "dwt", "cwt", "peak"}
    qrs_bounds : {"slope", "delineator"}
        QRS onset and offset from :func:`qrs_bounds_slope` or from the delineator.

    Raises
    ------
    ValueError
        For an unknown method, a non-finite or too short signal, a flat line or
        fewer than two R peaks.
    """
    if method not in DELINEATORS:
        raise ValueError(f"ecg_waves: method {method!r} is not one of {', '.join(DELINEATORS)}")
    if qrs_bounds not in QRS_BOUNDS:
        raise ValueError(f"ecg_waves: qrs_bounds {qrs_bounds!r} is not one of {', '.join(QRS_BOUNDS)}")
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 1 or not np.all(np.isfinite(x)):
        raise ValueError("ecg_waves: the signal must be 1-D and finite")
    if x.size < MIN_SECONDS * fs:
        raise ValueError(f"too short to delineate ({x.size / fs:.2f} s < {MIN_SECONDS} s)")
    if np.ptp(x) < 0.02:
        raise ValueError(f"flat line (peak-to-peak {np.ptp(x) * 1000:.1f} uV)")
    import neurokit2 as nk  # imported here: it is slow to import and only intervals need it

    sr = int(round(fs))
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        cleaned = nk.ecg_clean(x, sampling_rate=sr)
        r = np.asarray(nk.ecg_findpeaks(cleaned, sampling_rate=sr)["ECG_R_Peaks"], dtype=np.int64)
        if r.size < 2:
            raise ValueError(f"only {r.size} R peak(s) found")
        w = _delineate(nk, cleaned, r, sr, method)

    def get(key: str) -> np.ndarray:
        v = np.asarray(w.get(key, [np.nan] * r.size), dtype=np.float64)
        if v.size != r.size:
            return np.full(r.size, np.nan)
        return np.where((v >= 0) & (v < x.size), v, np.nan)

    if qrs_bounds == "slope":
        qrs_on, qrs_off = qrs_bounds_slope(cleaned, r, fs)
    else:
        qrs_on, qrs_off = get("ECG_R_Onsets"), get("ECG_R_Offsets")
    return Waves(r, get("ECG_P_Onsets"), qrs_on, qrs_off, get("ECG_T_Offsets"))


def qrs_bounds_slope(x: np.ndarray, r_peaks: np.ndarray, fs: float, *, fraction: float = QRS_SLOPE_FRACTION,
                     hold_ms: float = 20.0) -> tuple[np.ndarray, np.ndarray]:
    """QRS onset and offset (samples, NaN if not found) by a slope threshold.

    The QRS is the part of the beat where the signal moves fast. With ``s`` the
    absolute derivative smoothed over 10 ms and ``S`` its maximum within
    +-60 ms of the R peak, the onset is the first sample, going back from the
    steepest slope before R (up to 200 ms), where ``s`` has stayed below
    ``fraction * S`` for ``hold_ms``; the offset likewise going forward (up to
    250 ms). The hold keeps a Q or S trough, where the slope passes zero only
    for an instant, inside the complex (threshold detectors of this kind go
    back to Laguna et al., Comput Biomed Res 27:45, 1994).
    """
    x = np.asarray(x, dtype=np.float64)
    n = x.size
    w = max(1, int(round(0.01 * fs)))
    s = np.convolve(np.abs(np.gradient(x)), np.ones(w) / w, mode="same")
    hold = max(1, int(round(hold_ms * fs / 1000)))
    near, back, fwd = int(0.06 * fs), int(0.2 * fs), int(0.25 * fs)
    on = np.full(r_peaks.size, np.nan)
    off = np.full(r_peaks.size, np.nan)
    for k, r in enumerate(np.asarray(r_peaks, dtype=np.int64)):
        a, b = max(0, r - near), min(n, r + near + 1)
        if b - a < 3 or r >= n:
            continue
        peak = float(s[a:b].max())
        if peak <= 0:
            continue
        lo_a, lo_b = max(0, r - back), min(n, r + fwd + 1)
        low = s[lo_a:lo_b] < fraction * peak
        if low.size < hold:
            continue
        # held[i]: the slope stays low over samples lo_a + i .. lo_a + i + hold - 1.
        held = np.convolve(low.astype(np.int16), np.ones(hold, np.int16), mode="valid") == hold
        left = a + int(np.argmax(s[a:r + 1]))      # steepest point before R
        right = r + int(np.argmax(s[r:b]))         # steepest point after R
        # Onset: the last held window ending at or before ``left``.
        ends = np.flatnonzero(held[:max(0, left - lo_a - hold + 2)])
        if ends.size:
            on[k] = lo_a + ends[-1] + hold - 1
        # Offset: the first held window starting at or after ``right``.
        starts = np.flatnonzero(held[max(0, right - lo_a):])
        if starts.size:
            off[k] = lo_a + max(0, right - lo_a) + starts[0]
    return on, off


# NeuroKit2's per-method delineators. The public ``ecg_delineate`` calls one of
# these and then builds a per-sample DataFrame that is not needed here and
# takes three quarters of its time; the public function is the fallback
# should a NeuroKit release rename them.
_NK_DELINEATORS = {"prominence": "_prominence_ecg_delineator", "dwt": "_dwt_ecg_delineator",
                   "cwt": "_ecg_delineator_cwt", "peak": "_ecg_delineator_peak"}


def _delineate(nk, cleaned: np.ndarray, r: np.ndarray, sr: int, method: str) -> dict:
    import importlib
    module = importlib.import_module("neurokit2.ecg.ecg_delineate")  # the module, not the function
    func = getattr(module, _NK_DELINEATORS[method], None)
    if func is None:
        return nk.ecg_delineate(cleaned, r, sampling_rate=sr, method=method)[1]
    if method == "dwt":
        return func(cleaned, r, sampling_rate=sr)
    return func(cleaned, rpeaks=r, sampling_rate=sr)


def waves_intervals(waves: Waves, fs: float, *, span: tuple[float, float] | None = None) -> Intervals:
    """Median intervals from fiducial points; ``span`` keeps beats whose R peak lies in it (samples)."""
    ms = 1000.0 / fs
    keep = np.ones(waves.r_peaks.size, bool)
    if span is not None:
        keep = (waves.r_peaks >= span[0]) & (waves.r_peaks <= span[1])
    r = waves.r_peaks.astype(np.float64)
    out = Intervals(waves=waves, n_beats=int(keep.sum()))

    def median(values: np.ndarray, name: str) -> float:
        lo, hi = BOUNDS_MS[name]
        v = values[np.isfinite(values) & (values >= lo) & (values <= hi)]
        return float(np.median(v)) if v.size else np.nan

    rr = np.diff(r) * ms
    rr_keep = keep[1:] & keep[:-1]
    out.rr = median(rr[rr_keep], "rr")
    out.pr = median(((waves.qrs_on - waves.p_on) * ms)[keep], "pr")
    out.qrs = median(((waves.qrs_off - waves.qrs_on) * ms)[keep], "qrs")
    out.qt = median(((waves.t_off - waves.qrs_on) * ms)[keep], "qt")
    if np.isfinite(out.rr):
        out.hr = 60000.0 / out.rr
        out.qtc = out.qt / np.sqrt(out.rr / 1000.0)
    out.ok = bool(np.isfinite([out.rr, out.pr, out.qrs, out.qt]).any())
    if not out.ok:
        out.reason = "no beat gave a plausible interval"
    return out


def intervals_measure(x: np.ndarray, fs: float, *, method: str = "prominence",
                      qrs_bounds: str = "slope") -> Intervals:
    """Delineate the longest finite run of ``x`` and return its median intervals.

    Never raises for bad signals: an :class:`Intervals` with ``ok=False`` and a
    ``reason`` comes back instead (too short, flat, no R peaks, delineator error).

    Examples
    --------
    >>> import neurokit2 as nk
    >>> x = nk.ecg_simulate(duration=10, sampling_rate=500, heart_rate=60, random_state=0)
    >>> round(intervals_measure(x, 500).hr)
    60
    """
    x = np.asarray(x, dtype=np.float64)
    start, end = longest_finite_run(np.isfinite(x))
    try:
        waves = ecg_waves(x[start:end], fs, method=method, qrs_bounds=qrs_bounds)
    except ValueError as err:
        return Intervals(reason=str(err))
    except Exception as err:  # the delineator's own failures (IndexError, ...) on odd signals
        return Intervals(reason=f"delineator failed: {type(err).__name__}: {err}")
    return waves_intervals(waves, fs)
