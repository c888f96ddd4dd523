"""Complete and correct a digitized 12-lead record with the signal model.

The digitizer hands over what the page showed: a (num_samples, num_leads)
signal in mV at the header's rate, NaN where no trace was drawn, and
optionally a per-sample confidence of the extraction. ``signal_complete``

* fills every unseen sample of the standard leads from the model (with
  ``complete=False`` they stay NaN);
* keeps every seen sample whose confidence is at least
  ``CONFIDENCE_THRESHOLD`` exactly as the image gave it;
* blends seen samples with lower confidence ``c`` toward the model:
  ``w * image + (1 - w) * model`` with ``w = c / CONFIDENCE_THRESHOLD``.

The model's output is used as a correction of the classical prior
(``signal_prior``: lead relations and beat-synchronous copy). The prior is
computed twice with the same beats: at the model's 100 Hz as the model's input,
and at the record's rate, which keeps the QRS detail 100 Hz cannot hold. The
estimate is the record-rate prior plus ``MODEL_WEIGHT`` times the model's
correction (its output minus its input prior), resampled; where the prior does
not reach, it is the model's output.

``CompletionResult.generated`` marks every sample whose value came, wholly or
partly, from the model. Leads are matched by ``lead_name_normalize``
(``avr`` is ``aVR``); standard leads the record lacks are treated as unseen
inputs, and non-standard leads pass through untouched.

Weights are stored as a plain dictionary (config as a dict, tensors as a
state dict) and read with ``torch.load(weights_only=True)``: loading a model
file never runs code from it.
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np
import torch
from scipy.signal import resample_poly

from .layouts import STANDARD_LEADS, lead_name_normalize
from .models.signal_model import SignalModel, SignalModelConfig
from .models.signal_prior import beats_detect, signal_prior_fill
from .models.weights import model_load, model_save

__all__ = ["CONFIDENCE_THRESHOLD", "MODEL_WEIGHT", "SIGNAL_MODEL_FILE", "CompletionResult", "signal_complete",
           "signal_model_save", "signal_model_load"]

CONFIDENCE_THRESHOLD = 0.5   # seen samples at or above this confidence are never changed
# Share of the model's correction added to the classical prior. On the signal
# model's validation records (``python bench/bench_completion_weight.py``) the
# best share is 0.25 when a page's windows are read exactly and 1.0 when they
# carry the training data's extraction errors (which the prior copies into every
# beat); a real page lies between the two.
MODEL_WEIGHT = 0.5
SIGNAL_MODEL_FILE = "signal_model.pt"
_KIND = "ecgdigitizer.signal_model"   # the format name inside the weight file


@dataclass(frozen=True)
class CompletionResult:
    """Output of ``signal_complete``.

    Attributes
    ----------
    signal : (num_samples, num_leads) float64 ndarray
        mV; NaN only where nothing was seen and completion was off (or the
        lead is non-standard and unseen).
    generated : (num_samples, num_leads) bool ndarray
        True where the value came from the model rather than the image.
    """
    signal: np.ndarray
    generated: np.ndarray


def signal_complete(signal: np.ndarray, fs: float, lead_names: list[str], model: SignalModel | None, *,
                    confidence: np.ndarray | None = None, complete: bool = True,
                    threshold: float = CONFIDENCE_THRESHOLD, model_weight: float = MODEL_WEIGHT) -> CompletionResult:
    """Fill the unseen parts of a record and correct its doubtful samples.

    Parameters
    ----------
    signal : (num_samples, num_leads) float ndarray
        mV at ``fs``, NaN where the image showed nothing.
    fs : float
        Sampling rate in Hz (the header's).
    lead_names : list of str, length num_leads
    model : SignalModel or None
        From ``signal_model_load``. ``None`` uses the classical prior only
        (limb-lead relations and beat-synchronous copy), where it reaches.
    confidence : (num_samples, num_leads) float ndarray, optional
        In [0, 1]; 1 for every seen sample when omitted. NaN counts as 0.
    complete : bool
        Fill unseen samples (default); ``False`` leaves them NaN.
    threshold : float
        Confidence at or above which a seen sample is kept as it is.
    model_weight : float
        Share of the model's correction added to the prior (0: the prior alone).

    Returns
    -------
    CompletionResult

    Raises
    ------
    ValueError
        When shapes, lead names or ``fs`` do not fit together.
    """
    signal = np.asarray(signal, dtype=np.float64)
    if signal.ndim != 2 or signal.shape[1] != len(lead_names):
        raise ValueError(f"signal_complete: signal has shape {signal.shape}; expected "
                         f"(num_samples, {len(lead_names)}) for lead names {list(lead_names)}")
    if not fs > 0:
        raise ValueError(f"signal_complete: fs must be positive, got {fs}")
    seen = np.isfinite(signal)
    if confidence is None:
        confidence = seen.astype(np.float64)
    else:
        confidence = np.asarray(confidence, dtype=np.float64)
        if confidence.shape != signal.shape:
            raise ValueError(f"signal_complete: confidence has shape {confidence.shape}, signal {signal.shape}")
        confidence = np.where(seen, np.clip(np.nan_to_num(confidence), 0.0, 1.0), 0.0)
    columns = _standard_columns(lead_names)                    # standard lead index -> first column
    out = signal.copy()
    generated = np.zeros(signal.shape, dtype=bool)
    if not columns or signal.shape[0] == 0:
        return CompletionResult(out, generated)

    model_fs = model.config.fs if model is not None else fs
    x = np.zeros((len(STANDARD_LEADS), signal.shape[0]))      # (12, N) at fs
    w = np.zeros_like(x)
    c = np.zeros_like(x)
    for lead, col in columns.items():
        x[lead] = np.where(seen[:, col], signal[:, col], 0.0)
        w[lead] = seen[:, col]
        c[lead] = confidence[:, col]
    values, mask, conf = _to_rate(x, w, c, fs, model_fs)      # (12, T) at model_fs
    beats = beats_detect(values, mask, model_fs)
    prior, prior_mask = signal_prior_fill(values, mask, model_fs, beats)
    base = np.where(prior_mask, prior, values)                 # what the model corrects
    output = base if model is None else _model_run(model, values, mask, conf, prior, prior_mask)
    # the prior again at the record's own rate, with the same beats
    fine, fine_mask = signal_prior_fill(x, w > 0, fs, beats * fs / model_fs)
    correction = _from_rate(output - base, model_fs, fs, signal.shape[0])
    estimate = np.where(fine_mask, fine + model_weight * correction,
                        _from_rate(output, model_fs, fs, signal.shape[0]))   # (12, N) at fs

    for col, name in enumerate(lead_names):
        lead = _lead_index(name)
        if lead is None:
            continue
        est = estimate[lead]
        s, conf_col = seen[:, col], confidence[:, col]
        low = s & (conf_col < threshold)
        weight = conf_col[low] / threshold
        out[low, col] = weight * signal[low, col] + (1 - weight) * est[low]
        generated[low, col] = True
        if complete:
            out[~s, col] = est[~s]
            generated[~s, col] = True
    return CompletionResult(out, generated)


def _lead_index(name: str) -> int | None:
    lead = lead_name_normalize(name)
    return STANDARD_LEADS.index(lead) if lead in STANDARD_LEADS else None


def _standard_columns(lead_names: list[str]) -> dict[int, int]:
    """Standard lead index -> the first column holding it."""
    columns = {}
    for col, name in enumerate(lead_names):
        lead = _lead_index(name)
        if lead is not None and lead not in columns:
            columns[lead] = col
    return columns


def _ratio(fs_from: float, fs_to: float) -> tuple[int, int]:
    r = Fraction(fs_to / fs_from).limit_denominator(1000)
    return r.numerator, r.denominator


def _to_rate(x, w, c, fs, model_fs):
    """Seen values, mask and confidence (12, T) at the model's rate, T padded for the U-Net.

    Normalised convolution: the low-pass resampler runs on ``x * w`` and on
    ``w``, and their ratio is the value wherever more than half of the
    neighbourhood was seen, so the unseen zeros do not pull the edges down.
    """
    if fs == model_fs:
        num, den, cw = x * w, w, c * w
    else:
        up, down = _ratio(fs, model_fs)
        num, den, cw = (resample_poly(a, up, down, axis=1) for a in (x * w, w, c * w))
    mask = den > 0.5
    safe = np.where(mask, den, 1.0)
    values = np.where(mask, num / safe, 0.0)
    conf = np.where(mask, np.clip(cw / safe, 0.0, 1.0), 0.0)
    return values, mask, conf


def _from_rate(y, model_fs, fs, num_samples):
    """(12, T) at the model's rate -> (12, num_samples) at ``fs``."""
    if model_fs != fs:
        up, down = _ratio(model_fs, fs)
        y = resample_poly(y, up, down, axis=1)
    if y.shape[1] < num_samples:
        y = np.pad(y, ((0, 0), (0, num_samples - y.shape[1])), mode="edge")
    return y[:, :num_samples]


def _model_run(model: SignalModel, values, mask, conf, prior, prior_mask) -> np.ndarray:
    """The model's full record (12, T) for one record's seen values and prior (each (12, T))."""
    T = values.shape[1]
    pad = (-T) % model.config.stride
    device = next(model.parameters()).device
    tensors = [torch.from_numpy(np.ascontiguousarray(np.pad(a, ((0, 0), (0, pad))), dtype=np.float32))[None].to(device)
               for a in (values, mask, conf, prior, prior_mask)]   # 5 x (1, 12, T + pad)
    with torch.inference_mode():
        output, _ = model(*tensors[:3], prior=tensors[3], prior_mask=tensors[4])
    return output[0, :, :T].float().cpu().numpy().astype(np.float64)


# --------------------------------------------------------------------- weights

def signal_model_save(path: str, model: SignalModel) -> None:
    """Write ``model``'s weights and config to ``path`` as plain data, atomically (``models.weights``)."""
    model_save(path, model, _KIND)


def signal_model_load(path: str, device: str = "cpu") -> SignalModel:
    """The model saved at ``path`` (by ``signal_model_save`` or a ``train_loop`` checkpoint), in eval mode.

    Raises
    ------
    FileNotFoundError
        When ``path`` does not exist.
    ValueError
        When the file holds something else than a signal model.
    """
    return model_load(path, SignalModel, SignalModelConfig, _KIND, device)
