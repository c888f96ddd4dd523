"""A classical first guess of the unseen parts of a 12-lead record.

The signal model does not start from nothing: it refines this guess (its last
layer is a residual on top of it), which is what makes a small network trained
for minutes on two CPU cores useful. Two deterministic steps, in numpy:

1. **Limb-lead relations.** The six limb leads span a plane: with
   ``I`` and ``II`` known, ``III = II - I``, ``aVR = -(I + II) / 2``,
   ``aVL = I - II / 2`` and ``aVF = II - I / 2``. Wherever two independent limb
   leads are seen, the others follow by least squares (a 3x4 page shows I, II,
   III in its first column and aVR, aVL, aVF in its second).
2. **Beat-synchronous copy.** Beats are located once for the whole record
   (on the most-seen lead, usually the rhythm strip, else on all seen leads
   together). An unseen sample at offset ``d`` from its nearest beat takes the
   mean of the same lead at offset ``d`` from the other beats where that lead
   is seen, so a V1 seen for 2.5 s fills the other 7.5 s beat by beat.

Samples that neither step reaches (no beat with that lead seen, or a pause
longer than every seen RR) are left out of the prior (``prior_mask`` False).
"""
from __future__ import annotations

import numpy as np
from scipy.ndimage import maximum_filter1d, uniform_filter1d

from ..layouts import STANDARD_LEADS

__all__ = ["LIMB_BASIS", "signal_prior_fill", "beats_detect"]

# Each limb lead as a linear function of (I, II), in STANDARD_LEADS order (first six).
LIMB_BASIS = np.array([[1.0, 0.0], [0.0, 1.0], [-1.0, 1.0],
                       [-0.5, -0.5], [1.0, -0.5], [-0.5, 1.0]])
_NUM_LIMB = 6


def signal_prior_fill(values: np.ndarray, mask: np.ndarray, fs: float) -> tuple[np.ndarray, np.ndarray]:
    """First guess of a 12-lead record from the samples seen.

    Parameters
    ----------
    values : (12, T) float ndarray
        mV, in ``STANDARD_LEADS`` order; ignored where ``mask`` is False.
    mask : (12, T) bool ndarray
        True where a sample was seen.
    fs : float
        Sampling rate in Hz (the signal model works at 100 Hz).

    Returns
    -------
    prior : (12, T) float32 ndarray
        Seen values where seen, the guess where ``prior_mask`` is True, 0 elsewhere.
    prior_mask : (12, T) bool ndarray
        True where ``prior`` holds a seen value or a guess.
    """
    if values.shape != mask.shape or values.ndim != 2 or values.shape[0] != len(STANDARD_LEADS):
        raise ValueError(f"signal_prior_fill: values {values.shape} and mask {mask.shape} "
                         f"must both be (12, T)")
    mask = mask.astype(bool)
    x = np.where(mask, values, 0.0).astype(np.float64)
    prior, known = x.copy(), mask.copy()
    _limb_fill(x, mask, prior, known)
    beats = beats_detect(x, mask, fs)
    if len(beats) >= 2:
        for lead in range(len(STANDARD_LEADS)):
            if not known[lead].all() and mask[lead].any():
                _beat_copy(x[lead], mask[lead], beats, prior[lead], known[lead])
    return np.where(known, prior, 0.0).astype(np.float32), known


def _limb_fill(x: np.ndarray, mask: np.ndarray, prior: np.ndarray, known: np.ndarray) -> None:
    """Fill unseen limb leads where the seen ones span the limb plane (in place)."""
    limb_mask = mask[:_NUM_LIMB]                                # (6, T)
    codes = np.packbits(limb_mask, axis=0, bitorder="little")[0]  # (T,) one pattern id per sample
    for code in np.unique(codes):
        seen = limb_mask[:, codes == code][:, 0]                # (6,) which limb leads are seen
        basis = LIMB_BASIS[seen]
        if seen.all() or np.linalg.matrix_rank(basis) < 2:
            continue
        cols = codes == code
        plane = np.linalg.lstsq(basis, x[:_NUM_LIMB][seen][:, cols], rcond=None)[0]  # (2, n)
        derived = LIMB_BASIS @ plane                            # (6, n)
        fill = ~seen
        prior[:_NUM_LIMB][np.ix_(fill, cols)] = derived[fill]
        known[:_NUM_LIMB][np.ix_(fill, cols)] = True


def beats_detect(x: np.ndarray, mask: np.ndarray, fs: float) -> np.ndarray:
    """Sample indices of QRS complexes, from the seen samples of all leads.

    Uses the leads seen over at least 90 % of the record (rhythm strips) when
    there are any, else every seen sample. Each lead's absolute slope is
    divided by its median over the seen samples and squared (as in Pan and
    Tompkins 1985: steep QRS edges stand out from T waves), averaged over the
    leads seen at each instant and smoothed over 80 ms; its peaks at least
    250 ms apart (240 bpm) and above a third of the 99th percentile are beats.
    """
    coverage = mask.mean(axis=1)
    use = coverage >= 0.9 if (coverage >= 0.9).any() else coverage > 0
    if not use.any():
        return np.zeros(0, dtype=np.int64)
    slope = np.abs(np.diff(x[use], axis=1, prepend=x[use][:, :1])) * mask[use]
    slope[:, 1:] *= mask[use][:, :-1]                           # no slope across a gap edge
    scale = np.array([np.median(s[m]) if m.any() else 1.0 for s, m in zip(slope, mask[use])])
    weight = mask[use].sum(axis=0)
    energy = ((slope / np.maximum(scale, 1e-6)[:, None]) ** 2).sum(axis=0) / np.maximum(weight, 1)
    energy = uniform_filter1d(energy, max(1, round(0.08 * fs)))
    distance = max(1, round(0.25 * fs))
    peaks = (energy == maximum_filter1d(energy, 2 * distance + 1)) & (
        energy > np.percentile(energy, 99) / 3) & (weight > 0)
    idx = np.flatnonzero(peaks)
    keep = []  # plateaus can give equal neighbours: keep the first of any pair closer than `distance`
    for i in idx:
        if not keep or i - keep[-1] >= distance:
            keep.append(i)
    return np.asarray(keep, dtype=np.int64)


def _beat_copy(x: np.ndarray, seen: np.ndarray, beats: np.ndarray,
               prior: np.ndarray, known: np.ndarray) -> None:
    """Fill one lead's unknown samples with the mean of the same beat phase where seen (in place)."""
    T = len(x)
    t = np.arange(T)
    # nearest beat of every sample: split at the midpoints between beats
    nearest = np.searchsorted((beats[1:] + beats[:-1]) / 2, t)  # (T,)
    offset = t - beats[nearest]                                  # (T,)
    total, count = np.zeros(T), np.zeros(T)
    for j, r in enumerate(beats):
        src = r + offset                                         # same phase around beat j
        ok = (src >= 0) & (src < T) & (nearest != j)
        src_c = np.clip(src, 0, T - 1)
        ok &= seen[src_c] & (nearest[src_c] == j)
        total[ok] += x[src_c[ok]]
        count[ok] += 1
    fill = ~known & (count > 0)
    prior[fill] = total[fill] / count[fill]
    known[fill] = True
