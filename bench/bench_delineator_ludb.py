#!/usr/bin/env python
"""The delineator's own error: NeuroKit2 intervals against the LUDB cardiologists.

    python bench/bench_delineator_ludb.py                 # report: LUDB records 61-120, all 12 leads
    python bench/bench_delineator_ludb.py --select        # the method comparison on records 1-60
    python bench/bench_delineator_ludb.py --records 10    # a quick look

The method used by ``evaluate_model.py`` was chosen with ``--select`` on records
1-60; the report runs on records 61-120, which took no part in the choice.
Prints, per interval, the leads compared, the median and 90th percentile of
|delineated - annotated| (ms), the median signed error, and the leads the
delineator could not delineate; writes the per-(record, lead) rows to
``bench/results/delineator_ludb.csv``.
"""
from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np
import pandas as pd

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from ecgdigitizer.evaluation.intervals import DELINEATORS  # noqa: E402
from ecgdigitizer.evaluation.ludb import LUDB_LEADS, ludb_compare  # noqa: E402

LUDB = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "data", "records", "ludb")


def error_table(df: pd.DataFrame) -> pd.DataFrame:
    """Per interval: n, median and p90 of |error|, median error (ms), failed leads."""
    rows = []
    for name in ("pr", "qrs", "qt", "rr"):
        sub = df[df["interval"] == name]
        e = sub["error"].to_numpy(dtype=float)
        e = e[np.isfinite(e)]
        rows.append({"interval": name, "leads": len(sub), "n": e.size,
                     "median_abs_ms": np.median(np.abs(e)) if e.size else np.nan,
                     "p90_abs_ms": np.percentile(np.abs(e), 90) if e.size else np.nan,
                     "median_err_ms": np.median(e) if e.size else np.nan,
                     "failed_leads": int(sub["failed"].sum()),
                     "annotated_median_ms": float(np.nanmedian(sub["annotated"]))})
    return pd.DataFrame(rows)


def get_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--ludb", default=LUDB, help="LUDB folder (records and annotations/)")
    p.add_argument("--select", action="store_true", help="compare methods on records 1-60")
    p.add_argument("--records", type=int, default=0, help="use only the first N records of the half")
    p.add_argument("--method", default="prominence", choices=DELINEATORS)
    p.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "results"))
    return p


def run(args: argparse.Namespace) -> None:
    numbers = range(1, 61) if args.select else range(61, 121)
    records = [f"ludb_{i:03d}" for i in numbers]
    records = [r for r in records if os.path.exists(os.path.join(args.ludb, r + ".hea"))]
    if args.records:
        records = records[:args.records]
    if not records:
        raise FileNotFoundError(f"{args.ludb}: no LUDB records found")
    configs = [(m, q) for m in DELINEATORS for q in ("delineator", "slope")] if args.select \
        else [(args.method, "slope")]
    os.makedirs(args.out, exist_ok=True)
    pd.set_option("display.width", 160)
    for method, qrs in configs:
        t0 = time.perf_counter()
        df = ludb_compare(args.ludb, records, leads=LUDB_LEADS, method=method, qrs_bounds=qrs)
        seconds = time.perf_counter() - t0
        print(f"\n== {method}, QRS bounds from {qrs}: {len(records)} records x {len(LUDB_LEADS)} leads "
              f"({records[0]}..{records[-1]}), {seconds:.1f} s ({1000 * seconds / (len(records) * 12):.0f} ms/lead)")
        print(error_table(df).to_string(index=False, float_format=lambda v: f"{v:.1f}"))
        tag = "select" if args.select else "report"
        df.to_csv(os.path.join(args.out, f"delineator_ludb_{tag}_{method}_{qrs}.csv"), index=False)


if __name__ == "__main__":
    run(get_parser().parse_args())
