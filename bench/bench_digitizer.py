#!/usr/bin/env python
"""Benchmark the digitizer on every condition of eik-dev: accuracy, time, memory.

    python bench/bench_digitizer.py                                  # the shipped model
    python bench/bench_digitizer.py --variants classical-nan,model   # pick variants
    python bench/bench_digitizer.py --repeats 3 --out /tmp/bench     # timing medians, tables

For each condition (clean, aug, wrinkle, varied) and each variant, it runs
``run_model.py`` on ``hidden/`` in a fresh process, scores the outputs with
``ecgdigitizer.evaluation.folders_score`` against ``masked/`` (what the page
shows) and ``full/`` (the whole record), and measures the process's wall time
per image, the time per image that ``run_model.py`` itself reports (its
records only, after start-up: imports and model loading), and its peak
resident memory (``os.wait4``). Timing is the median over ``--repeats`` runs;
the first variant is the baseline that the others' time ratios refer to.

Variants:
  classical-nan   the classical digitizer, NaN where the page shows nothing
  classical       the classical digitizer with completion by the signal model
  model           whatever the model folder's digitizer.json says (the default)
  model-nan       the same with completion off
  model-cpu       the default on the CPU even where CUDA is present (a GPU
                  machine's baseline: ``--variants model-cpu,model``)
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np
import pandas as pd

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, ROOT)

from ecgdigitizer.evaluation.scoring import folders_score  # noqa: E402

VARIANTS = {
    "classical-nan": ["--method", "classical", "--no-complete"],
    "classical": ["--method", "classical"],
    "model": [],
    "model-nan": ["--no-complete"],
    "model-cpu": ["--device", "cpu"],
}
CONDITIONS = ("clean", "aug", "wrinkle", "varied")
RUN_SUMMARY = re.compile(r"\(([0-9.]+) s per record\)")   # run_model.py's last line (runner.RunSummary)


def run_timed(args: list[str]) -> tuple[float, float, str]:
    """Run a command; (wall seconds, peak RSS in MB, its stdout)."""
    start = time.perf_counter()
    with tempfile.TemporaryFile("w+") as log:
        proc = subprocess.Popen(args, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, text=True)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        log.seek(0)
        output = log.read()
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"{' '.join(args)} failed:\n{output[-3000:]}")
    return wall, usage.ru_maxrss / 1024.0, output


def condition_bench(data: str, condition: str, variant: str, model: str, repeats: int,
                    workdir: str) -> dict:
    hidden = os.path.join(data, condition, "hidden")
    images = len([f for f in os.listdir(hidden) if f.endswith(".png")])
    walls, in_run, peaks = [], [], []
    out = os.path.join(workdir, variant, condition)  # bench_evaluate.py --outputs-root WORKDIR/VARIANT
    for _ in range(repeats):
        shutil.rmtree(out, ignore_errors=True)
        wall, peak, output = run_timed([sys.executable, "run_model.py", "-d", hidden, "-m", model, "-o", out,
                                        "-f", *VARIANTS[variant]])
        walls.append(wall)
        in_run.append(float(RUN_SUMMARY.findall(output)[-1]))
        peaks.append(peak)
    masked = folders_score(os.path.join(data, condition, "masked"), out).summary
    full = folders_score(os.path.join(data, condition, "full"), out).summary
    return {"condition": condition, "variant": variant, "images": images,
            "snr_masked": masked["snr"], "snr_full": full["snr"],
            "pearson_masked": masked["pearson"], "mae_masked": masked["mae"],
            "s_per_image": float(np.median(walls)) / images, "s_per_image_in_run": float(np.median(in_run)),
            "peak_mb": float(max(peaks))}


def get_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", default=os.path.join(ROOT, "..", "shared", "data", "eik-dev"))
    p.add_argument("--model", default=os.path.join(ROOT, "model"))
    p.add_argument("--variants", default="classical-nan,model,model-nan",
                   help=f"comma-separated, from {', '.join(VARIANTS)}; the first is the timing baseline")
    p.add_argument("--conditions", default=",".join(CONDITIONS))
    p.add_argument("--repeats", type=int, default=3, help="runs per timing (the median is reported)")
    p.add_argument("--out", help="folder for the outputs and bench.csv (default: a temporary folder)")
    return p


def main(argv: list[str] | None = None) -> int:
    args = get_parser().parse_args(argv)
    variants = [v.strip() for v in args.variants.split(",") if v.strip()]
    unknown = [v for v in variants if v not in VARIANTS]
    if unknown:
        raise SystemExit(f"unknown variants {unknown}; choose from {', '.join(VARIANTS)}")
    workdir = args.out or tempfile.mkdtemp(prefix="bench-digitizer-")
    rows = []
    for condition in args.conditions.split(","):
        for variant in variants:
            row = condition_bench(args.data, condition, variant, args.model, args.repeats, workdir)
            rows.append(row)
            print(f"{condition:8s} {variant:14s} masked {row['snr_masked']:6.2f} dB  full "
                  f"{row['snr_full']:6.2f} dB  {row['s_per_image']:.2f} s/image "
                  f"({row['s_per_image_in_run']:.2f} after start-up)  {row['peak_mb']:.0f} MB",
                  flush=True)
    table = pd.DataFrame(rows)
    baseline = table[table.variant == variants[0]].set_index("condition")
    for column, ratio in (("s_per_image", "time_vs_"), ("s_per_image_in_run", "in_run_vs_")):
        table[ratio + variants[0]] = table[column] / table.condition.map(baseline[column])
    os.makedirs(workdir, exist_ok=True)
    table.to_csv(os.path.join(workdir, "bench.csv"), index=False)
    print()
    print(table.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    print(f"\n(outputs and bench.csv in {workdir}; timing: median of {args.repeats} runs, s_per_image of the "
          f"whole process incl. start-up, s_per_image_in_run after it; SNR: official definition with alignment)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
