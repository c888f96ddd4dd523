"""Ground truth of a rendered page in ECG-Image-Kit's JSON schema.

The sidecar ``<record>-<k>.json`` holds the page fields ECG-Image-Kit stores
(``sampling_frequency``, ``width``, ``height``, ``x_grid``, ``y_grid``,
``resolution``, grid and trace colours, the distortion settings) and
``leads``: one entry per drawn lead window with ``lead_name``,
``start_sample``, ``end_sample`` (``[start, end)`` in the page's window),
``lead_bounding_box`` and ``text_bounding_box`` (corners ``"0"``-``"3"``:
top-left, top-right, bottom-right, bottom-left, each ``[row, col]``), and
``plotted_pixels`` (``[row, col]`` of every sample, after every distortion).

Fields this renderer adds, which ECG-Image-Kit readers ignore: ``layout``,
``paper``, ``speed_mm_per_s``, ``gain_mm_per_mV``, ``window_start_sample``
(where the page's window starts in the record), ``rotation_deg`` (applied
angle) and ``distortions`` (every distortion applied with its parameters).
A NaN sample's position is written as ``[NaN, NaN]`` (Python's ``json``
reads it back).
"""
from __future__ import annotations

import json
import os
import tempfile

import numpy as np

from .page import Canvas, LeadEntry

__all__ = ["ground_truth_build", "ground_truth_read", "ground_truth_write", "plotted_pixels_array"]


def _corners(pts: np.ndarray) -> dict[str, list[float]]:
    return {str(i): [round(float(p[0]), 2), round(float(p[1]), 2)] for i, p in enumerate(pts)}


def ground_truth_build(canvas: Canvas, leads: list[LeadEntry], fields: dict, applied: list[dict],
                       window_start: int = 0) -> dict:
    """The ECG-Image-Kit-style dict for a (possibly distorted) canvas.

    ``fields`` are the page fields from ``page_draw``; ``applied`` the list from
    ``distortions_apply``, from which ECG-Image-Kit's distortion fields are filled.
    """
    h, w = canvas.mask.shape
    by_name = {a["name"]: a for a in applied}
    gt = dict(fields)
    gt["width"], gt["height"] = int(w), int(h)
    crease = by_name.get("creases", {})
    gt.update({
        "handwritten_text": "handwriting" in by_name,
        "num_words": int(by_name.get("handwriting", {}).get("words", 0)),
        "x_offset_for_handwritten_text": 0,
        "y_offset_for_handwritten_text": 0,
        "wrinkles": "wrinkles" in by_name or "creases" in by_name,
        "crease_angle": crease.get("crease_angle", 0),
        "number_of_creases_horizontally": crease.get("creases_h", 0),
        "number_of_creases_vertically": crease.get("creases_v", 0),
        "augment": any(n in by_name for n in ("rotate", "noise", "temperature", "perspective", "blur")),
        "crop": round(sum(by_name.get("crop", {}).get(k, 0) for k in ("top", "bottom", "left", "right"))
                      / (2 * (h + w)), 4),
        "temperature": by_name.get("temperature", {}).get("kelvin", 0),
        "rotate": by_name.get("rotate", {}).get("strength", 0),
        "noise": by_name.get("noise", {}).get("sigma", 0),
        "bw": gt.get("bw", False) or "bw" in by_name,
        "rotation_deg": by_name.get("rotate", {}).get("angle_deg", 0.0),
        "window_start_sample": int(window_start),
        "distortions": applied,
    })
    out_leads = []
    for e in leads:
        pix = canvas.points[e.pixels]
        entry = {
            "lead_name": e.lead_name,
            "start_sample": e.start_sample,
            "end_sample": e.end_sample,
            "lead_bounding_box": _corners(canvas.points[e.lead_box]),
        }
        if e.text_box is not None:
            entry["text_bounding_box"] = _corners(canvas.points[e.text_box])
        entry["plotted_pixels"] = np.round(pix, 2).tolist()   # NaN stays NaN
        out_leads.append(entry)
    gt["leads"] = out_leads
    return gt


def plotted_pixels_array(lead: dict) -> np.ndarray:
    """(n, 2) float64 ``[row, col]`` of a lead entry's plotted samples (NaN where missing)."""
    pix = lead.get("plotted_pixels") or []
    return np.array([[np.nan, np.nan] if p is None else p for p in pix], np.float64).reshape(-1, 2)


def ground_truth_write(path: str, gt: dict) -> None:
    """Write ``gt`` as JSON to ``path`` atomically (temporary file, then rename)."""
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".tmp-", suffix=".json")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(gt, f)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def ground_truth_read(json_path: str) -> dict:
    """Read a ground-truth sidecar written by this renderer or by ECG-Image-Kit.

    Raises
    ------
    FileNotFoundError
        When ``json_path`` does not exist.
    ValueError
        When the file is not JSON or lacks ``leads``, ``width`` or ``height``.
    """
    if not os.path.isfile(json_path):
        raise FileNotFoundError(f"{json_path}: ground-truth file not found")
    try:
        with open(json_path, "r", encoding="utf-8") as f:
            gt = json.load(f)
    except json.JSONDecodeError as e:
        raise ValueError(f"{json_path}: not valid JSON ({e})") from None
    missing = [k for k in ("leads", "width", "height") if k not in gt]
    if missing:
        raise ValueError(f"{json_path}: ground truth lacks {', '.join(missing)}")
    return gt
