#!/usr/bin/env python
"""Where the digitizer's error lies: how much SNR each kind of sample costs.

    # outputs without completion (NaN where unplotted), one subfolder per condition,
    # e.g. those bench_digitizer.py leaves in OUT/model-nan/<condition>:
    python bench/error_budget.py --outputs-root OUT/model-nan

Each condition's outputs are scored against ``<cond>/masked`` (official SNR,
with the alignment). Then, one kind at a time, the aligned output is replaced
by the reference on a set of samples and the mean lead SNR recomputed: the
rise is what perfect extraction of those samples would be worth. The kinds:

* ``steep``: the 10 % of each lead's samples where the reference changes
  fastest (QRS up- and down-strokes and peaks);
* ``edges``: the first and last 60 ms of every plotted window (where one
  column of leads ends and the next begins);
* ``outliers``: samples more than 0.5 mV from the reference (wrong trace,
  specks, artefacts in the reference);

and ``share_*`` is the fraction of the total squared error in that set. The
lead-SNR quartiles show whether a few failed leads or the typical lead set
the mean. Printed, and written to ``bench/results/error_budget.csv``.
"""
from __future__ import annotations

import argparse
import os
import sys

import numpy as np
import pandas as pd

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))
from ecgdigitizer.evaluation import folders_score  # noqa: E402
from ecgdigitizer.evaluation.metrics import snr_compute  # noqa: E402
from ecgdigitizer.spans import true_spans  # noqa: E402

DATA = os.path.join(HERE, "..", "..", "shared", "data", "eik-dev")
CONDITIONS = ("clean", "aug", "wrinkle", "varied")
STEEP_QUANTILE = 0.9
EDGE_S = 0.06
OUTLIER_MV = 0.5


def sample_kinds(ref: np.ndarray, est: np.ndarray, fs: float) -> dict[str, np.ndarray]:
    """Boolean masks of the sample kinds (see the module docstring) for one lead."""
    seen = np.isfinite(ref)
    # NaN next to the window's ends, so that a window's first sample is not a step from zero.
    slope = np.abs(np.gradient(ref))
    measured = np.isfinite(slope)
    threshold = np.quantile(slope[measured], STEEP_QUANTILE) if measured.any() else np.inf
    edges = np.zeros_like(seen)
    k = int(round(EDGE_S * fs))
    for start, end in true_spans(seen):                 # each plotted window
        edges[start:start + k] = True
        edges[max(start, end - k):end] = True
    with np.errstate(invalid="ignore"):
        outliers = np.abs(est - ref) > OUTLIER_MV
        steep = slope > threshold
    return {"steep": seen & steep, "edges": seen & edges, "outliers": seen & outliers}


def condition_budget(reference_folder: str, output_folder: str) -> dict:
    """Mean lead SNR, with each kind of sample made perfect, and the error shares."""
    result = folders_score(reference_folder, output_folder, keep_signals=True)
    snrs: dict[str, list[float]] = {"as scored": [], "steep": [], "edges": [], "outliers": []}
    error = {"total": 0.0, "steep": 0.0, "edges": 0.0, "outliers": 0.0}
    for fs, _, ref, aligned, _ in result.signals.values():
        for i in range(ref.shape[1]):
            r, e = ref[:, i].astype(np.float64), aligned[:, i].astype(np.float64)
            if not np.isfinite(r).any():
                continue
            squared = np.where(np.isfinite(r) & np.isfinite(e), (e - r) ** 2, 0.0)
            error["total"] += squared.sum()
            snrs["as scored"].append(snr_compute(r, e)[0])
            for kind, where in sample_kinds(r, e, fs).items():
                error[kind] += squared[where].sum()
                fixed = e.copy()
                fixed[where] = r[where]
                snrs[kind].append(snr_compute(r, fixed)[0])
    scored = np.array(snrs["as scored"])
    row = {"leads": int(np.isfinite(scored).sum()), "snr": float(np.nanmean(scored))}
    for q in (10, 25, 50, 75):
        row[f"lead_snr_p{q}"] = float(np.nanpercentile(scored, q))
    for kind in ("steep", "edges", "outliers"):
        row[f"snr_{kind}_perfect"] = float(np.nanmean(snrs[kind]))
        row[f"share_{kind}"] = error[kind] / error["total"] if error["total"] else float("nan")
    return row


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--outputs-root", required=True,
                        help="folder with one subfolder of outputs per condition")
    parser.add_argument("--data", default=DATA, help="eik-dev folder (default: ../shared/data/eik-dev)")
    parser.add_argument("--conditions", default=",".join(CONDITIONS))
    args = parser.parse_args()
    rows = []
    for condition in args.conditions.split(","):
        outputs = os.path.join(args.outputs_root, condition)
        if not os.path.isdir(outputs):
            print(f"{condition}: no outputs at {outputs}; skipped", file=sys.stderr)
            continue
        rows.append({"condition": condition,
                     **condition_budget(os.path.join(args.data, condition, "masked"), outputs)})
    if not rows:
        print("error: no condition had outputs", file=sys.stderr)
        return 1
    table = pd.DataFrame(rows).set_index("condition")
    os.makedirs(os.path.join(HERE, "results"), exist_ok=True)
    table.to_csv(os.path.join(HERE, "results", "error_budget.csv"), float_format="%.4f")
    with pd.option_context("display.width", 200, "display.max_columns", 30):
        print(table.round(3).T.to_string())
    return 0


if __name__ == "__main__":
    sys.exit(main())
