"""Training data for the signal model: real records, page-layout masks, extraction-like errors.

``SignalWindowDataset`` holds a set of WFDB records resampled to the model's
rate and serves, for each index, one 10-s window with what a page would have
shown of it and how an extractor might have got it wrong:

* **masks imitating layouts** (``ecgdigitizer.layouts``): each lead is seen only
  in its column's time window, rhythm-strip leads over the whole page; the
  column edges move by up to 40 ms, and sometimes a whole lead is missing;
* **extraction-like corruptions** of the seen samples: a baseline offset and a
  gain error per lead window, a sub-sample time shift, white noise, short
  dropouts (seen -> unseen) and glitches (a span following a wrong trace);
  confidence is high on clean samples and low inside glitches.

Every sample is a pure function of ``(seed, index)``, so a dataset is the same
in every worker, on every rank and after a resume.
"""
from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
import torch
import wfdb
from scipy.signal import resample_poly
from torch.utils.data import Dataset

from ..layouts import LAYOUTS, STANDARD_LEADS, lead_name_normalize, lead_window
from ..models.signal_prior import signal_prior_fill

__all__ = ["HELD_OUT_RECORDS", "SignalDataConfig", "SignalWindowDataset", "records_split",
           "record_load_resampled", "layout_mask"]

logger = logging.getLogger(__name__)

# The 16 records the project's benchmark images (../shared/data/eik-dev) are
# rendered from. They are never used for training or validation, so that the
# benchmark and the held-out evaluation of the signal model measure records the
# model has not seen. Keys are "<source folder>/<record name>".
HELD_OUT_RECORDS = frozenset({
    "ptbxl/00001_hr", "ptbxl/00002_hr", "ptbxl/00007_hr", "ptbxl/00008_hr",
    "ludb/ludb_009", "ludb/ludb_030", "ludb/ludb_049", "ludb/ludb_073",
    "georgia/E00001", "georgia/E00004", "georgia/E00006", "georgia/E00009",
    "chapman_ningbo/JS00004", "chapman_ningbo/JS00007", "chapman_ningbo/JS45547", "chapman_ningbo/JS45549",
})


@dataclass(frozen=True)
class SignalDataConfig:
    fs: float = 100.0              # Hz, must equal SignalModelConfig.fs
    window_s: float = 10.0         # s per training window: 1000 samples at 100 Hz, a multiple of the U-Net stride (8)
    page_s: float = 10.0           # s shown by a page; the layout windows split this
    # layout name -> probability; 3x4+1 is the commonest printed page
    layouts: tuple[tuple[str, float], ...] = (("3x4+1", 0.35), ("3x4", 0.1), ("3x4+3", 0.15), ("6x2", 0.1),
                                              ("6x2+1", 0.05), ("2x6", 0.1), ("12x1", 0.05), ("random", 0.1))
    edge_jitter_s: float = 0.04    # column edges move by up to this
    missing_lead_p: float = 0.05   # probability that a lead is absent altogether
    offset_mv: float = 0.05        # s.d. of the baseline offset per lead window
    gain_sd: float = 0.03          # s.d. of the relative gain error per lead window
    shift_samples: float = 0.5     # max |time shift| per lead window, samples at fs
    noise_mv: float = 0.03         # max s.d. of white noise
    dropouts_per_lead: float = 0.3  # mean number of unseen gaps (50-300 ms) per lead
    glitch_p: float = 0.3          # probability per lead window of a 50-400 ms glitch
    amplitude_scale: float = 0.2   # whole-record gain drawn from [1 - a, 1 + a] (augmentation)


def records_split(record_paths: list[str], val_fraction: float = 0.1, seed: int = 0
                  ) -> tuple[list[str], list[str]]:
    """Drop ``HELD_OUT_RECORDS`` and split the rest into training and validation records (sorted)."""
    kept = sorted(p for p in record_paths if _record_key(p) not in HELD_OUT_RECORDS)
    if not kept:
        raise ValueError(f"records_split: no records left out of {len(record_paths)} after the held-out ones")
    order = np.random.default_rng(seed).permutation(len(kept))
    n_val = max(1, round(val_fraction * len(kept))) if len(kept) > 1 else 0
    val = sorted(kept[i] for i in order[:n_val])
    train = sorted(kept[i] for i in order[n_val:])
    return train, val


def _record_key(path: str) -> str:
    parts = os.path.normpath(path).split(os.sep)
    return "/".join(parts[-2:])


def record_load_resampled(path: str, fs: float) -> np.ndarray:
    """(12, T) float32 mV of a WFDB record in ``STANDARD_LEADS`` order, resampled to ``fs``.

    Leads the record lacks are NaN.
    """
    signal, fields = wfdb.rdsamp(path)
    names = [lead_name_normalize(n) for n in fields["sig_name"]]
    ratio = Fraction(fs / fields["fs"]).limit_denominator(1000)
    x = resample_poly(np.nan_to_num(signal.T), ratio.numerator, ratio.denominator, axis=1)
    out = np.full((len(STANDARD_LEADS), x.shape[1]), np.nan, dtype=np.float32)
    for i, lead in enumerate(STANDARD_LEADS):
        if lead in names:
            out[i] = x[names.index(lead)]
    return out


def layout_mask(name: str, num_samples: int, page_samples: int | None = None) -> np.ndarray:
    """(12, num_samples) bool: what a page with layout ``name`` shows of a record.

    Lead in column ``c`` of ``n`` is seen in ``lead_window(c, n, page_samples)``;
    rhythm leads over the whole page. Samples past the page are unseen.
    """
    page = num_samples if page_samples is None else min(page_samples, num_samples)
    layout = LAYOUTS[name]
    mask = np.zeros((len(STANDARD_LEADS), num_samples), dtype=bool)
    for row in layout.grid:
        for c, lead in enumerate(row):
            start, end = lead_window(c, layout.num_columns, page)
            mask[STANDARD_LEADS.index(lead), start:end] = True
    for lead in layout.rhythm:
        mask[STANDARD_LEADS.index(lead), :page] = True
    return mask


class SignalWindowDataset(Dataset):
    """Random windows of records with page masks and extraction-like errors.

    Parameters
    ----------
    record_paths : list of str
        WFDB records (paths without extension), at least ``window_s`` long.
    config : SignalDataConfig
    length : int
        Number of distinct samples (index ``i`` uses record ``i % len(records)``).
    seed : int
        Different seeds give different windows, masks and errors.

    Each item is a dict of float32 tensors, (12, T) each: ``values`` (0 where
    unseen), ``mask``, ``confidence``, ``prior``, ``prior_mask`` and ``target``
    (the clean window).
    """

    def __init__(self, record_paths: list[str], config: SignalDataConfig, *, length: int, seed: int = 0):
        if not record_paths:
            raise ValueError("SignalWindowDataset: no records given")
        self.config, self.length, self.seed = config, length, seed
        self.window = round(config.window_s * config.fs)
        self.records = []
        for path in sorted(record_paths):
            x = record_load_resampled(path, config.fs)
            if x.shape[1] < self.window:
                logger.warning("%s: %.1f s is shorter than the %.1f-s window; skipped",
                               path, x.shape[1] / config.fs, config.window_s)
                continue
            self.records.append(np.nan_to_num(x))
        if not self.records:
            raise ValueError(f"SignalWindowDataset: none of the {len(record_paths)} records is long enough")
        names, probs = zip(*config.layouts)
        self._layout_names, self._layout_p = names, np.asarray(probs) / np.sum(probs)

    def __len__(self) -> int:
        return self.length

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        cfg = self.config
        rng = np.random.default_rng((self.seed, index))
        record = self.records[index % len(self.records)]
        start = rng.integers(0, record.shape[1] - self.window + 1)
        target = record[:, start:start + self.window] * rng.uniform(1 - cfg.amplitude_scale, 1 + cfg.amplitude_scale)
        mask, segments = self._mask(rng)
        values, mask, confidence = self._corrupt(target, mask, segments, rng)
        prior, prior_mask = signal_prior_fill(values, mask, cfg.fs)
        items = dict(values=np.where(mask, values, 0.0), mask=mask, confidence=confidence,
                     prior=prior, prior_mask=prior_mask, target=target)
        return {k: torch.from_numpy(np.ascontiguousarray(v, dtype=np.float32)) for k, v in items.items()}

    # ----------------------------------------------------------------- masks

    def _mask(self, rng) -> tuple[np.ndarray, list[tuple[int, int, int]]]:
        """Seen mask (12, T) and the seen segments as (lead, start, end)."""
        cfg, T = self.config, self.window
        page = round(cfg.page_s * cfg.fs)
        name = rng.choice(self._layout_names, p=self._layout_p)
        jitter = round(cfg.edge_jitter_s * cfg.fs)
        segments = []
        if name == "random":  # every lead seen in one random stretch of 1-10 s
            for lead in range(len(STANDARD_LEADS)):
                n = rng.integers(round(1 * cfg.fs), page + 1)
                s = rng.integers(0, page - n + 1)
                segments.append((lead, s, s + n))
        else:
            layout = LAYOUTS[name]
            for row in layout.grid:
                for c, lead in enumerate(row):
                    s, e = lead_window(c, layout.num_columns, page)
                    s = max(0, s + rng.integers(-jitter, jitter + 1))
                    e = min(page, e + rng.integers(-jitter, jitter + 1))
                    segments.append((STANDARD_LEADS.index(lead), s, e))
            segments += [(STANDARD_LEADS.index(lead), 0, page) for lead in layout.rhythm]
        missing = rng.random(len(STANDARD_LEADS)) < cfg.missing_lead_p
        segments = [seg for seg in segments if not missing[seg[0]]]
        mask = np.zeros((len(STANDARD_LEADS), T), dtype=bool)
        for lead, s, e in segments:
            mask[lead, s:e] = True
        return mask, segments

    # ---------------------------------------------------------- corruptions

    def _corrupt(self, target, mask, segments, rng):
        """Seen values with extraction-like errors, the mask after dropouts, and a confidence."""
        cfg, T = self.config, self.window
        values = np.zeros_like(target)
        confidence = np.where(mask, rng.uniform(0.8, 1.0, size=mask.shape), 0.0).astype(np.float32)
        t = np.arange(T)
        for lead, s, e in segments:
            shift = rng.uniform(-cfg.shift_samples, cfg.shift_samples)
            seg = np.interp(t[s:e] + shift, t, target[lead])
            seg = seg * (1 + rng.normal(0, cfg.gain_sd)) + rng.normal(0, cfg.offset_mv)
            seg = seg + rng.normal(0, rng.uniform(0, cfg.noise_mv), size=e - s)
            if rng.random() < cfg.glitch_p and e - s > 10:   # the trace follows something else for a while
                n = min(e - s, rng.integers(round(0.05 * cfg.fs), round(0.4 * cfg.fs) + 1))
                g = rng.integers(0, e - s - n + 1)
                if rng.random() < 0.5:
                    other = rng.integers(len(STANDARD_LEADS))
                    seg[g:g + n] = target[other, s + g:s + g + n] + rng.normal(0, 0.3)
                else:
                    seg[g:g + n] += rng.normal(0, 0.5) + rng.normal(0, 0.1, size=n)
                confidence[lead, s + g:s + g + n] = rng.uniform(0.05, 0.4)
            values[lead, s:e] = seg
        for lead in range(len(STANDARD_LEADS)):                 # short gaps in the extracted trace
            for _ in range(rng.poisson(cfg.dropouts_per_lead)):
                n = rng.integers(round(0.05 * cfg.fs), round(0.3 * cfg.fs) + 1)
                s = rng.integers(0, T - n + 1)
                mask[lead, s:s + n] = False
        confidence[~mask] = 0.0
        return values, mask, confidence
