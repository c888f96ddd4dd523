#!/usr/bin/env python
"""Benchmark training throughput: each model's training command, briefly, per preset.

    python bench/bench_training.py --records ../shared/data/records                  # CPU preset here
    python bench/bench_training.py --records R --presets cpu,gpu --out /tmp/train    # on a GPU machine

For each model (signal, strip, column) and preset it runs
``python -m ecgdigitizer.training.<model>_training --preset P`` for a few
steps in a fresh process and a fresh model folder, and reads the loop's
``ms/step`` log lines. A step's time is the median over the logged intervals
after the first (which holds start-up: data workers, CUDA kernels); items per
second are the preset's batch size over that time (a signal window, a page of
12 strips, a column-model item of 256 columns); on CUDA the loop's peak
allocated GPU memory is read too. The first preset is the
baseline of the speed-up column. The column model's data (pages read before
training) is cut to ``--column-pages`` so the bench stays short; its
pool-building time is in the process's wall time, not in the step time.

A run must be long enough for its data workers' head start to wear off: each
worker builds whole batches and holds two ahead, so with W workers the first
2W steps may find their batches ready. Give each model at least 4W steps
(``--steps``) before reading its figure as a steady rate.
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

from ecgdigitizer.training.column_training import column_config_preset  # noqa: E402
from ecgdigitizer.training.config import config_override, config_preset  # noqa: E402
from ecgdigitizer.training.strip_training import strip_config_preset  # noqa: E402

CONFIG_PRESETS = {"signal": config_preset, "strip": strip_config_preset, "column": column_config_preset}
DEVICES = {"cpu": "cpu", "gpu": "cuda"}
STEP_LOG = re.compile(r"step (\d+): train loss [0-9.e+-]+, lr [0-9.e+-]+, ([0-9.]+) ms/step")
GPU_MEMORY_LOG = re.compile(r"peak GPU memory ([0-9.]+) GB")


def training_bench(model: str, preset: str, records: str, steps: int, log_every: int, column_pages: int,
                   workdir: str, settings: tuple[str, ...] = ()) -> dict:
    """One short training run; its median step time and throughput."""
    folder = os.path.join(workdir, f"{model}-{preset}")
    shutil.rmtree(folder, ignore_errors=True)
    os.makedirs(folder)
    if model == "column":   # the column model learns from the image model's readings
        shutil.copy(os.path.join(ROOT, "model", "strip_model.pt"), folder)
    env = dict(os.environ, PYTHONUNBUFFERED="1", ECGDIG_TRAIN_PAGES=str(column_pages),
               ECGDIG_VAL_PAGES=str(max(1, column_pages // 4)))
    args = [sys.executable, "-m", f"ecgdigitizer.training.{model}_training", "--records", records,
            "--model", folder, "--preset", preset, "--no-resume", "-v", "--set", f"max_steps={steps}",
            "--set", f"log_every={log_every}", "--set", f"eval_every={steps}", "--set", "schedule_steps=0",
            *[arg for setting in settings for arg in ("--set", setting)]]
    start = time.perf_counter()
    proc = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed:\n{proc.stderr[-3000:]}")
    times = [float(ms) for _, ms in STEP_LOG.findall(proc.stderr)]
    if len(times) < 2:
        raise RuntimeError(f"{model}/{preset}: fewer than two step-time lines in the log:\n{proc.stderr[-3000:]}")
    config = config_override(CONFIG_PRESETS[model](DEVICES[preset]), dict(s.split("=", 1) for s in settings))
    batch = config.batch_size
    ms = float(np.median(times[1:]))
    gpu_memory = GPU_MEMORY_LOG.findall(proc.stderr)
    return {"model": model, "preset": preset, "batch_size": batch, "steps": steps, "ms_per_step": ms,
            "items_per_s": 1000.0 * batch / ms, "process_s": wall,
            "peak_gpu_gb": float(gpu_memory[-1]) if gpu_memory else np.nan}


def get_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--records", default=os.path.join(ROOT, "..", "shared", "data", "records"))
    p.add_argument("--models", default=",".join(CONFIG_PRESETS), help="comma-separated, from signal, strip, column")
    p.add_argument("--presets", default="cpu", help="comma-separated, from cpu, gpu; the first is the baseline")
    p.add_argument("--steps", default="signal=200,strip=24,column=200",
                   help="steps per run, per model (MODEL=STEPS,...)")
    p.add_argument("--intervals", type=int, default=5, help="logged intervals per run (the first is dropped)")
    p.add_argument("--column-pages", type=int, default=32, help="training pages the column model reads first")
    p.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE",
                   help="a TrainConfig override for every run, e.g. --set num_workers=14")
    p.add_argument("--out", help="folder for the runs and training.csv (default: a temporary folder)")
    return p


def main(argv: list[str] | None = None) -> int:
    args = get_parser().parse_args(argv)
    steps = {k: int(v) for k, v in (item.split("=") for item in args.steps.split(","))}
    presets = args.presets.split(",")
    workdir = args.out or tempfile.mkdtemp(prefix="bench-training-")
    rows = []
    for model in args.models.split(","):
        for preset in presets:
            row = training_bench(model, preset, args.records, steps[model], max(1, steps[model] // args.intervals),
                                 args.column_pages, workdir, tuple(args.set))
            rows.append(row)
            print(f"{model:7s} {preset:4s} batch {row['batch_size']:3d}  {row['ms_per_step']:8.1f} ms/step  "
                  f"{row['items_per_s']:8.1f} items/s  (process {row['process_s']:.0f} s)", flush=True)
    table = pd.DataFrame(rows)
    baseline = table[table.preset == presets[0]].set_index("model")["items_per_s"]
    table[f"speedup_vs_{presets[0]}"] = table["items_per_s"] / table.model.map(baseline)
    table.to_csv(os.path.join(workdir, "training.csv"), index=False)
    print()
    print(table.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    print(f"\n(runs and training.csv in {workdir}; ms/step: median of the logged intervals after the first)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
