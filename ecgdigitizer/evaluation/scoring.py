"""Score a folder of digitized records against a folder of references.

``folders_score`` walks the reference folder (records found recursively, as the
official scorer does), reads the output record of the same relative name, and
for every reference lead:

1. matches the output lead by name, ignoring case (``avr`` = ``aVR``);
2. brings the output to the reference's length (cut, or padded with NaN), its
   sampling rate (linear interpolation) and mV;
3. aligns it (:mod:`.alignment`; ``align=False`` skips this, like ``-n``);
4. computes the signal metrics (:mod:`.metrics`) and the R-peak agreement
   (:mod:`.peaks`) on the samples finite in both;
5. with ``intervals=True``, delineates reference and output on the same span
   and compares their intervals (:mod:`.intervals`).

Nothing about one record can stop the others: a missing or unreadable output,
a lead absent from it, an all-NaN lead all score SNR 0 (the official scorer
scores a missing output as an all-zero signal, which gives exactly 0 dB), and
the reason is kept in the ``status`` column and in ``EvaluationResult.issues``.

Which part of a lead was *seen* (plotted) is taken from the reference: its
finite samples. A ``masked/`` reference therefore limits the intervals to the
plotted windows; a ``full/`` reference shows the whole 10 s of every lead
unless ``seen_folder`` names the matching ``masked/`` folder, whose finite
samples then define what was seen.
"""
from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import wfdb

from ..layouts import lead_name_normalize
from ..records import records_find, signal_load
from .alignment import Alignment, lead_align, signal_shift
from .intervals import INTERVALS, Intervals, intervals_measure, longest_finite_run
from .metrics import CORR_THRESHOLDS, LEAD_METRICS, lead_metrics
from .peaks import rpeaks_detect, rpeaks_match

__all__ = ["EvaluationResult", "LEAD_GROUPS", "folders_score", "record_score", "intervals_summary"]

log = logging.getLogger(__name__)

LEAD_GROUPS = {"limb": ("I", "II", "III", "aVR", "aVL", "aVF"), "precordial": ("V1", "V2", "V3", "V4", "V5", "V6")}
INTERVAL_MIN_SECONDS = 2.5   # a lead is delineated when its seen span is at least this long
_UNIT_SCALE = {"mv": 1.0, "uv": 1e-3, "µv": 1e-3, "μv": 1e-3, "v": 1e3, "nv": 1e-6}


@dataclass
class EvaluationResult:
    """What ``folders_score`` found.

    Attributes
    ----------
    summary : dict
        ``snr`` (mean over all (record, lead) pairs; perfect leads left out),
        ``mse``, ``mae``, ``rmse``, ``pearson``, ``r2`` (means over leads with
        common samples), ``pearson_median``, ``share_r_ge_0.99`` ... ``0.80``,
        ``rpeak_err_ms``, ``rpeaks_missed``, ``rpeaks_extra``, counts of records
        and of leads by status, ``align``.
    per_lead : DataFrame
        One row per (record, lead): ``record``, ``lead``, ``group``, ``status``,
        ``seen_s``, the metrics of ``metrics.LEAD_METRICS``, ``lag_ms``,
        ``offset_mv``, R-peak columns; with intervals also ``interval_lead``,
        ``ref_ok``, ``out_ok``, ``delineation_note`` and ``ref_<x>``, ``out_<x>``,
        ``err_<x>`` for x in hr, rr, pr, qrs, qt, qtc.
    per_record : DataFrame
        One row per record: means of the lead metrics and the rhythm lead's
        intervals and errors.
    intervals : DataFrame
        Interval errors per lead group (``rhythm``, ``limb``, ``precordial``,
        ``all``): n, median and 90th percentile of |error|, median signed
        error, and counts of leads that could not be delineated (empty without
        intervals).
    issues : list of str
        One line per record or lead that could not be scored normally, with why.
    signals : dict
        Only with ``keep_signals``: record -> (fs, lead names, reference,
        aligned output, seen mask), arrays (N, L) float32, for the figures.
    """
    summary: dict
    per_lead: pd.DataFrame
    per_record: pd.DataFrame
    intervals: pd.DataFrame = field(default_factory=pd.DataFrame)
    issues: list[str] = field(default_factory=list)
    signals: dict = field(default_factory=dict, repr=False)


# ----------------------------------------------------------------------- reading

def _load_output(path: str, names: list[str], n: int, fs: float,
                 ref_units: list[str]) -> tuple[np.ndarray, list[str], list[str]]:
    """Output signal (n, len(names)) in the reference's units, lead order and rate.

    Returns the signal (NaN for absent leads), the names found and notes.
    Raises on an unreadable record.
    """
    signal, fields = signal_load(path)
    if signal is None:
        raise FileNotFoundError("the output header names no signal file that exists")
    notes = []
    signal = np.asarray(signal, dtype=np.float64)
    if signal.ndim == 1:
        signal = signal[:, None]
    out_fs = float(fields["fs"])
    if out_fs != fs:
        notes.append(f"resampled from {out_fs:g} Hz to {fs:g} Hz")
        t_out = np.arange(signal.shape[0]) / out_fs
        t_ref = np.arange(n) / fs
        res = np.full((n, signal.shape[1]), np.nan)
        for j in range(signal.shape[1]):
            ok = np.isfinite(signal[:, j])
            if ok.sum() >= 2:
                res[:, j] = np.interp(t_ref, t_out[ok], signal[ok, j], left=np.nan, right=np.nan)
        signal = res
    if signal.shape[0] != n:
        notes.append(f"length {signal.shape[0]} instead of {n}")
        fixed = np.full((n, signal.shape[1]), np.nan)
        m = min(n, signal.shape[0])
        fixed[:m] = signal[:m]
        signal = fixed
    out_names = [str(s) for s in fields["sig_name"]]
    out_units = list(fields.get("units") or ["mV"] * len(out_names))
    index = {}
    for j, name in enumerate(out_names):
        key = lead_name_normalize(name).casefold()
        if key in index:
            notes.append(f"lead {name} appears twice; the first is used")
            continue
        index[key] = j
    result = np.full((n, len(names)), np.nan)
    for i, name in enumerate(names):
        j = index.get(lead_name_normalize(name).casefold())
        if j is None:
            continue
        scale = _UNIT_SCALE.get(str(out_units[j]).strip().casefold(), 1.0) / \
            _UNIT_SCALE.get(str(ref_units[i]).strip().casefold(), 1.0)
        if scale != 1.0:
            notes.append(f"{name}: {out_units[j]} converted to {ref_units[i]}")
        result[:, i] = signal[:, j] * scale
    return result, out_names, notes


def _lead_group(name: str) -> str:
    canon = lead_name_normalize(name)
    for group, leads in LEAD_GROUPS.items():
        if canon in leads:
            return group
    return "other"


# ----------------------------------------------------------------------- one record

def record_score(ref_record: str, out_record: str, *, align: bool = True, intervals: bool = False,
                 seen_record: str | None = None, method: str = "prominence",
                 interval_min_seconds: float = INTERVAL_MIN_SECONDS,
                 keep_signals: bool = False) -> tuple[list[dict], list[str], tuple | None]:
    """Score one record; see the module docstring.

    Returns
    -------
    rows : list of dict
        One per reference lead (the per-lead table's rows).
    issues : list of str
    signals : tuple or None
        (fs, names, ref, aligned output, seen) when ``keep_signals``.

    Raises
    ------
    FileNotFoundError, ValueError
        Only when the *reference* cannot be read; output problems never raise.
    """
    name = os.path.basename(ref_record)
    ref, fields = signal_load(ref_record)
    if ref is None:
        raise FileNotFoundError(f"{ref_record}: the reference has no signal file")
    ref = np.asarray(ref, dtype=np.float64)
    fs = float(fields["fs"])
    names = [str(s) for s in fields["sig_name"]]
    n, n_leads = ref.shape
    issues: list[str] = []

    seen = np.isfinite(ref)
    if seen_record is not None:
        try:
            masked, mfields = wfdb.rdsamp(seen_record)
            mnames = [lead_name_normalize(s).casefold() for s in mfields["sig_name"]]
            for i, lead in enumerate(names):
                key = lead_name_normalize(lead).casefold()
                if key in mnames and masked.shape[0] == n:
                    seen[:, i] &= np.isfinite(masked[:, mnames.index(key)])
        except Exception as err:
            issues.append(f"{name}: seen windows not read from {seen_record} ({type(err).__name__}: {err})")

    status = ["ok"] * n_leads
    try:
        est, _, notes = _load_output(out_record, names, n, fs, list(fields["units"]))
        issues += [f"{name}: {note}" for note in notes]
    except Exception as err:
        reason = "missing record" if not os.path.exists(out_record + ".hea") else \
            f"unreadable record ({type(err).__name__}: {err})"
        issues.append(f"{name}: {reason}; every lead scores SNR 0")
        est = np.full_like(ref, np.nan)
        status = [reason] * n_leads

    rhythm = _rhythm_lead(names, seen)
    rows, aligned = [], np.full_like(ref, np.nan)
    for i, lead in enumerate(names):
        r, e = ref[:, i], est[:, i]
        row = {"record": name, "lead": lead, "group": _lead_group(lead), "status": status[i],
               "seen_s": float(seen[:, i].sum()) / fs}
        if status[i] == "ok" and not np.isfinite(e).any():
            row["status"] = "all-NaN lead"
            issues.append(f"{name} {lead}: the output lead is missing or all NaN; SNR 0")
        a = Alignment()
        if align and np.isfinite(e).any():
            a = lead_align(r, e, fs)
            e = signal_shift(e, a)
        elif np.isfinite(e).any():
            e = e.copy()
        aligned[:, i] = e
        row.update(lead_metrics(r, e))
        row["lag_ms"] = a.lag * 1000.0 / fs
        row["offset_mv"] = a.offset
        row.update(_rpeaks(r, e, fs))
        if intervals:
            row.update(_intervals(r, e, seen[:, i], fs, is_rhythm=(i == rhythm), method=method,
                                  min_seconds=interval_min_seconds))
        rows.append(row)
    signals = None
    if keep_signals:
        signals = (fs, names, ref.astype(np.float32), aligned.astype(np.float32), seen)
    return rows, issues, signals


def _rhythm_lead(names: list[str], seen: np.ndarray) -> int:
    """Index of the lead with the longest seen span; lead II wins ties."""
    spans = seen.sum(axis=0)
    best = int(spans.max()) if spans.size else 0
    candidates = [i for i in range(len(names)) if spans[i] == best]
    for i in candidates:
        if lead_name_normalize(names[i]) == "II":
            return i
    return candidates[0] if candidates else 0


def _rpeaks(r: np.ndarray, e: np.ndarray, fs: float) -> dict:
    """R-peak agreement on the longest run finite in both; edge beats (< 0.1 s) ignored."""
    start, end = longest_finite_run(np.isfinite(r) & np.isfinite(e))
    if end - start < fs:
        return {"rpeak_err_ms": np.nan, "rpeaks_ref": 0, "rpeaks_matched": 0, "rpeaks_missed": 0,
                "rpeaks_extra": 0}
    margin = int(0.1 * fs)
    inner = lambda p: p[(p >= margin) & (p < end - start - margin)]  # noqa: E731
    return rpeaks_match(inner(rpeaks_detect(r[start:end], fs)), inner(rpeaks_detect(e[start:end], fs)), fs)


def _intervals(r: np.ndarray, e: np.ndarray, seen: np.ndarray, fs: float, *, is_rhythm: bool,
               method: str, min_seconds: float) -> dict:
    """Reference and output intervals of one lead, on the same seen span."""
    start, end = longest_finite_run(seen)
    out = {"interval_lead": "rhythm" if is_rhythm else "", "ref_ok": np.nan, "out_ok": np.nan,
           "delineation_note": ""}
    for x in INTERVALS:
        out[f"ref_{x}"] = out[f"out_{x}"] = out[f"err_{x}"] = np.nan
    if not is_rhythm and (end - start) < min_seconds * fs:
        return out  # a short window: not an interval lead
    out["interval_lead"] = out["interval_lead"] or "window"
    ref_iv = intervals_measure(r[start:end], fs, method=method)
    seg = e[start:end]
    if np.isfinite(seg).all():
        out_iv = intervals_measure(seg, fs, method=method)
    else:
        # Output gaps inside the seen span: use the longest run finite in the output.
        s2, e2 = longest_finite_run(np.isfinite(seg))
        out_iv = intervals_measure(seg[s2:e2], fs, method=method) if e2 > s2 else \
            Intervals(reason="the output covers none of the seen span")
    out["ref_ok"], out["out_ok"] = bool(ref_iv.ok), bool(out_iv.ok)
    notes = []
    if not ref_iv.ok:
        notes.append(f"reference: {ref_iv.reason}")
    if not out_iv.ok:
        notes.append(f"output: {out_iv.reason}")
    out["delineation_note"] = "; ".join(notes)
    for x in INTERVALS:
        a, b = getattr(ref_iv, x), getattr(out_iv, x)
        out[f"ref_{x}"], out[f"out_{x}"], out[f"err_{x}"] = a, b, b - a
    return out


# ----------------------------------------------------------------------- folders

def folders_score(reference_folder: str, output_folder: str, *, align: bool = True,
                  intervals: bool = False, seen_folder: str | None = None,
                  method: str = "prominence", interval_min_seconds: float = INTERVAL_MIN_SECONDS,
                  keep_signals: bool = False, progress: bool = False) -> EvaluationResult:
    """Score every record of ``reference_folder`` against ``output_folder``.

    Parameters
    ----------
    reference_folder : str
        Records with signals (a ``full/`` or ``masked/`` folder), searched recursively.
    output_folder : str
        The digitizer's records, same relative names.
    align : bool
        Align each lead first (at most 0.5 s and 1 mV), as the official scorer does.
    intervals : bool
        Also delineate and compare clinical intervals (slower: about 0.1 s a record).
    seen_folder : str, optional
        A ``masked/`` folder whose finite samples say what was plotted (for a
        ``full/`` reference); intervals are then measured on those samples only.
    method : str
        Delineation method, see ``intervals.DELINEATORS``.
    interval_min_seconds : float
        Besides the rhythm lead, leads whose seen span is at least this long are delineated.
    keep_signals : bool
        Keep the signals for :mod:`.report`.
    progress : bool
        Show a progress bar.

    Raises
    ------
    FileNotFoundError
        When the reference folder does not exist or holds no record.
    """
    records = records_find(reference_folder)
    if not records:
        raise FileNotFoundError(f"{reference_folder}: no records found")
    rows, issues, signals = [], [], {}
    iterator = records
    if progress:
        try:
            from tqdm import tqdm
            iterator = tqdm(records, desc="scoring", unit="record")
        except ImportError:
            pass
    for rec in iterator:
        ref_path = os.path.join(reference_folder, rec)
        out_path = os.path.join(output_folder, rec)
        seen_path = os.path.join(seen_folder, rec) if seen_folder else None
        try:
            r_rows, r_issues, sig = record_score(
                ref_path, out_path, align=align, intervals=intervals, seen_record=seen_path,
                method=method, interval_min_seconds=interval_min_seconds, keep_signals=keep_signals)
        except Exception as err:  # an unreadable reference: say so, keep going
            issues.append(f"{rec}: reference not scored ({type(err).__name__}: {err})")
            log.warning(issues[-1])
            continue
        for row in r_rows:
            row["record"] = rec
        rows += r_rows
        issues += r_issues
        if sig is not None:
            signals[rec] = sig
    for line in issues:
        log.info(line)
    per_lead = pd.DataFrame(rows)
    if per_lead.empty:
        per_lead = pd.DataFrame(columns=["record", "lead", "group", "status", *LEAD_METRICS])
    per_record = _per_record(per_lead, intervals)
    iv = intervals_summary(per_lead) if intervals else pd.DataFrame()
    summary = _summary(per_lead, per_record, records, align)
    return EvaluationResult(summary, per_lead, per_record, iv, issues, signals)


def _per_record(per_lead: pd.DataFrame, intervals: bool) -> pd.DataFrame:
    if per_lead.empty:
        return pd.DataFrame(columns=["record"])
    g = per_lead.groupby("record", sort=True)
    out = g.agg(n_leads=("lead", "size"), leads_ok=("status", lambda s: int((s == "ok").sum())),
                status=("status", lambda s: "ok" if (s == "ok").all() else "; ".join(sorted(set(s) - {"ok"}))))
    for m in ("snr", "coverage", "mse", "mae", "rmse", "pearson", "r2", "rpeak_err_ms"):
        out[m] = g[m].mean()
    for m in ("rpeaks_ref", "rpeaks_missed", "rpeaks_extra"):
        out[m] = g[m].sum()
    if intervals and "interval_lead" in per_lead:
        rhythm = per_lead[per_lead["interval_lead"] == "rhythm"].set_index("record")
        cols = ["lead", "ref_ok", "out_ok", "delineation_note"] + \
            [f"{p}_{x}" for x in INTERVALS for p in ("ref", "out", "err")]
        out = out.join(rhythm[cols].rename(columns={"lead": "rhythm_lead"}), how="left")
    return out.reset_index()


def intervals_summary(per_lead: pd.DataFrame) -> pd.DataFrame:
    """Interval error statistics per lead group (rhythm, limb, precordial, all).

    One row per (group, interval): ``leads`` (delineation attempted), ``ref_failed``,
    ``out_failed`` (leads where that side gave no interval at all), ``n`` (leads
    with the interval on both sides), ``median_abs_ms``, ``p90_abs_ms``,
    ``median_err_ms`` (signed: output - reference), and the reference's median
    value ``ref_median``. HR rows are in bpm instead of ms.
    """
    if "interval_lead" not in per_lead:
        return pd.DataFrame()
    tried = per_lead[per_lead["interval_lead"].isin(["rhythm", "window"])]
    groups = {"rhythm": tried[tried["interval_lead"] == "rhythm"]}
    for g in LEAD_GROUPS:
        groups[g] = tried[tried["group"] == g]
    groups["all"] = tried
    rows = []
    for g, df in groups.items():
        for x in INTERVALS:
            err = df[f"err_{x}"].to_numpy(dtype=float)
            err = err[np.isfinite(err)]
            rows.append({"group": g, "interval": x, "leads": len(df),
                         "ref_failed": int((df["ref_ok"] == False).sum()),  # noqa: E712
                         "out_failed": int((df["out_ok"] == False).sum()),  # noqa: E712
                         "n": int(err.size),
                         "median_abs_ms": float(np.median(np.abs(err))) if err.size else np.nan,
                         "p90_abs_ms": float(np.percentile(np.abs(err), 90)) if err.size else np.nan,
                         "median_err_ms": float(np.median(err)) if err.size else np.nan,
                         "ref_median": float(np.nanmedian(df[f"ref_{x}"])) if df[f"ref_{x}"].notna().any()
                         else np.nan})
    return pd.DataFrame(rows)


def _summary(per_lead: pd.DataFrame, per_record: pd.DataFrame, records: list[str], align: bool) -> dict:
    def mean(col: str) -> float:
        v = per_lead[col].to_numpy(dtype=float) if col in per_lead else np.zeros(0)
        v = v[np.isfinite(v)]
        return float(v.mean()) if v.size else np.nan

    s = {"snr": mean("snr")}
    for m in ("mse", "mae", "rmse", "pearson", "r2", "coverage"):
        s[m] = mean(m)
    corr = per_lead["pearson"].to_numpy(dtype=float) if "pearson" in per_lead else np.zeros(0)
    s["pearson_median"] = float(np.nanmedian(corr)) if np.isfinite(corr).any() else np.nan
    scored = per_lead[per_lead["coverage"].notna()] if "coverage" in per_lead else per_lead
    c = scored["pearson"].to_numpy(dtype=float) if len(scored) else np.zeros(0)
    for t in CORR_THRESHOLDS:
        s[f"share_r_ge_{t:.2f}"] = float(np.mean(np.nan_to_num(c, nan=-1.0) >= t)) if c.size else np.nan
    s["rpeak_err_ms"] = mean("rpeak_err_ms")
    for m in ("rpeaks_ref", "rpeaks_missed", "rpeaks_extra"):
        s[m] = int(per_lead[m].sum()) if m in per_lead else 0
    s["records"] = len(records)
    s["records_scored"] = int(per_record["record"].nunique()) if "record" in per_record else 0
    s["records_missing"] = int((per_lead.groupby("record")["status"].first() == "missing record").sum()) \
        if len(per_lead) else 0
    s["leads"] = len(per_lead)
    s["leads_ok"] = int((per_lead["status"] == "ok").sum()) if len(per_lead) else 0
    s["leads_perfect"] = int((per_lead["snr"].isna() & (per_lead["coverage"] > 0)).sum()) if len(per_lead) else 0
    s["align"] = bool(align)
    return s
