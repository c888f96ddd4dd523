"""Tiny WFDB folders for the evaluation tests (reference and outputs made on the fly)."""
from __future__ import annotations

import os

import numpy as np

from ecgdigitizer.layouts import STANDARD_LEADS
from ecgdigitizer.records import header_parse, signal_write

FS = 500
N = 5000


def header_text(name: str, leads=STANDARD_LEADS, n: int = N, fs: int = FS, units: str = "mV",
                gain: float = 1000) -> str:
    lines = [f"{name} {len(leads)} {fs} {n}"]
    lines += [f"{name}.dat 16 {gain:g}(0)/{units} 16 0 0 0 0 {lead}" for lead in leads]
    return "\n".join(lines) + "\n"


def record_write(folder: str, name: str, signal: np.ndarray, leads=STANDARD_LEADS, fs: int = FS,
                 units: str = "mV", gain: float = 1000) -> str:
    os.makedirs(folder, exist_ok=True)
    header = header_parse(header_text(name, leads, signal.shape[0], fs, units, gain))
    path = os.path.join(folder, name)
    signal_write(path, signal, header)
    return path


def ecg_like(seed: int = 0, n: int = N, fs: int = FS, leads: int = 12) -> np.ndarray:
    """(n, leads) signals in mV: sharp beats at an irregular rhythm plus slow waves."""
    rng = np.random.default_rng(seed)
    t = np.arange(n) / fs
    x = np.zeros((n, leads))
    beats = np.cumsum(rng.uniform(0.7, 1.1, size=20))
    for j in range(leads):
        amp = rng.uniform(0.5, 1.5) * (1 if j % 3 else -1)
        for b in beats[beats < n / fs]:
            x[:, j] += amp * np.exp(-0.5 * ((t - b) / 0.012) ** 2)
            x[:, j] += 0.2 * amp * np.exp(-0.5 * ((t - b - 0.3) / 0.05) ** 2)
        x[:, j] += 0.05 * np.sin(2 * np.pi * (0.3 + 0.1 * j) * t)
    return np.round(x, 2)  # 10-uV steps: 0.9 x stays on WFDB's 1-uV grid, so scores are exact
