"""Renderer speed and memory: pages per second per core and peak RSS per worker.

    python bench/bench_render.py                 # 200 dpi, every preset, 20 pages each
    python bench/bench_render.py --pages 40 --dpi 200 --presets clean,aug

Each preset runs in a fresh single-threaded process (OpenCV limited to one
thread), as one DataLoader or folder worker would: a warm-up page first (it
fills the grid cache), then ``--pages`` pages of the 12-lead records in
``shared/data/eik-dev/clean/full`` (synthetic records where that is absent).
Reported: median seconds per page over the pages (render only, and render plus
PNG encoding as the folder command does), pages per second per core, and the
process's peak resident memory. ECG-Image-Kit, for comparison: about 1.7 s per
clean page and 3-5 s per distorted page.
"""
from __future__ import annotations

import argparse
import glob
import os
import resource
import statistics
import sys
import time
from multiprocessing import get_context

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.path.join(ROOT, "..", "shared", "data", "eik-dev", "clean", "full")


def _records():
    import wfdb
    paths = sorted(glob.glob(os.path.join(SHARED, "*.hea")))
    if paths:
        out = []
        for p in paths[:8]:
            r = wfdb.rdrecord(p[:-4])
            out.append((r.p_signal, float(r.fs), list(r.sig_name)))
        return out
    sys.path.insert(0, os.path.join(ROOT, "tests"))
    from render_helpers import LEADS12, synthetic_ecg
    return [(synthetic_ecg(seed=s), 500.0, LEADS12) for s in range(4)]


def _run(args: tuple) -> dict:
    preset, dpi, pages = args
    import cv2
    cv2.setNumThreads(1)
    sys.path.insert(0, ROOT)
    from ecgdigitizer.render import page_render
    records = _records()
    page_render(*records[0], dpi=dpi, preset=preset, seed=10 ** 6)               # warm-up: grid cache
    render, total = [], []
    for i in range(pages):
        signal, fs, names = records[i % len(records)]
        t0 = time.perf_counter()
        page = page_render(signal, fs, names, dpi=dpi, preset=preset, seed=i)
        t1 = time.perf_counter()
        ok, _ = cv2.imencode(".png", page.image[..., ::-1])
        t2 = time.perf_counter()
        render.append(t1 - t0)
        total.append(t2 - t0)
    return {"preset": preset, "render_s": statistics.median(render), "with_png_s": statistics.median(total),
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    p.add_argument("--pages", type=int, default=20)
    p.add_argument("--dpi", type=int, default=200)
    p.add_argument("--presets", default="clean,aug,wrinkle,varied,hard")
    args = p.parse_args(argv)
    ctx = get_context("spawn")
    rows = []
    for preset in args.presets.split(","):
        with ctx.Pool(1) as pool:                       # a fresh process: its own peak RSS
            rows.append(pool.apply(_run, ((preset, args.dpi, args.pages),)))
    print(f"\n{args.dpi} dpi, {args.pages} pages per preset, 1 core per worker, {os.cpu_count()} cores on this machine")
    print(f"{'preset':<9}{'s/page':>9}{'pages/s':>9}{'s/page+PNG':>12}{'pages/s+PNG':>13}{'peak RSS MB':>13}")
    for r in rows:
        print(f"{r['preset']:<9}{r['render_s']:>9.3f}{1 / r['render_s']:>9.1f}{r['with_png_s']:>12.3f}"
              f"{1 / r['with_png_s']:>13.1f}{r['peak_rss_mb']:>13.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
