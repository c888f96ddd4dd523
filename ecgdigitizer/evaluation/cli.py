"""Command line of ``evaluate_model.py``, compatible with the official Challenge 2024 one.

    python evaluate_model.py -d REF -o OUTPUTS [-n] [-s SCORES] [-ta PER_LEAD.tsv]
                             [--per_record PER_RECORD.csv] [--report DIR] [--no_intervals]
                             [--seen_from MASKED] [--delineator prominence] [-v]

``-d``, ``-o``, ``-s``, ``-x`` and ``-n`` mean what they mean to the official
scorer; the scores file starts with ``SNR:`` as the official one does, and the
other metrics follow one per line. Without ``-s`` only the ``SNR:`` line goes to
stdout; a one-screen summary follows in both cases.
Figures are drawn only with ``--report``.
"""
from __future__ import annotations

import argparse
import logging
import os
import shlex
import sys

import numpy as np

from ..records import text_save
from .intervals import DELINEATORS
from .scoring import EvaluationResult, folders_score

__all__ = ["get_parser", "run", "main", "scores_text", "summary_text"]


def get_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description="Score digitized ECG records against references "
                                "(PhysioNet Challenge 2024 SNR, signal metrics, clinical intervals).")
    p.add_argument("-d", "--input_folder", "--label_folder", dest="input_folder", required=True,
                   help="reference records (a full/ or masked/ folder)")
    p.add_argument("-o", "--output_folder", required=True, help="the digitizer's output records")
    p.add_argument("-n", "--no_shift", action="store_true", help="do not align the leads before scoring")
    p.add_argument("-s", "--score_file", help="write the scores here instead of to stdout")
    p.add_argument("-ta", "--table", "--per_lead", dest="per_lead", help="per-lead table (TSV)")
    p.add_argument("--per_record", help="per-record table with every metric and interval (CSV)")
    p.add_argument("-x", "--extra_scores", action="store_true", help="accepted for compatibility; "
                   "the extra scores are always written")
    p.add_argument("--report", metavar="DIR", help="write figures (PNG) and index.html here")
    p.add_argument("--report_records", help="comma-separated records to overlay (default: lowest, "
                   "median and highest SNR)")
    p.add_argument("--no_intervals", action="store_true", help="skip delineation and interval errors")
    p.add_argument("--seen_from", metavar="MASKED", help="masked/ folder whose finite samples are the "
                   "plotted windows (for a full/ reference)")
    p.add_argument("--delineator", default="prominence", choices=DELINEATORS,
                   help="NeuroKit2 delineation method (default: prominence)")
    p.add_argument("-v", "--verbose", action="store_true", help="log every issue and show progress")
    return p


def _fmt(v) -> str:
    if isinstance(v, (bool, np.bool_)):
        return str(bool(v))
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    return f"{v:.6g}" if np.isfinite(v) else "nan"


def scores_text(result: EvaluationResult) -> str:
    """Scores file: ``SNR: x.xxx`` first (official format), then one ``name: value`` per line."""
    s = result.summary
    lines = [f"SNR: {s['snr']:.3f}"]
    lines += [f"{k}: {_fmt(v)}" for k, v in s.items() if k != "snr"]
    iv = result.intervals
    if len(iv):
        for _, row in iv[iv["group"].isin(["rhythm", "all"])].iterrows():
            lines.append(f"{row['interval']}_{row['group']}_median_abs_err: {_fmt(row['median_abs_ms'])}")
            lines.append(f"{row['interval']}_{row['group']}_p90_abs_err: {_fmt(row['p90_abs_ms'])}")
    return "\n".join(lines) + "\n"


def summary_text(result: EvaluationResult) -> str:
    """A one-screen summary for stdout."""
    s = result.summary
    out = [f"records {s['records_scored']}/{s['records']} scored, {s['records_missing']} missing outputs; "
           f"leads {s['leads_ok']}/{s['leads']} ok; alignment {'on' if s['align'] else 'off'}",
           f"SNR {s['snr']:.3f} dB   MSE {s['mse']:.4g} mV^2   MAE {s['mae']:.4g} mV   RMSE {s['rmse']:.4g} mV",
           f"Pearson mean {s['pearson']:.3f} median {s['pearson_median']:.3f}   R^2 {s['r2']:.3f}   "
           f"coverage {s['coverage']:.3f}",
           "leads with r >= 0.99/0.95/0.90/0.80: " + " / ".join(
               f"{100 * s[f'share_r_ge_{t:.2f}']:.0f}%" for t in (0.99, 0.95, 0.90, 0.80)),
           f"R peaks: {s['rpeaks_ref']} in references, {s['rpeaks_missed']} missed, {s['rpeaks_extra']} extra, "
           f"median timing error {s['rpeak_err_ms']:.1f} ms"]
    iv = result.intervals
    if len(iv):
        out.append("interval |error| (ms; HR bpm)   rhythm lead: median / p90 (n)    all leads: median / p90 (n)")
        for x in ("hr", "rr", "pr", "qrs", "qt", "qtc"):
            r = iv[(iv["group"] == "rhythm") & (iv["interval"] == x)].iloc[0]
            a = iv[(iv["group"] == "all") & (iv["interval"] == x)].iloc[0]
            out.append(f"  {x.upper():4s} {r['median_abs_ms']:10.1f} / {r['p90_abs_ms']:6.1f} ({r['n']:3d})"
                       f"          {a['median_abs_ms']:10.1f} / {a['p90_abs_ms']:6.1f} ({a['n']:4d})")
        a = iv[iv["group"] == "all"].iloc[0]
        r = iv[iv["group"] == "rhythm"].iloc[0]
        out.append(f"  not delineated: rhythm lead of {r['ref_failed']} reference / {r['out_failed']} output "
                   f"records (of {r['leads']}); any lead: {a['ref_failed']} reference / {a['out_failed']} "
                   f"output leads (of {a['leads']})")
    if result.issues:
        out.append(f"{len(result.issues)} issue(s), e.g.: " + "; ".join(result.issues[:3]))
    return "\n".join(out)


def run(args: argparse.Namespace) -> EvaluationResult:
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(message)s")
    for path in (args.score_file, args.per_lead, args.per_record):
        if path and os.path.dirname(path):
            os.makedirs(os.path.dirname(path), exist_ok=True)  # before the scoring, not after it
    result = folders_score(args.input_folder, args.output_folder, align=not args.no_shift,
                           intervals=not args.no_intervals, seen_folder=args.seen_from,
                           method=args.delineator, keep_signals=bool(args.report), progress=args.verbose)
    text = scores_text(result)
    if args.score_file:
        text_save(args.score_file, text)
    if args.per_lead:
        result.per_lead.to_csv(args.per_lead, sep="\t", index=False, float_format="%.6g")
    if args.per_record:
        result.per_record.to_csv(args.per_record, index=False, float_format="%.6g")
    if args.report:
        from .report import report_write
        picks = [r.strip() for r in args.report_records.split(",")] if args.report_records else None
        command = "python evaluate_model.py " + " ".join(shlex.quote(a) for a in sys.argv[1:])
        report_write(result, args.report, overlay_records=picks, command=command)
        result.per_record.to_csv(os.path.join(args.report, "per_record.csv"), index=False, float_format="%.6g")
        result.per_lead.to_csv(os.path.join(args.report, "per_lead.tsv"), sep="\t", index=False,
                               float_format="%.6g")
        if len(result.intervals):
            result.intervals.to_csv(os.path.join(args.report, "intervals.csv"), index=False, float_format="%.6g")
    if not args.score_file:
        print(text.splitlines()[0])  # "SNR: x.xxx", as the official scorer prints it
    print(summary_text(result))
    return result


def main(argv: list[str] | None = None) -> int:
    run(get_parser().parse_args(sys.argv[1:] if argv is None else argv))
    return 0
