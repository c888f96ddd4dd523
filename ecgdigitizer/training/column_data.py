"""Training examples for the column model, from pages rendered and read like real ones.

A page is drawn by the project's renderer from a real record's 10-s window
(random preset, layout and resolution), then read by the digitizer's own
``page_geometry`` and ``page_rows`` with the image model, exactly as at run
time. Every steep column of the tracker's output (``column_candidates``)
becomes an example: its darkness patch and neighbours (``column_features``)
and, from the renderer's ground truth, the true rows at the column's centre
and at the model's other points in it (``ColumnModelConfig.offsets``) minus
the spline through the tracker's rows there, in mm.

Reading a page costs about a second on a CPU and gives about a thousand
examples, so a fixed pool of pages is read once (``column_pool_build``, in
parallel) and trained on for several epochs (``ColumnDataset``).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from joblib import Parallel, delayed
from torch.utils.data import Dataset

from ..digitize import page_geometry, page_rows
from ..models.column_model import ColumnModelConfig, column_candidates, column_features, points_spline
from ..models.strip_model import StripModel
from .strip_data import random_page, truth_by_row

__all__ = ["ColumnDataConfig", "ColumnDataset", "page_columns", "column_pool_build"]

_FIELDS = ("patch", "neighbours", "px_per_mm", "target")


@dataclass(frozen=True)
class ColumnDataConfig:
    presets: tuple[str, ...] = ("clean", "aug", "wrinkle", "varied")
    layouts: tuple[str, ...] = ("3x4+1", "3x4+1", "3x4+3", "3x4", "12x1")
    dpis: tuple[int, ...] = (100, 150, 200)
    examples_per_item: int = 256   # examples in one dataset item (a batch holds several items)
    train_pages: int = 400         # pages read once for training (about 4 minutes on two cores)
    val_pages: int = 48            # pages read once for validation


def page_columns(image: np.ndarray, ground_truth: dict, strip_model: StripModel,
                 model_config: ColumnModelConfig) -> dict[str, np.ndarray] | None:
    """Every steep column of one page as a training example, or None when the page cannot be read.

    Returns arrays ``patch`` (N, bins, columns), ``neighbours`` (N, columns),
    ``px_per_mm`` (N,) and ``target`` (N, len(offsets)): the true rows at the
    column's ``offsets`` minus the spline through the tracker's rows there
    (``points_spline``), in mm.
    """
    try:
        geo = page_geometry(image)
    except ValueError:
        return None
    rows = page_rows(geo, "learned", strip_model).rows
    first = int(round(geo.page.x_start))
    parts = []
    for trace, points in zip(rows, truth_by_row(ground_truth, geo)):
        if points.shape[0] < 2:
            continue
        points = points[np.argsort(points[:, 1], kind="stable")]
        columns = column_candidates(trace, geo.px_per_mm, model_config.min_step_mm)
        at = columns[:, None] + np.asarray(model_config.offsets)[None, :]      # (N, offsets) trace columns
        truth = np.interp(first + at, points[:, 1], points[:, 0], left=np.nan, right=np.nan)
        base = points_spline(trace, at)                  # what the model corrects
        keep = np.isfinite(truth).all(axis=1) & np.isfinite(base).all(axis=1)
        columns, truth, base = columns[keep], truth[keep], base[keep]
        if columns.size == 0:
            continue
        patch, neighbours = column_features(geo.darkness, trace, first, columns, geo.px_per_mm, model_config)
        target = ((truth - base) / geo.px_per_mm).astype(np.float32)
        parts.append((patch, neighbours, np.full(columns.size, geo.px_per_mm, np.float32), target))
    if not parts:
        return None
    return {name: np.concatenate([p[k] for p in parts]) for k, name in enumerate(_FIELDS)}


def _page_read(record_paths: list[str], index: int, seed: int, strip_model: StripModel,
               model_config: ColumnModelConfig, config: ColumnDataConfig) -> dict | None:
    rng = np.random.default_rng([seed, index])
    page = random_page(record_paths, rng, config.layouts, config.dpis, config.presets)
    torch.set_num_threads(1)   # one page per worker process
    return page_columns(page.image, page.ground_truth, strip_model, model_config)


def column_pool_build(record_paths: list[str], pages: int, seed: int, strip_model: StripModel,
                      model_config: ColumnModelConfig = ColumnModelConfig(),
                      config: ColumnDataConfig = ColumnDataConfig(), *, jobs: int = 1) -> dict[str, np.ndarray]:
    """Examples from ``pages`` pages drawn from ``record_paths`` (page ``i`` from the seed ``(seed, i)``).

    Raises
    ------
    ValueError
        When no page could be read.
    """
    if not record_paths:
        raise ValueError("column_pool_build: no records given")
    read = Parallel(n_jobs=jobs)(delayed(_page_read)(record_paths, i, seed, strip_model, model_config, config)
                                 for i in range(pages))
    read = [r for r in read if r is not None]
    if not read:
        raise ValueError(f"column_pool_build: none of {pages} pages could be read")
    return {name: np.concatenate([r[name] for r in read]) for name in _FIELDS}


class ColumnDataset(Dataset):
    """A pool of examples (``column_pool_build``) in items of ``examples_per_item``, in a seeded order.

    ``__getitem__(i)`` returns ``patch``, ``neighbours``, ``px_per_mm`` and
    ``target`` tensors with a leading axis of ``examples_per_item``. The pool
    is cycled through in a fresh permutation each pass, so ``length`` may
    exceed one pass.
    """

    def __init__(self, pool: dict[str, np.ndarray], config: ColumnDataConfig = ColumnDataConfig(), *,
                 length: int | None = None, seed: int = 0):
        self.pool = {name: torch.from_numpy(np.ascontiguousarray(pool[name])) for name in _FIELDS}
        self.size = int(self.pool["target"].shape[0])
        self.per_item = min(config.examples_per_item, self.size)
        self.items_per_pass = self.size // self.per_item
        self.length = length or self.items_per_pass
        self.seed = seed
        self._epoch, self._permutation = None, None

    def __len__(self) -> int:
        return self.length

    def __getitem__(self, i: int) -> dict[str, torch.Tensor]:
        epoch, k = divmod(i, self.items_per_pass)
        take = self._order(epoch)[k * self.per_item:(k + 1) * self.per_item]
        return {name: tensor[take] for name, tensor in self.pool.items()}

    def _order(self, epoch: int) -> torch.Tensor:
        """The pool's permutation for pass ``epoch`` (kept until the next pass is asked for)."""
        if self._epoch != epoch:
            self._epoch = epoch
            self._permutation = torch.randperm(self.size, generator=torch.Generator().manual_seed(self.seed + epoch))
        return self._permutation
