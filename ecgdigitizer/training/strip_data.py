"""Training strips for the image model, cut from pages rendered on the fly.

Each item is one page: a real record's 10-s window drawn by the project's
renderer with a random preset, layout and resolution, then read by the same
``page_geometry`` the digitizer uses at run time (so the model learns on
exactly the kind of strip it will see, detection errors included). The true
trace position comes from the renderer's ground truth: every plotted sample's
pixel, rotated with the page, mapped into the strip, and interpolated at each
strip column. ``crops`` random crops of ``crop_width`` columns are drawn from
the page's rows.

Pages on which the geometry fails are redrawn with the next seed (up to
``max_tries``), so a hard preset only costs time. ``SidecarStripDataset``
does the same with pages that come with ECG-Image-Kit JSON files.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import torch
from torch.utils.data import Dataset

from ..digitize import PageGeometry, page_geometry, points_level
from ..records import signal_load
from ..image_io import image_load
from ..render import ground_truth_read, page_render, plotted_pixels_array
from ..strips import STRIP_HEIGHT, Strip, strip_extract

__all__ = ["StripDataConfig", "StripDataset", "SidecarStripDataset", "page_crops", "strip_target", "record_arrays",
           "random_page", "truth_by_row"]


@dataclass(frozen=True)
class StripDataConfig:
    presets: tuple[str, ...] = ("clean", "aug", "wrinkle", "varied", "hard")
    layouts: tuple[str, ...] = ("3x4+1", "3x4+1", "3x4+1", "3x4+3", "3x4", "12x1")
    dpis: tuple[int, ...] = (100, 150, 200)
    crops: int = 12           # crops per page (drawn over its rows with replacement)
    crop_width: int = 128     # strip columns per crop (2.56 s at 2 px/mm), a multiple of 4
    max_tries: int = 6


@functools.lru_cache(maxsize=256)
def record_arrays(path: str) -> tuple[np.ndarray, float, tuple[str, ...]]:
    """A record's signal (float32 mV), sampling rate and lead names; the last 256 read are kept."""
    signal, fields = signal_load(path)
    if signal is None:
        raise ValueError(f"{path}: no signal to draw")
    return signal.astype(np.float32), float(fields["fs"]), tuple(fields["sig_name"])


def random_page(record_paths: list[str], rng: np.random.Generator, layouts: tuple[str, ...],
                dpis: tuple[int, ...], presets: tuple[str, ...]):
    """A random 10-s window of a random record, drawn by ``page_render`` with a random layout, dpi and preset."""
    signal, fs, names = record_arrays(record_paths[rng.integers(len(record_paths))])
    window = int(round(10 * fs))
    start = int(rng.integers(0, max(1, signal.shape[0] - window + 1)))
    return page_render(signal, fs, list(names), layout=str(rng.choice(layouts)), dpi=int(rng.choice(dpis)),
                       preset=str(rng.choice(presets)), seed=rng, start_sample=start)


def strip_target(strip: Strip, points: np.ndarray, width: int) -> tuple[np.ndarray, np.ndarray]:
    """True trace row per strip column from ``points`` (N, 2) page (row, col), in drawing order.

    Returns the rows (NaN where no sample is near) and a validity mask:
    columns outside the points' span, or in gaps wider than two columns
    (NaN samples, page edges), are invalid.
    """
    rows, cols = strip.points_map(points[:, 0], points[:, 1])
    order = np.argsort(cols, kind="stable")
    rows, cols = rows[order], cols[order]
    x = np.arange(width, dtype=np.float64)
    target = np.interp(x, cols, rows) if cols.size > 1 else np.full(width, np.nan)
    # Distance from each column to the nearest sample column.
    idx = np.clip(np.searchsorted(cols, x), 1, max(1, cols.size - 1))
    near = np.minimum(np.abs(cols[idx - 1] - x), np.abs(cols[np.minimum(idx, cols.size - 1)] - x)) \
        if cols.size > 1 else np.full(width, np.inf)
    valid = (near <= 2.0) & (x >= cols.min() if cols.size else False) & (x <= cols.max() if cols.size else False)
    return target, valid


def truth_by_row(gt: dict, geo: PageGeometry) -> list[np.ndarray]:
    """Ground-truth points (level-page coordinates) of each detected page row."""
    by_row: list[list[np.ndarray]] = [[] for _ in geo.page.row_y]
    for lead in gt["leads"]:
        pts = plotted_pixels_array(lead)
        pts = pts[np.isfinite(pts).all(axis=1)]
        if pts.shape[0] < 2:
            continue
        level = points_level(geo, pts[:, ::-1])[:, ::-1]        # (row, col) on the level page
        row = int(np.argmin(np.abs(geo.page.row_y - np.median(level[:, 0]))))
        by_row[row].append(level)
    return [np.concatenate(p) if p else np.empty((0, 2)) for p in by_row]


def _target_plausible(target: np.ndarray, valid: np.ndarray, height: int) -> bool:
    """A row's truth is usable when most of it lies in the strip, around its middle.

    A missed or extra row in the detected layout assigns a lead to the wrong
    strip; its truth then sits far from the strip's centre.
    """
    if valid.mean() < 0.5:
        return False
    t = target[valid]
    inside = ((t >= 0) & (t <= height - 1)).mean()
    return inside > 0.9 and abs(np.median(t) - (height - 1) / 2) < 0.2 * height


def page_crops(image: np.ndarray, ground_truth: dict, rng: np.random.Generator,
               config: StripDataConfig) -> dict | None:
    """``config.crops`` training crops from one page and its ground truth, or None.

    The page is read by ``page_geometry`` as at run time; None when that
    fails or no row's truth is plausible.
    """
    try:
        geo = page_geometry(image)
    except ValueError:
        return None
    points = truth_by_row(ground_truth, geo)
    strips = [strip_extract(geo.level, y, geo.page.x_start, geo.page.x_end, geo.px_per_mm)
              for y in geo.page.row_y]
    truths = [strip_target(st, pts, st.image.shape[1]) for st, pts in zip(strips, points)]
    usable = [k for k, (t, v) in enumerate(truths) if _target_plausible(t, v, strips[k].image.shape[0])]
    if not usable:
        return None
    width = config.crop_width
    images, targets, valids = [], [], []
    for _ in range(config.crops):
        k = usable[int(rng.integers(len(usable)))]
        strip, (target, valid) = strips[k], truths[k]
        c0 = int(rng.integers(0, max(1, strip.image.shape[1] - width + 1)))
        part = slice(c0, c0 + width)
        n = strip.image[:, part].shape[1]
        crop = np.full((strip.image.shape[0], width, 3), 255, np.uint8)
        crop[:, :n] = strip.image[:, part]
        t = np.zeros(width)
        v = np.zeros(width, bool)
        t[:n] = np.nan_to_num(target[part])
        v[:n] = valid[part]
        images.append(crop)
        targets.append(t)
        valids.append(v)
    return _item(np.stack(images), np.stack(targets), np.stack(valids))


def _item(images: np.ndarray, targets: np.ndarray, valids: np.ndarray) -> dict:
    return {"image": torch.from_numpy(images).permute(0, 3, 1, 2).float().div_(255.0),
            "target": torch.from_numpy(targets).float(),
            "valid": torch.from_numpy(valids)}


class StripDataset(Dataset):
    """Pages rendered on the fly, cut into canonical strips with their true rows.

    ``__getitem__(i)`` is deterministic for a given ``i`` and ``seed`` and
    returns ``image`` (crops, 3, STRIP_HEIGHT, crop_width) float in [0, 1],
    ``target`` (crops, crop_width) float rows and ``valid`` (crops, crop_width) bool.
    """

    def __init__(self, record_paths: list[str], config: StripDataConfig = StripDataConfig(), *,
                 length: int = 100_000, seed: int = 0):
        if not record_paths:
            raise ValueError("StripDataset: no records given")
        self.records = list(record_paths)
        self.config = config
        self.length = length
        self.seed = seed

    def __len__(self) -> int:
        return self.length

    def __getitem__(self, i: int) -> dict:
        cfg = self.config
        for attempt in range(cfg.max_tries):
            rng = np.random.default_rng([self.seed, i, attempt])
            page = random_page(self.records, rng, cfg.layouts, cfg.dpis, cfg.presets)
            item = page_crops(page.image, page.ground_truth, rng, cfg)
            if item is not None:
                return item
        raise RuntimeError(f"StripDataset: no readable page after {cfg.max_tries} draws for item {i}")


class SidecarStripDataset(Dataset):
    """Pages that come with ECG-Image-Kit JSON ground truth (a challenge training folder).

    Item ``i`` is page ``i % len(pages)`` with crops drawn from ``(seed, i)``.
    A page whose geometry cannot be read gives an item with no valid column,
    which adds nothing to the loss.
    """

    def __init__(self, pages: list[tuple[str, str]], config: StripDataConfig = StripDataConfig(), *,
                 length: int | None = None, seed: int = 0):
        if not pages:
            raise ValueError("SidecarStripDataset: no (image, JSON) pairs given")
        self.pages = list(pages)
        self.config = config
        self.length = length or len(self.pages)
        self.seed = seed

    def __len__(self) -> int:
        return self.length

    def __getitem__(self, i: int) -> dict:
        image_path, json_path = self.pages[i % len(self.pages)]
        rng = np.random.default_rng([self.seed, i])
        item = page_crops(image_load(image_path), ground_truth_read(json_path), rng, self.config)
        if item is not None:
            return item
        cfg = self.config
        return _item(np.full((cfg.crops, STRIP_HEIGHT, cfg.crop_width, 3), 255, np.uint8),
                     np.zeros((cfg.crops, cfg.crop_width)), np.zeros((cfg.crops, cfg.crop_width), bool))
