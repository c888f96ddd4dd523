#!/usr/bin/env python
"""How far the digitizer's time axis lies from the truth, per eik-dev page.

    python bench/time_axis_error.py                    # all four eik-dev conditions
    python bench/time_axis_error.py --conditions aug

The page is read as ``run_model.py`` reads it, with the record's sampling
rate: ``layout.pulse_time_axis`` places time 0 from the calibration pulses'
falling edges where they show, ``layout.time_axis_find`` from the traces'
right ends elsewhere. ECG-Image-Kit's JSON sidecar says where every sample was
drawn; a straight line fitted through all samples' columns against their times
(on the level page, with the sidecar's pixel corners moved to pixel centres,
as ``column_oracle.py`` does) gives the true columns of both. Printed per page:
our start minus the true one, in pixels and in ms (positive: our axis is late,
so the signal comes out early), the same at the end, and our scale against the
true one; then the median per condition.
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
from ecgdigitizer.digitize import PageGeometry, page_geometry, points_level  # noqa: E402
from ecgdigitizer.image_io import image_load  # noqa: E402
from ecgdigitizer.layouts import PAGE_SECONDS  # noqa: E402
from ecgdigitizer.render.ground_truth import plotted_pixels_array  # noqa: E402

DATA = os.path.join(HERE, "..", "..", "shared", "data", "eik-dev")
CONDITIONS = ("clean", "aug", "wrinkle", "varied")


def true_time_axis(sidecar: dict, geo: PageGeometry) -> tuple[float, float]:
    """(column of time 0, columns per second) on ``geo.level``, fitted through every drawn sample."""
    fs = float(sidecar["sampling_frequency"])
    times, columns = [], []
    for lead in sidecar["leads"]:
        yx = plotted_pixels_array(lead) - 0.5      # pixel corners -> centres
        drawn = np.isfinite(yx).all(axis=1)
        times.append((lead["start_sample"] + np.flatnonzero(drawn)) / fs)
        columns.append(points_level(geo, yx[drawn, ::-1])[:, 0])
    per_second, start = np.polyfit(np.concatenate(times), np.concatenate(columns), 1)
    return float(start), float(per_second)


def page_error(image_path: str, sidecar_path: str) -> dict:
    with open(sidecar_path, encoding="utf-8") as f:
        sidecar = json.load(f)
    geo = page_geometry(image_load(image_path), fs=float(sidecar["sampling_frequency"]))  # as at run time
    start, per_second = true_time_axis(sidecar, geo)
    page = geo.page
    end = start + PAGE_SECONDS * per_second
    return {"start_px": page.x_start - start, "start_ms": 1000 * (page.x_start - start) / per_second,
            "end_ms": 1000 * (page.x_end - end) / per_second,
            "scale": (page.x_end - page.x_start) / (end - start) - 1}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", default=DATA)
    p.add_argument("--conditions", default=",".join(CONDITIONS))
    args = p.parse_args(argv)
    rows = []
    for condition in args.conditions.split(","):
        for sidecar in sorted(glob.glob(os.path.join(args.data, condition, "full", "*.json"))):
            row = {"condition": condition, "page": os.path.basename(sidecar)[:-5],
                   **page_error(sidecar[:-5] + ".png", sidecar)}
            rows.append(row)
            print(f"{condition:8s} {row['page']:14s} start {row['start_px']:+6.2f} px {row['start_ms']:+6.1f} ms  "
                  f"end {row['end_ms']:+6.1f} ms  scale {row['scale']:+.5f}", flush=True)
    table = pd.DataFrame(rows)
    print()
    print(table.groupby("condition", sort=False)[["start_px", "start_ms", "end_ms", "scale"]].median()
          .to_string(float_format=lambda v: f"{v:+.3f}"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
