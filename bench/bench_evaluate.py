#!/usr/bin/env python
"""Scores per eik-dev condition (SNR, signal metrics, interval errors) and the scorer's speed.

    # the digitizer's outputs, one subfolder per condition (clean/, aug/, wrinkle/, varied/):
    python bench/bench_evaluate.py --outputs-root outputs/eik-dev
    # no digitizer yet: score an oracle (reference + 0.02 mV noise) to see the bench run:
    python bench/bench_evaluate.py --oracle
    # time 100 records with intervals (synthetic outputs made from ../shared/data/records):
    python bench/bench_evaluate.py --timing 100

For each condition the outputs are scored against ``<cond>/full`` with the
plotted windows read from ``<cond>/masked`` (``seen_folder``), so the
interval errors are measured on what the image showed, and against
``<cond>/masked`` for the SNR of the visible part alone. Printed: one row per
condition, and the interval-error table per condition (rhythm lead and all
leads: median / p90 |error| in ms, HR in bpm, and the leads either side
could not delineate). Tables go to ``bench/results/``.
"""
from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time

import numpy as np
import pandas as pd

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))
from ecgdigitizer.evaluation import folders_score  # noqa: E402
from ecgdigitizer.records import header_load, records_find, signal_load, signal_write  # noqa: E402

DATA = os.path.join(HERE, "..", "..", "shared", "data")
CONDITIONS = ("clean", "aug", "wrinkle", "varied")


def oracle_write(reference: str, out: str, *, sigma: float = 0.02, seed: int = 0) -> None:
    """Reference + Gaussian noise (mV) for every record of ``reference``, the README's oracle."""
    rng = np.random.default_rng(seed)
    for rec in records_find(reference):
        x, _ = signal_load(os.path.join(reference, rec))
        signal_write(os.path.join(out, rec), x + rng.normal(0, sigma, x.shape), header_load(os.path.join(reference, rec)))


def condition_score(eik: str, cond: str, outputs: str) -> tuple[dict, pd.DataFrame]:
    full, masked = os.path.join(eik, cond, "full"), os.path.join(eik, cond, "masked")
    t0 = time.perf_counter()
    r_full = folders_score(full, outputs, intervals=True, seen_folder=masked)
    seconds = time.perf_counter() - t0
    r_masked = folders_score(masked, outputs)
    s = r_full.summary
    row = {"condition": cond, "records": s["records"], "missing": s["records_missing"],
           "snr_full": s["snr"], "snr_masked": r_masked.summary["snr"], "pearson": s["pearson"],
           "r2": s["r2"], "mae_uV": 1000 * s["mae"], "share_r>=0.95": s["share_r_ge_0.95"],
           "rpeak_err_ms": s["rpeak_err_ms"], "rpeaks_missed": s["rpeaks_missed"],
           "rpeaks_extra": s["rpeaks_extra"], "seconds": seconds}
    iv = r_full.intervals.assign(condition=cond)
    return row, iv


def interval_table(iv: pd.DataFrame) -> pd.DataFrame:
    """Condition x interval: rhythm lead and all leads, median / p90 |error| and failures."""
    rows = []
    for (cond, name), sub in iv.groupby(["condition", "interval"], sort=False):
        r = sub[sub["group"] == "rhythm"].iloc[0]
        a = sub[sub["group"] == "all"].iloc[0]
        rows.append({"condition": cond, "interval": name,
                     "rhythm_median": r["median_abs_ms"], "rhythm_p90": r["p90_abs_ms"], "rhythm_n": r["n"],
                     "all_median": a["median_abs_ms"], "all_p90": a["p90_abs_ms"], "all_n": a["n"],
                     "ref_failed": f"{a['ref_failed']}/{a['leads']}", "out_failed": f"{a['out_failed']}/{a['leads']}"})
    return pd.DataFrame(rows)


def timing(n: int, records_root: str) -> float:
    """Seconds to score ``n`` records with intervals (outputs: noisy, shifted, partly broken copies)."""
    rng = np.random.default_rng(1)
    picked = []
    for rec in records_find(records_root):
        h = header_load(os.path.join(records_root, rec))
        if h.fs == 500 and h.num_samples == 5000 and h.num_signals == 12:
            picked.append(rec)
        if len(picked) == n:
            break
    with tempfile.TemporaryDirectory() as tmp:
        ref_dir, out_dir = os.path.join(tmp, "ref"), os.path.join(tmp, "out")
        for k, rec in enumerate(picked):
            name = rec  # keep the source subfolder: the header names its .dat file
            os.makedirs(os.path.dirname(os.path.join(ref_dir, name)), exist_ok=True)
            for ext in (".hea", ".dat"):
                shutil.copy(os.path.join(records_root, rec + ext), os.path.join(ref_dir, name + ext))
            x, _ = signal_load(os.path.join(ref_dir, name))
            h = header_load(os.path.join(ref_dir, name))
            y = np.roll(x, int(rng.integers(-20, 21)), axis=0) + rng.normal(0, 0.03, x.shape) + 0.1
            if k % 10 == 3:
                y[2500:, :6] = np.nan  # half of the limb leads missing
            if k % 25 == 7:
                continue  # a missing record
            signal_write(os.path.join(out_dir, name), y, h)
        t0 = time.perf_counter()
        result = folders_score(ref_dir, out_dir, intervals=True)
        seconds = time.perf_counter() - t0
    print(f"timing: {len(picked)} records, 12 leads, intervals on: {seconds:.1f} s "
          f"({seconds / max(1, len(picked)):.2f} s/record); SNR {result.summary['snr']:.2f} dB")
    return seconds


def get_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--outputs-root", help="folder with one subfolder of outputs per condition")
    p.add_argument("--oracle", action="store_true", help="score reference + 0.02 mV noise instead")
    p.add_argument("--eik", default=os.path.join(DATA, "eik-dev"))
    p.add_argument("--timing", type=int, default=0, metavar="N", help="time N records with intervals")
    p.add_argument("--records-root", default=os.path.join(DATA, "records"))
    p.add_argument("--out", default=os.path.join(HERE, "results"))
    return p


def run(args: argparse.Namespace) -> None:
    pd.set_option("display.width", 200)
    os.makedirs(args.out, exist_ok=True)
    if args.timing:
        timing(args.timing, args.records_root)
    if not args.outputs_root and not args.oracle:
        return
    tmp = tempfile.mkdtemp() if args.oracle else None
    rows, ivs = [], []
    try:
        for cond in CONDITIONS:
            if args.oracle:
                outputs = os.path.join(tmp, cond)
                oracle_write(os.path.join(args.eik, cond, "full"), outputs)
            else:
                outputs = os.path.join(args.outputs_root, cond)
                if not os.path.isdir(outputs):
                    print(f"{cond}: no outputs in {outputs}; skipped")
                    continue
            row, iv = condition_score(args.eik, cond, outputs)
            rows.append(row)
            ivs.append(iv)
    finally:
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)
    if not rows:
        return
    table = pd.DataFrame(rows)
    ivt = interval_table(pd.concat(ivs))
    print(table.to_string(index=False, float_format=lambda v: f"{v:.3g}"))
    print("\nInterval |error| per condition (ms; HR in bpm): rhythm lead and all delineated leads")
    print(ivt.to_string(index=False, float_format=lambda v: f"{v:.1f}"))
    tag = "oracle" if args.oracle else "outputs"
    table.to_csv(os.path.join(args.out, f"evaluate_{tag}_conditions.csv"), index=False)
    ivt.to_csv(os.path.join(args.out, f"evaluate_{tag}_intervals.csv"), index=False)


if __name__ == "__main__":
    run(get_parser().parse_args())
