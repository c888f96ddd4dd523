"""Measure the signal model on held-out records: completion of a page's seen windows.

Usage::

    python -m ecgdigitizer.training.signal_evaluate --records ../shared/data/records \\
        --model model/signal_model.pt --layout 3x4+1

For each record of ``HELD_OUT_RECORDS`` (never trained or validated on), the
first page (10 s) is masked as layout ``--layout`` shows it, the exact seen
samples are handed to ``signal_complete``, and the completed record is
compared with the reference at the record's own rate. Methods:

* ``zeros``: unseen samples 0;
* ``tile``: each lead's seen window repeated over the page;
* ``prior``: the classical prior alone (``signal_complete(model=None)``, 0 where it does not reach);
* ``model``: the signal model.

SNR per lead is ``10 log10(sum ref^2 / sum err^2)`` over the page. Leads seen
over the whole page (rhythm strips) have no error under any method, so the
per-lead mean is over the partly-seen leads only; ``record`` pools all 12
leads of a record; ``unseen`` pools only the unseen samples. Inference time is
one ``signal_complete`` call on one CPU thread, median over the records.
"""
from __future__ import annotations

import argparse
import logging
import os
import sys
import time

import numpy as np
import torch
import wfdb

from ..completion import MODEL_WEIGHT, signal_complete, signal_model_load
from ..layouts import STANDARD_LEADS, lead_name_normalize
from .signal_data import HELD_OUT_RECORDS, layout_mask

__all__ = ["signal_model_evaluate"]

logger = logging.getLogger(__name__)

METHODS = ("zeros", "tile", "prior", "model")


def _tile(partial: np.ndarray) -> np.ndarray:
    """Each lead's seen stretch repeated in place over the unseen samples (0 where a lead is unseen)."""
    out = np.nan_to_num(partial)
    for j in range(partial.shape[1]):
        seen = np.flatnonzero(np.isfinite(partial[:, j]))
        if len(seen) == 0 or len(seen) == partial.shape[0]:
            continue
        s, e = seen[0], seen[-1] + 1
        t = np.arange(partial.shape[0])
        filled = partial[s + (t - s) % (e - s), j]
        out[:, j] = np.where(np.isfinite(partial[:, j]), partial[:, j], np.nan_to_num(filled))
    return out


def _snr(ref: np.ndarray, est: np.ndarray, axis=0) -> np.ndarray:
    err = np.sum((ref - est) ** 2, axis=axis)
    with np.errstate(divide="ignore"):
        return 10 * np.log10(np.sum(ref ** 2, axis=axis) / err)


def signal_model_evaluate(records_dir: str, model_path: str | None, layout: str = "3x4+1",
                          verbose: bool = False, records: list[str] | None = None,
                          model_weight: float = MODEL_WEIGHT) -> dict:
    """SNRs (dB) and seconds per record of each method on the held-out records.

    ``records`` (paths relative to ``records_dir``) replaces the held-out
    records, e.g. by the validation records; ``model_weight`` is passed to
    ``signal_complete``. Records shorter than 10 s are skipped.

    Returns
    -------
    dict
        ``{"per_record": [...], "summary": {method: {"lead_snr", "record_snr", "unseen_snr"}},
        "seconds": {"median", "max"}}``; ``lead_snr`` is the mean over records of the mean
        over partly-seen leads.
    """
    torch.set_num_threads(1)
    model = signal_model_load(model_path) if model_path else None
    rows = []
    times = []
    for key in sorted(HELD_OUT_RECORDS) if records is None else records:
        path = os.path.join(records_dir, key)
        ref, fields = wfdb.rdsamp(path)
        names = [lead_name_normalize(n) for n in fields["sig_name"]]
        fs = fields["fs"]
        n = round(10 * fs)
        if len(ref) < n:
            continue
        ref = np.nan_to_num(ref[:n])
        seen = layout_mask(layout, n)[[STANDARD_LEADS.index(nm) for nm in names]].T   # (n, leads)
        partial = np.where(seen, ref, np.nan)
        estimates = {"zeros": np.nan_to_num(partial), "tile": _tile(partial),
                     "prior": np.nan_to_num(signal_complete(partial, fs, names, None).signal)}
        if model is not None:
            t = time.perf_counter()
            estimates["model"] = signal_complete(partial, fs, names, model, model_weight=model_weight).signal
            times.append(time.perf_counter() - t)
        partly = ~seen.all(axis=0)
        row = {"record": key}
        for method, est in estimates.items():
            lead = _snr(ref, est)
            row[method] = {"lead_snr": float(np.mean(lead[partly])),
                           "record_snr": float(_snr(ref.ravel(), est.ravel())),
                           "unseen_snr": float(_snr(ref[~seen], est[~seen])),
                           "per_lead": {nm: float(v) for nm, v in zip(names, lead)}}
        rows.append(row)
        if verbose:
            logger.info("%-24s %s", key, "  ".join(f"{m} {row[m]['lead_snr']:6.2f}" for m in estimates))
    summary = {m: {k: float(np.mean([r[m][k] for r in rows])) for k in ("lead_snr", "record_snr", "unseen_snr")}
               for m in METHODS if m in rows[0]}
    per_lead = {m: {nm: float(np.mean([r[m]["per_lead"][nm] for r in rows])) for nm in STANDARD_LEADS}
                for m in summary}
    seconds = {"median": float(np.median(times)), "max": float(np.max(times))} if times else {}
    return {"layout": layout, "per_record": rows, "summary": summary, "per_lead": per_lead, "seconds": seconds}


def get_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description="Evaluate signal completion on the held-out records.")
    parser.add_argument("--records", required=True, help="the records folder (../shared/data/records)")
    parser.add_argument("--model", default=None, help="signal_model.pt; without it only the baselines run")
    parser.add_argument("--layout", default="3x4+1")
    parser.add_argument("-v", "--verbose", action="store_true")
    return parser


def run(args: argparse.Namespace) -> None:
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(message)s")
    result = signal_model_evaluate(args.records, args.model, args.layout, args.verbose)
    print(f"{len(result['per_record'])} held-out records, layout {result['layout']}, SNR in dB")
    print(f"{'method':8s} {'lead mean':>10s} {'record':>8s} {'unseen':>8s}")
    for method, s in result["summary"].items():
        print(f"{method:8s} {s['lead_snr']:10.2f} {s['record_snr']:8.2f} {s['unseen_snr']:8.2f}")
    methods = list(result["per_lead"])
    print("mean SNR per lead over the records:")
    print(f"{'lead':5s} " + " ".join(f"{m:>7s}" for m in methods))
    for lead in STANDARD_LEADS:
        print(f"{lead:5s} " + " ".join(f"{result['per_lead'][m][lead]:7.2f}" for m in methods))
    if result["seconds"]:
        print(f"signal_complete, one CPU thread: median {result['seconds']['median'] * 1000:.0f} ms, "
              f"max {result['seconds']['max'] * 1000:.0f} ms per record")


if __name__ == "__main__":
    run(get_parser().parse_args(sys.argv[1:]))
