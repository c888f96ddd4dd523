"""A torch ``Dataset`` that renders pages on the fly for training.

Item ``i`` is a pure function of ``(i, seed)``: the record is
``record_paths[i // pages_per_record]``, the window is page
``(i % pages_per_record) % number_of_windows`` of that record, and every other
draw (layout, resolution, style, distortions) comes from
``numpy.random.default_rng([seed, i])``. Workers of a ``DataLoader`` therefore
give the same pages as the main process.
"""
from __future__ import annotations

import numpy as np
from torch.utils.data import Dataset

from .folder import page_windows, record_read
from .page import PageStyle, page_seconds
from .page_render import page_render

__all__ = ["RenderedPageDataset"]


class RenderedPageDataset(Dataset):
    """Rendered pages of WFDB records with their signals and exact ground truth.

    Parameters
    ----------
    record_paths : list of str
        WFDB records (paths without extension).
    preset : str
        "clean", "aug", "wrinkle", "varied" or "hard".
    layouts : tuple of str
        Drawn uniformly per item.
    dpi : int or (int, int)
        A fixed resolution, or an inclusive range drawn uniformly per item.
    seed : int
    pages_per_record : int
        Items per record; item ``i`` shows window ``(i % pages_per_record)``
        (modulo the record's number of 10-s windows).

    Items are dicts with ``image`` ((H, W, 3) uint8 RGB), ``signal`` ((N, L)
    float32 mV, the window drawn), ``fs``, ``lead_names``, ``ground_truth``,
    ``trace_mask`` ((H, W) uint8), ``layout`` and ``record``. Pages of different
    resolutions differ in size: batch them with a collate function that
    resizes or crops.
    """

    def __init__(self, record_paths: list[str], *, preset: str = "clean", layouts: tuple[str, ...] = ("3x4+1",),
                 dpi: int | tuple[int, int] = (100, 200), seed: int = 0, pages_per_record: int = 1):
        if not record_paths:
            raise ValueError("RenderedPageDataset: record_paths is empty")
        if pages_per_record < 1:
            raise ValueError(f"RenderedPageDataset: pages_per_record must be >= 1, got {pages_per_record}")
        self.record_paths = list(record_paths)
        self.preset = preset
        self.layouts = tuple(layouts)
        self.dpi = dpi
        self.seed = seed
        self.pages_per_record = pages_per_record

    def __len__(self) -> int:
        return len(self.record_paths) * self.pages_per_record

    def __getitem__(self, i: int) -> dict:
        if not -len(self) <= i < len(self):
            raise IndexError(f"RenderedPageDataset: index {i} out of range for {len(self)} items")
        i = i % len(self)
        record = self.record_paths[i // self.pages_per_record]
        rng = np.random.default_rng([self.seed, i])
        signal, fs, names = record_read(record)
        seconds = page_seconds(PageStyle())
        starts = page_windows(len(signal), fs, seconds)
        start = starts[(i % self.pages_per_record) % len(starts)]
        layout = self.layouts[int(rng.integers(len(self.layouts)))]
        dpi = int(self.dpi) if np.isscalar(self.dpi) else int(rng.integers(self.dpi[0], self.dpi[1] + 1))
        page = page_render(signal, fs, names, layout=layout, dpi=dpi, preset=self.preset, seed=rng,
                           start_sample=start)
        window = signal[start:start + round(seconds * fs)].astype(np.float32)
        return {"image": page.image, "signal": window, "fs": fs, "lead_names": names,
                "ground_truth": page.ground_truth, "trace_mask": page.trace_mask, "layout": page.layout,
                "record": record}
