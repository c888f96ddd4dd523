"""Side-by-side figure: ECG-Image-Kit's eik-dev pages and this renderer's pages of the same records.

    python bench/figure_render_vs_eik.py OUTPUT_FOLDER [--record 00007_hr] [--width 1100]

Writes ``OUTPUT_FOLDER/render_vs_eik.png``: one row per eik-dev condition
(clean, aug, wrinkle, varied), ECG-Image-Kit's page on the left and ours on the
right, same record, same resolution as the eik-dev image and the matching
preset; a last row shows two pages of the ``hard`` preset. Also writes a
full-resolution crop of both clean pages (``render_vs_eik_crop.png``).
"""
from __future__ import annotations

import argparse
import os
import sys

import cv2
import numpy as np
import wfdb

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
EIK = os.path.join(ROOT, "..", "shared", "data", "eik-dev")

from ecgdigitizer.render import page_render  # noqa: E402


def _label(img: np.ndarray, text: str) -> np.ndarray:
    img = img.copy()
    cv2.rectangle(img, (0, 0), (12 * len(text) + 16, 34), (255, 255, 255), -1)
    cv2.putText(img, text, (8, 25), cv2.FONT_HERSHEY_SIMPLEX, 0.75, (0, 0, 0), 2, cv2.LINE_AA)
    return img


def _fit(img: np.ndarray, width: int) -> np.ndarray:
    """Resize to ``width`` at letter proportions (cropped pages are stretched slightly)."""
    return cv2.resize(img, (width, round(width * 8.5 / 11)), interpolation=cv2.INTER_AREA)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    p.add_argument("output_folder")
    p.add_argument("--record", default="00007_hr", help="a record present in all four eik-dev conditions")
    p.add_argument("--width", type=int, default=1100, help="width of each tile in pixels")
    args = p.parse_args(argv)
    os.makedirs(args.output_folder, exist_ok=True)
    rows, crops = [], []
    for cond in ("clean", "aug", "wrinkle", "varied"):
        base = os.path.join(EIK, cond, "hidden", args.record)
        eik = cv2.imread(base + "-0.png")
        if eik is None:
            raise FileNotFoundError(f"{base}-0.png: eik-dev image not found")
        rec = wfdb.rdrecord(os.path.join(EIK, cond, "full", args.record))
        dpi = round(eik.shape[1] / 11)
        ours = page_render(rec.p_signal, rec.fs, rec.sig_name, layout="3x4+1", dpi=dpi, preset=cond, seed=1).image[..., ::-1]
        rows.append(np.hstack([_label(_fit(eik, args.width), f"ECG-Image-Kit: {cond}, {dpi} dpi"),
                               _label(_fit(ours, args.width), f"ours: preset {cond}, {dpi} dpi")]))
        if cond == "clean":
            crops = [eik[560:1060, 40:900], ours[560:1060, 40:900]]
    rec = wfdb.rdrecord(os.path.join(EIK, "clean", "full", args.record))
    hard = [page_render(rec.p_signal, rec.fs, rec.sig_name, layout=lay, dpi=150, preset="hard", seed=s).image[..., ::-1]
            for s, lay in ((3, "3x4+3"), (4, "6x2"))]
    rows.append(np.hstack([_label(_fit(h, args.width), f"ours: preset hard, {lay}")
                           for h, lay in zip(hard, ("3x4+3", "6x2"))]))
    width = max(r.shape[1] for r in rows)
    figure = np.vstack([np.pad(r, ((0, 8), (0, width - r.shape[1]), (0, 0)), constant_values=255) for r in rows])
    out = os.path.join(args.output_folder, "render_vs_eik.png")
    cv2.imwrite(out, figure)
    cv2.imwrite(os.path.join(args.output_folder, "render_vs_eik_crop.png"),
                np.hstack([_label(crops[0], "ECG-Image-Kit clean 200 dpi"), _label(crops[1], "ours clean 200 dpi")]))
    print(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
