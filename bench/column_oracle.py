#!/usr/bin/env python
"""What reading every pixel column right would be worth: the digitizer against its own columns made exact.

    python bench/column_oracle.py                      # all four eik-dev conditions
    python bench/column_oracle.py --conditions aug --method classical
    python bench/column_oracle.py --no-column-model      # the ink tracker's own columns

For each eik-dev page, the learned (or classical) digitizer reads one trace row
per pixel column (``digitize.page_rows``, with the model folder's column model
unless ``--no-column-model``; that model reads a few points per column). ECG-Image-Kit's JSON sidecar gives
where every sample was drawn, so the trace's true centre row at each column is
known (the JSON's pixel coordinates are taken to be 0.5 px off ours, pixel
corners against pixel centres: on clean pages that makes the median error on
flat stretches 0.00 px, against 0.5 without; the sidecar's points are rotated
with the page). The masked SNR (official definition, with alignment) is then
computed four ways, changing only the column values:

* ``read``: the digitizer's own columns;
* ``exact``: every point the sidecar covers at its true row;
* ``exact_steep``: only the points where the true trace moves 4 px or more
  per column (QRS strokes), the rest as read;
* ``exact_other``: only the other points.

``exact`` is the ceiling of the digitizer's representation (its points,
resampled to the header's rate by ``assemble.trace_interpolate``); the two
partial ones say which points the remaining error lies in. Printed per
page and on average, and written to ``bench/results/column_oracle.csv``.
"""
from __future__ import annotations

import argparse
import glob
import json
import os
import sys

import numpy as np
import pandas as pd

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))
from ecgdigitizer.digitize import (PageGeometry, PageTraces, page_geometry, page_rows, points_level,  # noqa: E402
                                   rows_signal)
from ecgdigitizer.evaluation.alignment import lead_align, signal_shift  # noqa: E402
from ecgdigitizer.evaluation.metrics import snr_compute  # noqa: E402
from ecgdigitizer.image_io import image_load  # noqa: E402
from ecgdigitizer.pipeline import digitizer_load  # noqa: E402
from ecgdigitizer.records import header_load, signal_load  # noqa: E402

DATA = os.path.join(HERE, "..", "..", "shared", "data", "eik-dev")
MODEL = os.path.join(HERE, "..", "model")
CONDITIONS = ("clean", "aug", "wrinkle", "varied")
STEEP_PX_PER_COLUMN = 4.0
VARIANTS = ("read", "exact", "exact_steep", "exact_other")


def true_rows(sidecar: dict, geo: PageGeometry, per_column: int) -> list[tuple[int, np.ndarray, np.ndarray]]:
    """Per drawn lead: the page row of traces it lies on, the trace points it covers, its true centre row there.

    Points are those of ``page_rows``'s traces at ``per_column`` points per
    column of the levelled page.
    """
    first = int(round(geo.page.x_start))
    out = []
    for lead in sidecar["leads"]:
        yx = np.asarray(lead["plotted_pixels"], dtype=np.float64) - 0.5   # corners -> centres
        x, y = points_level(geo, yx[:, ::-1]).T
        if x.size < 2 or np.any(np.diff(x) <= 0):
            continue
        row = int(np.argmin(np.abs(geo.page.row_y - np.median(y))))
        points = np.arange(int(np.ceil((x[0] - first) * per_column)), int(np.floor((x[-1] - first) * per_column)) + 1)
        out.append((row, points + per_column // 2, np.interp(first + points / per_column, x, y)))
    return out


def rows_with_truth(traces: PageTraces, truth, variant: str) -> PageTraces:
    """``traces`` with the true row put in at the points ``variant`` names."""
    if variant == "read":
        return traces
    out = [r.copy() for r in traces.rows]
    for row, points, values in truth:
        steep = np.abs(np.gradient(values)) * traces.per_column >= STEEP_PX_PER_COLUMN
        take = {"exact": np.ones_like(steep), "exact_steep": steep, "exact_other": ~steep}[variant]
        inside = (points >= 0) & (points < out[row].size) & take
        out[row][points[inside]] = values[inside]
    return PageTraces(out, traces.confidence, traces.per_column)


def record_snr(reference: np.ndarray, signal: np.ndarray, fs: float) -> float:
    """Mean lead SNR after alignment, as the scorer computes it."""
    snrs = [snr_compute(reference[:, j], signal_shift(signal[:, j], lead_align(reference[:, j], signal[:, j], fs)))[0]
            for j in range(reference.shape[1])]
    return float(np.nanmean(snrs))


def condition_run(folder: str, method: str, strip_model, column_model) -> pd.DataFrame:
    """One row per page of ``folder`` (an eik-dev condition): the masked SNR of each variant."""
    rows_out = []
    for sidecar_path in sorted(glob.glob(os.path.join(folder, "full", "*-0.json"))):
        name = os.path.basename(sidecar_path)[:-len("-0.json")]
        with open(sidecar_path) as f:
            sidecar = json.load(f)
        record = os.path.join(folder, "masked", name)
        header = header_load(record)
        reference, _ = signal_load(record)
        geo = page_geometry(image_load(os.path.join(folder, "hidden", f"{name}-0.png")))
        traces = page_rows(geo, method, strip_model, column_model)
        truth = true_rows(sidecar, geo, traces.per_column)
        result = {"record": name}
        for variant in VARIANTS:
            signal, _ = rows_signal(rows_with_truth(traces, truth, variant), geo, header.signal_names, header.fs,
                                    header.num_samples)
            result[variant] = record_snr(reference, signal, header.fs)
        rows_out.append(result)
        print(f"{os.path.basename(folder):8s} {name:10s} " + "  ".join(f"{v} {result[v]:6.2f}" for v in VARIANTS))
    return pd.DataFrame(rows_out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=DATA)
    parser.add_argument("--model", default=MODEL, help="the model folder (its image and column models)")
    parser.add_argument("--no-column-model", action="store_true", help="leave the steep columns as tracked")
    parser.add_argument("--method", default="learned", choices=("learned", "classical"))
    parser.add_argument("--conditions", default=",".join(CONDITIONS))
    args = parser.parse_args(argv)
    digitizer = digitizer_load(args.model, method=args.method, complete=False, device="cpu")
    column_model = None if args.no_column_model else digitizer.column_model
    tables = []
    for condition in args.conditions.split(","):
        table = condition_run(os.path.join(args.data, condition), args.method, digitizer.strip_model,
                              column_model)
        table.insert(0, "condition", condition)
        tables.append(table)
    results = pd.concat(tables, ignore_index=True)
    print()
    print(results.groupby("condition", sort=False)[list(VARIANTS)].mean().round(2).to_string())
    out = os.path.join(HERE, "results", "column_oracle.csv")
    os.makedirs(os.path.dirname(out), exist_ok=True)
    results.to_csv(out, index=False)
    print(f"\n(per page in {out}; masked SNR in dB, official definition with alignment)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
