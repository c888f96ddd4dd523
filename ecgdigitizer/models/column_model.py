"""The column model: where, to a fraction of a pixel, is the trace in this steep column?

The ink tracker (``trace``) reads one row per pixel column from the ink's
vertical runs. On flat stretches that is nearly exact; in the columns a QRS
stroke crosses, a run spans many rows and the line's own width, its round
ends and the grid lines printed over it leave the centre uncertain by a large
fraction of the run. There lies most of the digitizer's error (the column
oracle, ``bench/column_oracle.py``: before this model, exact values in the
steep columns alone were worth 4.6 dB of masked SNR on eik-dev clean pages,
3.9 on aug ones).

The model looks at the page's trace darkness (grid removed) around each such
column, where the anti-aliased edges of the stroke show how it passes, and
predicts how far the true centre lies from the tracker's row:

* input: a patch of ``bins`` rows spanning +-``half_mm`` around the tracker's
  row, over the column and ``half_columns`` columns on each side (rows are
  resampled to millimetres, so one model serves every resolution; columns
  stay pixels, the unit of the tracker's output), plus the tracker's rows in
  those columns relative to this one (mm) and the page's scale;
* three 3x3 convolutions, each halving the rows (the first at full
  resolution cost three times as much for 1 % less error), then a small MLP;
* output: the correction in mm at the column's centre and at two more
  points inside it, a third of a column either side (``offsets``), each
  relative to the spline through the tracker's rows there (at the centre,
  the tracker's row itself), so that a model with nothing to add leaves the
  trace as the spline draws it. Loss:
  mean squared error, the SNR's own measure, over the points whose
  correction is under ``max_correction_mm`` (beyond that the tracker
  followed the wrong ink, which is not this model's job).

Why points inside a column: at 100 dpi a column spans five samples at
500 Hz, and a QRS stroke crosses it top to bottom, so one row per column
cannot say where a peak between two columns tops out or how a stroke bends.
The ink's vertical run in the column shows both. Reading three points per
steep column raises the ceiling (every point at its true row,
``bench/column_oracle.py``) on eik-dev aug pages from 19.7 to 24.9 dB.

Only columns whose row differs from a neighbour's by ``min_step_mm`` or more
are refined; flat columns keep the tracker's sub-pixel darkness centre.

The model is applied ``passes`` times, each pass to the rows the previous one
left: a corrected column changes its neighbours' inputs, and the patch is
re-centred where the line was found. Masked SNR on eik-dev (clean / aug /
wrinkle / varied), 1 to 4 passes: 19.78 / 12.41 / 14.07 / 14.10, 20.00 /
12.86 / 14.45 / 14.36, 20.04 / 13.06 / 14.48 / 14.43, 20.03 / 13.14 / 14.50 /
14.44; on the renderer's pages of 12 validation records the third pass adds
0.02 to 0.29 dB to the second's.
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import torch
import torch.nn as nn

from ..assemble import trace_interpolate
from .weights import model_load, model_save

__all__ = ["ColumnModelConfig", "ColumnModel", "column_candidates", "column_features", "rows_refine",
           "points_per_column", "points_columns", "points_spline", "column_model_save", "column_model_load",
           "COLUMN_MODEL_FILE"]

COLUMN_MODEL_FILE = "column_model.pt"
_KIND = "ecgdigitizer.column_model"


@dataclass(frozen=True)
class ColumnModelConfig:
    half_mm: float = 4.0          # the patch spans +-half_mm around the tracker's row
    bins: int = 64                # patch rows over that span (a multiple of 8)
    half_columns: int = 3         # patch columns on each side of the refined one
    # Refine columns whose row differs this much from a neighbour's. 0.3 before
    # the points inside a column; 0.2 lets them also shape P and T waves and
    # QRS onsets: eik-dev masked SNR (NaN) 21.17 / 15.08 / 17.36 / 17.03 ->
    # 21.29 / 15.10 / 17.57 / 17.06, the renderer's validation pages +0.01 to +0.12.
    min_step_mm: float = 0.2
    channels: int = 32
    hidden: int = 128             # 64 before the points inside a column: aug 14.92 -> 15.08 dB with 4000 steps
    max_correction_mm: float = 2.0  # training examples needing more are left out of the loss
    passes: int = 3               # times rows_refine applies the model (training sees the first pass)
    # Rows predicted per column, at these fractions of a column from its centre:
    # the centre (what each pass moves), then points inside the column, which
    # give a QRS stroke's course and its peak's height between two centres.
    offsets: tuple[float, ...] = (0.0, -1 / 3, 1 / 3)

    def __post_init__(self):
        k = len(self.offsets)
        steps = [o * k for o in self.offsets]
        if (k % 2 == 0 or self.offsets[0] != 0 or any(abs(s - round(s)) > 1e-6 for s in steps)
                or sorted(round(s) for s in steps) != list(range(-(k // 2), k // 2 + 1))):
            raise ValueError(f"ColumnModelConfig.offsets: the centre (0) first, then points evenly spaced "
                             f"1/{k} of a column apart around it, such as (0, -1/3, 1/3); got {self.offsets}")


class ColumnModel(nn.Module):
    def __init__(self, config: ColumnModelConfig = ColumnModelConfig()):
        super().__init__()
        self.config = config
        c, columns = config.channels, 2 * config.half_columns + 1
        # Convolutions are "valid" along columns (7 -> 1) and halve the rows three times.
        self.conv = nn.Sequential(
            nn.Conv2d(1, c // 2, 3, stride=(2, 1), padding=(1, 0)), nn.ReLU(inplace=True),
            nn.Conv2d(c // 2, c, 3, stride=(2, 1), padding=(1, 0)), nn.ReLU(inplace=True),
            nn.Conv2d(c, c, 3, stride=(2, 1), padding=(1, 0)), nn.ReLU(inplace=True))
        features = c * (config.bins // 8) * (columns - 6)
        self.head = nn.Sequential(nn.Linear(features + columns + 1, config.hidden), nn.ReLU(inplace=True),
                                  nn.Linear(config.hidden, len(config.offsets)))

    def num_params(self) -> int:
        return sum(p.numel() for p in self.parameters())

    def forward(self, patch: torch.Tensor, neighbours: torch.Tensor, px_per_mm: torch.Tensor,
                target: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Corrections (mm), ``(N, len(offsets))``, for ``(N, bins, columns)`` patches; the loss with ``target``.

        ``target`` holds the true rows at the column's ``offsets`` minus the
        spline through the tracker's rows there (``points_spline``), in mm.
        Training batches arrive with a leading page axis, ``(B, N, ...)``; it
        is flattened away.
        """
        columns = 2 * self.config.half_columns + 1
        patch = patch.reshape(-1, 1, self.config.bins, columns)
        neighbours = neighbours.reshape(-1, columns)
        scale = px_per_mm.reshape(-1, 1) / 8.0          # about 1 at 200 dpi
        features = torch.cat([self.conv(patch).flatten(1), neighbours, scale], dim=1)
        correction = self.head(features)
        if target is None:
            return correction, None
        target = target.reshape(correction.shape)
        valid = target.abs() < self.config.max_correction_mm
        loss = ((correction - target)[valid] ** 2).mean() if valid.any() else correction.sum() * 0.0
        return correction, loss


def column_candidates(rows: np.ndarray, px_per_mm: float, min_step_mm: float) -> np.ndarray:
    """Columns whose row differs from a neighbour's by ``min_step_mm`` or more (both neighbours read)."""
    step = np.abs(np.diff(rows)) / px_per_mm
    left, right = np.r_[np.nan, step], np.r_[step, np.nan]
    with np.errstate(invalid="ignore"):   # NaN where a column was not read
        return np.flatnonzero(np.isfinite(left) & np.isfinite(right) & (np.fmax(left, right) >= min_step_mm))


def column_features(darkness: np.ndarray, rows: np.ndarray, first_column: int, columns: np.ndarray,
                    px_per_mm: float, config: ColumnModelConfig) -> tuple[np.ndarray, np.ndarray]:
    """The model's inputs for ``columns`` of one page row's trace.

    Parameters
    ----------
    darkness : (H, W) float ndarray
        The page's trace darkness (``geometry.grid_suppress`` of ``ink_darkness``).
    rows : (W_t,) float ndarray
        The tracker's row per column, page rows; column ``j`` is page column ``first_column + j``.
    columns : (N,) int ndarray
        Indices into ``rows`` to describe (``column_candidates``).

    Returns
    -------
    patch : (N, bins, 2 * half_columns + 1) float32 ndarray
        Darkness, bilinearly sampled (0 outside the page; ``cv2.remap``, ten
        times faster than ``scipy.ndimage.map_coordinates`` here).
    neighbours : (N, 2 * half_columns + 1) float32 ndarray
        The tracker's rows there minus this column's, in mm, clipped to the
        patch's span (0 where a column was not read).
    """
    offsets = np.arange(-config.half_columns, config.half_columns + 1)
    centre = rows[columns]
    n, width = columns.size, offsets.size
    if n == 0:   # a row with no steep column (cv2.remap refuses empty maps)
        return np.zeros((0, config.bins, width), np.float32), np.zeros((0, width), np.float32)
    # Sample positions laid out (N * columns, bins): cv2.remap wants both sides under 32767.
    map_rows = centre[:, None, None] + np.linspace(-config.half_mm, config.half_mm, config.bins) * px_per_mm
    map_cols = (first_column + columns)[:, None, None] + offsets[None, :, None]
    map_rows, map_cols = (np.ascontiguousarray(np.broadcast_to(m, (n, width, config.bins)), np.float32)
                          .reshape(n * width, config.bins) for m in (map_rows, map_cols))
    patch = cv2.remap(np.asarray(darkness, np.float32), map_cols, map_rows, cv2.INTER_LINEAR,
                      borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    patch = np.ascontiguousarray(patch.reshape(n, width, config.bins).transpose(0, 2, 1))
    around = rows[np.clip(columns[:, None] + offsets[None, :], 0, rows.size - 1)]
    neighbours = np.clip((around - centre[:, None]) / px_per_mm, -config.half_mm, config.half_mm)
    return patch, np.nan_to_num(neighbours, nan=0.0).astype(np.float32)


def rows_refine(rows: list[np.ndarray], darkness: np.ndarray, first_column: int, px_per_mm: float,
                model: ColumnModel, *, mirrored: bool = True) -> list[np.ndarray]:
    """Page rows' traces, steep columns moved by the column model, at ``points_per_column`` points per column.

    The model is applied ``config.passes`` times to the columns' centres; the
    last pass also gives the rows at the other points inside the steep
    columns (``config.offsets``). Everywhere else the points lie on the
    spline through the centres (``points_spline``), so a trace without steep
    columns keeps its shape. Point ``k`` of a returned trace lies at column
    ``(k - points_per_column // 2) / points_per_column`` of the input. With
    ``mirrored``, the last pass reads every patch both ways (``_read_both_ways``).
    """
    config = model.config
    for _ in range(config.passes - 1):
        rows, _, _ = _refine_once(rows, darkness, first_column, px_per_mm, model)
    _, chosen, corrections = _refine_once(rows, darkness, first_column, px_per_mm, model, mirrored=mirrored)
    return [_points_fill(r, c, moves, config.offsets) for r, c, moves in zip(rows, chosen, corrections)]


def points_per_column(config: ColumnModelConfig) -> int:
    """Points per column of ``rows_refine``'s traces: one per offset."""
    return len(config.offsets)


def points_columns(num_columns: int, per_column: int) -> np.ndarray:
    """The column of every point of a trace over ``num_columns`` columns at ``per_column`` points each."""
    return (np.arange(num_columns * per_column) - per_column // 2) / per_column


def points_spline(rows: np.ndarray, where: np.ndarray) -> np.ndarray:
    """A trace's rows at fractional columns ``where``: the spline through its read columns, NaN at unread ones."""
    seen = np.flatnonzero(np.isfinite(rows))
    if seen.size < 2:
        return np.full(where.shape, np.nan)
    out = trace_interpolate(where, seen, rows[seen])
    out[~np.isfinite(rows[np.clip(np.rint(where).astype(np.int64), 0, rows.size - 1)])] = np.nan
    return out


def _points_fill(rows: np.ndarray, columns: np.ndarray, corrections: np.ndarray,
                 offsets: tuple[float, ...]) -> np.ndarray:
    """One trace at ``len(offsets)`` points per column, from the last pass's input ``rows``.

    The model's corrections are relative to the spline through ``rows`` (what
    it was trained to correct); points outside the corrected ``columns`` lie
    on the spline through the corrected centres.
    """
    k = len(offsets)
    where = points_columns(rows.size, k)
    before = points_spline(rows, where)
    centres = rows.copy()
    centres[columns] += corrections[:, 0]
    out = points_spline(centres, where)
    for i, offset in enumerate(offsets):
        point = columns * k + k // 2 + int(round(offset * k))
        out[point] = before[point] + corrections[:, i]
    return out


def _refine_once(rows: list[np.ndarray], darkness: np.ndarray, first_column: int, px_per_mm: float,
                 model: ColumnModel, mirrored: bool = False
                 ) -> tuple[list[np.ndarray], list[np.ndarray], list[np.ndarray]]:
    """One pass of ``rows_refine``: all rows' candidate columns go through the network in one batch.

    With ``mirrored``, the network also reads every patch mirrored left to
    right, and the two readings are averaged (``_read_both_ways``). Returns
    the rows with their candidate columns' centres moved, the candidate
    columns of each row, and their corrections (px, one column per offset).
    """
    config = model.config
    chosen = [column_candidates(r, px_per_mm, config.min_step_mm) for r in rows]
    width = len(config.offsets)
    if not any(c.size for c in chosen):
        return [r.copy() for r in rows], chosen, [np.zeros((0, width)) for _ in rows]
    inputs = [column_features(darkness, r, first_column, c, px_per_mm, config) for r, c in zip(rows, chosen)]
    device = next(model.parameters()).device
    patch = torch.from_numpy(np.concatenate([p for p, _ in inputs])).to(device)
    neighbours = torch.from_numpy(np.concatenate([n for _, n in inputs])).to(device)
    scale = torch.full((patch.shape[0],), float(px_per_mm), device=device)
    with torch.inference_mode():
        correction = _read_both_ways(model, patch, neighbours, scale) if mirrored else \
            model(patch, neighbours, scale)[0]
    correction = correction.float().cpu().numpy().astype(np.float64) * px_per_mm
    out, corrections, start = [], [], 0
    for r, c in zip(rows, chosen):
        r = r.copy()
        r[c] += correction[start:start + c.size, 0]
        corrections.append(correction[start:start + c.size])
        start += c.size
        out.append(r)
    return out, chosen, corrections


def _read_both_ways(model: ColumnModel, patch: torch.Tensor, neighbours: torch.Tensor, scale: torch.Tensor
                    ) -> torch.Tensor:
    """The mean of the model's corrections for the patches and for the patches mirrored left to right.

    A stroke read from its mirror image is the same stroke, with the points
    either side of the centre swapped, but the network, trained on ECG
    strokes as they come, reads the two a little differently: their mean
    has less of its error. Masked SNR (learned, NaN unplotted) on eik-dev
    clean / aug / wrinkle / varied: 23.30 / 16.41 / 18.24 / 18.22 dB
    without, 23.50 / 16.44 / 18.26 / 18.22 with it in the last pass (about
    0.01 s a page), 23.54 / 16.46 / 18.24 / 18.29 in all three passes (0.04
    s a page). Mirrored up and down as well (four readings, every pass):
    23.55 / 16.50 / 18.28 / 18.32. On the renderer's pages of validation
    records (clean 200 dpi, 20 records; aug and wrinkle 100 dpi, 8 records),
    in the last pass: 19.70 / 10.24 / 5.95 -> 19.73 / 10.27 / 5.94.
    """
    offsets = model.config.offsets
    swap = [offsets.index(-o) for o in offsets]                      # each point's mirror image
    straight, _ = model(patch, neighbours, scale)
    mirrored, _ = model(patch.flip(2), neighbours.flip(1), scale)
    return (straight + mirrored[:, swap]) / 2.0


def column_model_save(path: str, model: ColumnModel) -> None:
    """Write the column model to ``path`` (plain data, see ``models.weights``)."""
    model_save(path, model, _KIND)


def column_model_load(path: str, device: str = "cpu") -> ColumnModel:
    """The column model saved at ``path`` (or a training checkpoint of it), in eval mode."""
    return model_load(path, ColumnModel, ColumnModelConfig, _KIND, device)
