"""LUDB wave annotations (cardiologists' P, QRS and T boundaries) as intervals.

The annotation files (``ludb_NNN.<lead>``, WFDB, 500 Hz, one per lead) write a
wave as ``(`` onset, symbol (``p``, ``N``, ``t``) at the peak, ``)`` offset.
A few waves lack a boundary and a few QRS peaks precede their onset, so each
``(`` and ``)`` is paired with the nearest wave symbol in sample order rather
than assuming strict triplets (as ``records/README`` advises).
"""
from __future__ import annotations

import os

import numpy as np
import wfdb

import pandas as pd

from .intervals import Intervals, Waves, ecg_waves, waves_intervals

__all__ = ["LUDB_LEADS", "ludb_waves", "ludb_compare"]

LUDB_LEADS = ("i", "ii", "iii", "avr", "avl", "avf", "v1", "v2", "v3", "v4", "v5", "v6")


def _boundaries(samples: np.ndarray, symbols: list[str]) -> list[tuple[str, int, float, float]]:
    """(kind, peak, onset, offset) for each wave; onset/offset NaN when missing."""
    waves = [(i, s) for i, s in enumerate(symbols) if s in ("p", "N", "t")]
    if not waves:
        return []
    wave_pos = np.array([samples[i] for i, _ in waves], dtype=np.float64)
    on = np.full(len(waves), np.nan)
    off = np.full(len(waves), np.nan)
    for i, s in enumerate(symbols):
        if s not in ("(", ")"):
            continue
        # The nearest wave symbol: following for an onset, preceding for an offset,
        # falling back on the nearest of all when there is none on that side.
        d = wave_pos - samples[i]
        side = d >= 0 if s == "(" else d <= 0
        cand = np.flatnonzero(side) if side.any() else np.arange(len(waves))
        k = cand[np.argmin(np.abs(d[cand]))]
        if s == "(" and np.isnan(on[k]):
            on[k] = samples[i]
        elif s == ")" and np.isnan(off[k]):
            off[k] = samples[i]
    return [(sym, int(samples[i]), on[j], off[j]) for j, (i, sym) in enumerate(waves)]


def ludb_waves(record: str, lead: str) -> tuple[Waves, tuple[int, int]]:
    """Annotated fiducial points of one LUDB lead, one entry per annotated QRS.

    Parameters
    ----------
    record : str
        Path without extension, e.g. ``.../ludb/annotations/ludb_001``.
    lead : str
        Lead name, any case (``II``, ``aVR``); the file extension is its lower case.

    Returns
    -------
    waves : Waves
        R peak = annotated QRS peak; P onset of the P wave between the previous
        QRS and this one; T offset of the T wave before the next QRS.
    span : (int, int)
        First and last annotated sample.

    Raises
    ------
    FileNotFoundError
        When the annotation file does not exist.
    """
    ext = lead.strip().lower()
    path = f"{record}.{ext}"
    if not os.path.isfile(path):
        raise FileNotFoundError(f"{path}: no LUDB annotation file")
    ann = wfdb.rdann(record, ext)
    samples = np.asarray(ann.sample, dtype=np.int64)
    waves = _boundaries(samples, list(ann.symbol))
    qrs = [w for w in waves if w[0] == "N"]
    p = [w for w in waves if w[0] == "p"]
    t = [w for w in waves if w[0] == "t"]
    n = len(qrs)
    r_peaks = np.array([w[1] for w in qrs], dtype=np.int64)
    p_on, t_off = np.full(n, np.nan), np.full(n, np.nan)
    for k, (_, peak, _, _) in enumerate(qrs):
        prev_r = qrs[k - 1][1] if k > 0 else -np.inf
        next_r = qrs[k + 1][1] if k + 1 < n else np.inf
        ps = [w for w in p if prev_r < w[1] < peak]
        if ps:
            p_on[k] = ps[-1][2]
        ts = [w for w in t if peak < w[1] < next_r]
        if ts:
            t_off[k] = ts[0][3]
    qrs_on = np.array([w[2] for w in qrs], dtype=np.float64)
    qrs_off = np.array([w[3] for w in qrs], dtype=np.float64)
    span = (int(samples.min()), int(samples.max())) if samples.size else (0, 0)
    return Waves(r_peaks, p_on, qrs_on, qrs_off, t_off), span


def ludb_compare(ludb_folder: str, records: list[str], *, leads: tuple[str, ...] = LUDB_LEADS,
                 method: str = "prominence", qrs_bounds: str = "slope") -> pd.DataFrame:
    """The delineator's intervals against the cardiologists', per record and lead.

    Parameters
    ----------
    ludb_folder : str
        Folder with ``ludb_NNN.hea/.dat`` and ``annotations/``.
    records : list of str
        Record names, e.g. ``["ludb_001", "ludb_002"]``.
    leads : tuple of str
    method : str
        Delineation method (see ``intervals.DELINEATORS``).
    qrs_bounds : str
        See ``intervals.ecg_waves``.

    Returns
    -------
    DataFrame
        One row per (record, lead, interval) with columns ``record``, ``lead``,
        ``interval`` (pr, qrs, qt, rr), ``annotated``, ``delineated`` and
        ``error`` (delineated - annotated, ms; NaN where either side has no value),
        and ``failed`` (the delineator gave nothing for the lead) with ``reason``.
        The delineator sees the whole 10-s lead; only its beats whose R peak lies
        inside the annotated span count.
    """
    rows = []
    for rec in records:
        signal, fields = wfdb.rdsamp(os.path.join(ludb_folder, rec))
        fs = float(fields["fs"])
        names = [n.lower() for n in fields["sig_name"]]
        for lead in leads:
            ann_waves, span = ludb_waves(os.path.join(ludb_folder, "annotations", rec), lead)
            ref = waves_intervals(ann_waves, fs)
            try:
                est = waves_intervals(ecg_waves(signal[:, names.index(lead.lower())], fs, method=method,
                                                qrs_bounds=qrs_bounds),
                                      fs, span=(span[0] - 0.05 * fs, span[1] + 0.05 * fs))
            except Exception as err:  # count the failure, never drop it
                est = Intervals(reason=f"{type(err).__name__}: {err}")
            for name in ("pr", "qrs", "qt", "rr"):
                a, d = getattr(ref, name), getattr(est, name)
                rows.append({"record": rec, "lead": lead, "interval": name, "annotated": a,
                             "delineated": d, "error": d - a, "failed": not est.ok,
                             "reason": est.reason})
    return pd.DataFrame(rows)
