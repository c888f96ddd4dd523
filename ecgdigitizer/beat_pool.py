"""Beat pooling: what a lead's other beats say about one of its beats.

Two uses, both in ``digitize.rows_signal``:

* ``beats_pool``: a noisy page's QRS complexes pulled toward their lead's
  other beats;
* ``edges_from_beats``: the ends of each lead window, hidden by the page's
  vertical marks, copied from the lead's other beats (measured at
  ``digitize.MARK_BLANK_MM``).

On a noisy page each QRS complex is read with an error of its own. At 100 dpi
under ECG-Image-Kit's noise the trace is a line one or two pixels wide, each
pixel 50 to 75 grey levels darker than a paper that varies by 40, so a
narrow R wave's tip fades into the noise, or a speck bends a stroke, in one
beat and not the next. Most of the digitizer's error on such pages lies in
the QRS complexes.

Successive beats of one lead follow the same conduction path and are nearly
the same shape, while their reading errors are independent. So the mean
shape of a lead's other beats is a second reading of each beat, with the
errors partly averaged out. ``beats_pool`` moves each seen QRS window
(``half_s`` either side of its beat) a share ``weight`` of the way toward
that mean shape. The mean shape is set at the beat's own level (its window's
mean), so baseline wander does not travel from beat to beat. The move tapers
to nothing over ``taper_s`` at the window's ends.

Beats are found once for the whole record (``beats_typical``), as the
completion's prior finds them (``signal_prior.beats_detect``), and timed to a
fraction of a sample against the rhythm strip's median beat
(``signal_prior.beats_refine``). Only the beats whose window on the rhythm
strips correlates with the strips' median beat by at least
``min_correlation`` take part, as sources or as targets: an ectopic beat, or
a column edge taken for a beat, is left as read.
(Judged in each lead instead, the check dropped good beats of small, noisy
leads: eik-dev aug 15.86 dB against 15.96.) A lead needs three such beats
whose window it shows whole.

On a clean page the reading error is smaller than the true difference from
beat to beat, and pooling costs more than it gains, so the digitizer pools
only noisy pages (``digitize.rows_signal``).
"""
from __future__ import annotations

import numpy as np

from .models.signal_prior import beats_detect, beats_refine, same_phase_mean
from .spans import true_spans

__all__ = ["BEAT_POOL_WEIGHT", "beats_typical", "beats_pool", "edges_from_beats"]

# Share of the way each noisy page's QRS moves toward its lead's mean beat.
# Masked SNR (learned, NaN unplotted) on eik-dev aug / wrinkle / varied:
# 15.52 / 17.48 / 17.57 dB without pooling, 15.96 / 17.65 / 18.01 with it;
# with the noisy pages' mean of ink and model rows (``digitize._rows_guided``)
# as well, 16.00 / 17.74 / 17.98 at 0.2, 16.10 / 17.76 / 18.07 at 0.3 and
# 16.11 / 17.68 / 18.08 at 0.5. Pooling clean pages too: clean 22.45 -> 22.10.
# The renderer's 100-dpi pages of 8 validation records (aug / wrinkle, seed 5):
# 9.91 / 5.37 without pooling, 9.85 / 5.90 with it.
BEAT_POOL_WEIGHT = 0.3


def beats_typical(signal: np.ndarray, fs: float, *, half_s: float = 0.1, min_correlation: float = 0.9
                  ) -> np.ndarray:
    """The record's beats (float samples) that are like the rhythm strip's median beat.

    Beats are found and timed as the completion's prior finds them
    (``signal_prior.beats_detect``, ``beats_refine``); those whose ``±half_s``
    window on the rhythm strips (leads seen over at least 90 % of the record)
    correlates with the strips' median beat under ``min_correlation`` are
    dropped. Without a rhythm strip every beat is kept.

    Parameters
    ----------
    signal : (num_samples, num_leads) float ndarray
        mV, NaN where unseen.
    fs : float
        Sampling rate (Hz).
    """
    seen = np.isfinite(signal).T                                     # (leads, T)
    x = np.nan_to_num(np.asarray(signal, dtype=np.float64)).T
    beats = beats_refine(x, seen, beats_detect(x, seen, fs), fs)
    strips = np.flatnonzero(seen.mean(axis=1) >= 0.9)
    if strips.size == 0:
        return beats
    half = max(1, round(half_s * fs))
    offsets = np.arange(-half, half + 1, dtype=np.float64)
    found = [_windows(x[k], seen[k], beats, offsets) for k in strips]
    whole = np.logical_and.reduce([complete for complete, _ in found])
    if whole.sum() < 3:
        return beats[whole]
    shapes = np.concatenate([w[whole] - w[whole].mean(axis=1, keepdims=True) for _, w in found], axis=1)
    return beats[whole][_correlation(shapes, np.median(shapes, axis=0)) >= min_correlation]


def beats_pool(signal: np.ndarray, beats: np.ndarray, fs: float, weight: float = BEAT_POOL_WEIGHT, *,
               half_s: float = 0.1, taper_s: float = 0.02) -> np.ndarray:
    """Each lead's seen QRS windows moved ``weight`` of the way toward the mean of its other beats.

    Parameters
    ----------
    signal : (num_samples, num_leads) float ndarray
        mV, NaN where unseen.
    beats : (K,) float ndarray
        Beat times in samples (``beats_typical``).
    fs : float
        Sampling rate (Hz).
    weight : float
        0 leaves the signal as it is; 1 replaces each beat by the others' mean shape.

    Returns
    -------
    (num_samples, num_leads) float ndarray
        A copy; unseen samples stay NaN.
    """
    out = np.array(signal, dtype=np.float64)
    if weight <= 0 or out.size == 0:
        return out
    seen = np.isfinite(out)
    half = max(1, round(half_s * fs))
    offsets = np.arange(-half, half + 1, dtype=np.float64)
    ramp = max(1, round(taper_s * fs))
    position = np.arange(offsets.size)
    taper = np.minimum(1.0, np.minimum(position + 1, offsets.size - position) / ramp)
    x = np.nan_to_num(out)
    for j in range(out.shape[1]):
        out[:, j] = _lead_pool(x[:, j], seen[:, j], beats, offsets, weight * taper)
    out[~seen] = np.nan
    return out


def edges_from_beats(signal: np.ndarray, beats: np.ndarray, fs: float, edge_s: float) -> np.ndarray:
    """The first and last ``edge_s`` of each seen stretch of each lead, taken from the lead's other beats.

    Each sample takes the mean of the lead at the same time from its other
    beats (``beats``), read where the lead is seen outside any edge; the copy
    is then shifted to meet the sample next to the edge. An edge that some
    of its samples cannot be copied to stays as it was.

    Returns
    -------
    (num_samples, num_leads) float ndarray
        A copy; unseen samples stay NaN.
    """
    out = np.array(signal, dtype=np.float64)
    n = round(edge_s * fs)
    if n < 1 or beats.size < 3:
        return out
    for j in range(out.shape[1]):
        seen = np.isfinite(out[:, j])
        x = np.nan_to_num(out[:, j])
        edges = []                                                   # (samples, the seen sample beside them)
        for start, end in true_spans(seen):
            if end - start > 2 * n:
                edges += [(np.arange(start, start + n), start + n), (np.arange(end - n, end), end - n - 1)]
        trusted = seen.copy()
        for samples, _ in edges:
            trusted[samples] = False
        for samples, beside in edges:
            copy = same_phase_mean(x, trusted, beats, np.r_[samples, beside])
            if np.isfinite(copy).all():
                out[samples, j] = copy[:-1] + x[beside] - copy[-1]
    return out


def _lead_pool(x: np.ndarray, seen: np.ndarray, beats: np.ndarray, offsets: np.ndarray,
               weights: np.ndarray) -> np.ndarray:
    """One lead, its beats' windows (``offsets`` around each) moved by ``weights`` toward the others' mean."""
    complete, windows = _windows(x, seen, beats, offsets)
    times, windows = beats[complete], windows[complete]
    if len(windows) < 3:
        return x
    shapes = windows - windows.mean(axis=1, keepdims=True)
    total = shapes.sum(axis=0)
    out = x.copy()
    for time, window, shape in zip(times, windows, shapes):
        others = (total - shape) / (len(shapes) - 1)                # the other beats' mean shape
        move = weights * (others + window.mean() - window)          # at the window's fractional samples
        n = np.arange(int(np.ceil(time + offsets[0])), int(np.floor(time + offsets[-1])) + 1)
        out[n] += np.interp(n, time + offsets, move)
    return out


def _windows(x: np.ndarray, seen: np.ndarray, beats: np.ndarray, offsets: np.ndarray
             ) -> tuple[np.ndarray, np.ndarray]:
    """Whether each beat's window (``offsets`` around it) is wholly seen, and the window.

    Windows are read by linear interpolation. Returns ``(N,)`` bool and
    ``(N, len(offsets))`` float arrays; an incomplete window reads NaN.
    """
    windows = np.full((beats.size, offsets.size), np.nan)
    complete = np.zeros(beats.size, dtype=bool)
    for i, beat in enumerate(beats):
        where = beat + offsets
        left = np.floor(where).astype(np.int64)
        if left[0] < 0 or left[-1] + 1 >= x.size or not (seen[left].all() and seen[left + 1].all()):
            continue
        fraction = where - left
        complete[i] = True
        windows[i] = x[left] * (1 - fraction) + x[left + 1] * fraction
    return complete, windows


def _correlation(shapes: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """Pearson correlation of each row of ``shapes`` (zero-mean) with ``reference``."""
    reference = reference - reference.mean()
    norms = np.sqrt((shapes ** 2).sum(axis=1) * (reference ** 2).sum()) + 1e-12
    return shapes @ reference / norms
