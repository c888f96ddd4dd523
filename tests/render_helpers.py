"""Synthetic records for the renderer's tests (no data files needed)."""
from __future__ import annotations

import os

import numpy as np
import wfdb

LEADS12 = ["I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6"]


def synthetic_ecg(seconds: float = 10.0, fs: float = 500.0, leads: int = 12, seed: int = 0) -> np.ndarray:
    """(N, leads) mV: P, QRS and T bumps at 72 bpm with per-lead amplitudes, plus slight wander."""
    rng = np.random.default_rng(seed)
    t = np.arange(round(seconds * fs)) / fs
    out = np.zeros((len(t), leads))
    for j in range(leads):
        amp = rng.uniform(0.4, 1.6) * rng.choice([-1, 1])
        for beat in np.arange(0.3, seconds, 60 / 72):
            out[:, j] += 0.12 * np.exp(-((t - beat + 0.16) / 0.025) ** 2)
            out[:, j] += amp * np.exp(-((t - beat) / 0.012) ** 2)
            out[:, j] -= 0.2 * amp * np.exp(-((t - beat - 0.03) / 0.01) ** 2)
            out[:, j] += 0.25 * np.exp(-((t - beat - 0.3) / 0.05) ** 2)
        out[:, j] += 0.05 * np.sin(2 * np.pi * 0.3 * t + j)
    return out


def record_write(folder: str, name: str, signal: np.ndarray, fs: float, leads: list[str],
                 units: str = "mV") -> str:
    """Write a WFDB record (format 16) and return its path without extension."""
    os.makedirs(folder, exist_ok=True)
    scale = 1000.0 if units == "mV" else 1.0
    d = np.where(np.isfinite(signal), np.round(np.nan_to_num(signal) * scale), -32768).astype(np.int32)
    wfdb.wrsamp(name, fs=fs, units=[units] * len(leads), sig_name=list(leads), d_signal=d,
                fmt=["16"] * len(leads), adc_gain=[scale] * len(leads), baseline=[0] * len(leads),
                write_dir=folder)
    return os.path.join(folder, name)
