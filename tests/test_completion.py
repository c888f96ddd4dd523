"""signal_complete: what it fills, what it never touches, determinism, and the weight file."""
import numpy as np
import pytest
import torch

from ecgdigitizer.completion import (CONFIDENCE_THRESHOLD, MODEL_WEIGHT, signal_complete, signal_model_load,
                                     signal_model_save)
from ecgdigitizer.layouts import STANDARD_LEADS
from ecgdigitizer.models import SignalModel, SignalModelConfig
from ecgdigitizer.training.signal_data import layout_mask
from test_signal_model import synthetic_record

FS = 500.0
N = 5000


@pytest.fixture(scope="module")
def model():
    """A tiny untrained model whose head is not zero, so its output differs from the prior."""
    torch.manual_seed(0)
    m = SignalModel(SignalModelConfig(widths=(16, 16, 32), kernel_size=5, attn_layers=1, attn_heads=2))
    torch.nn.init.normal_(m.head[-1].weight, std=0.05)
    return m.eval()


@pytest.fixture(scope="module")
def page():
    """A 10-s 500-Hz record (N, 12) and the same with NaN outside a 3x4+1 page's windows."""
    x, _ = synthetic_record(T=N, fs=FS)
    full = x.T.astype(np.float64)
    seen = layout_mask("3x4+1", N).T
    return full, np.where(seen, full, np.nan)


def test_fills_unseen_and_keeps_seen(model, page):
    _, partial = page
    result = signal_complete(partial, FS, list(STANDARD_LEADS), model)
    seen = np.isfinite(partial)
    assert result.signal.shape == partial.shape and np.isfinite(result.signal).all()
    np.testing.assert_array_equal(result.signal[seen], partial[seen])
    np.testing.assert_array_equal(result.generated, ~seen)


def test_completion_off_leaves_nan(model, page):
    _, partial = page
    result = signal_complete(partial, FS, list(STANDARD_LEADS), model, complete=False)
    seen = np.isfinite(partial)
    assert np.isnan(result.signal[~seen]).all()
    np.testing.assert_array_equal(result.signal[seen], partial[seen])
    assert not result.generated.any()


class ShiftModel(SignalModel):
    """Corrects its first guess by +1 mV everywhere: makes the blending rule visible."""

    def forward(self, values, mask, confidence, target=None, prior=None, prior_mask=None):
        return torch.where(prior_mask > 0, prior, values * mask) + 1.0, None


def test_low_confidence_is_blended_high_confidence_is_kept():
    fs = 100.0                                      # the model's own rate: no resampling blurs the rule
    x, _ = synthetic_record(T=1000, fs=fs)
    seen = layout_mask("3x4+1", 1000).T
    partial = np.where(seen, x.T.astype(np.float64), np.nan)
    rng = np.random.default_rng(0)
    confidence = np.where(seen, rng.uniform(0, 1, partial.shape), 0.0)
    model = ShiftModel(SignalModelConfig(widths=(16, 16), attn_layers=0)).eval()
    result = signal_complete(partial, fs, list(STANDARD_LEADS), model, confidence=confidence, model_weight=1.0)
    keep = seen & (confidence >= CONFIDENCE_THRESHOLD)
    low = seen & (confidence < CONFIDENCE_THRESHOLD)
    assert keep.any() and low.any()
    np.testing.assert_array_equal(result.signal[keep], partial[keep])
    weight = confidence[low] / CONFIDENCE_THRESHOLD
    np.testing.assert_allclose(result.signal[low], partial[low] + (1 - weight), atol=1e-6)   # the model is float32
    np.testing.assert_array_equal(result.generated, ~keep)
    prior = signal_complete(partial, fs, list(STANDARD_LEADS), None).signal   # the classical guess alone
    np.testing.assert_allclose(result.signal[~seen], prior[~seen] + 1.0, atol=1e-6)
    # by default only MODEL_WEIGHT of the model's correction is added to the prior
    shared = signal_complete(partial, fs, list(STANDARD_LEADS), model, confidence=confidence)
    np.testing.assert_allclose(shared.signal[low], partial[low] + MODEL_WEIGHT * (1 - weight), atol=1e-6)


def test_a_sharp_qrs_is_copied_at_the_record_s_rate():
    # a 4-ms QRS is too sharp for the model's 100 Hz: it must be copied at 500 Hz
    x, beats = synthetic_record(T=N, fs=FS, qrs_s=0.004)
    full = x.T.astype(np.float64)
    seen = layout_mask("3x4+1", N).T
    untrained = SignalModel(SignalModelConfig(widths=(16, 16), attn_layers=0)).eval()   # returns its prior
    result = signal_complete(np.where(seen, full, np.nan), FS, list(STANDARD_LEADS), untrained)
    v1 = STANDARD_LEADS.index("V1")
    peaks = np.round(beats * FS).astype(int)
    unseen_peaks = peaks[~seen[peaks, v1]]
    assert len(unseen_peaks) >= 6
    np.testing.assert_allclose(result.signal[unseen_peaks, v1], full[unseen_peaks, v1], rtol=0.05)


def test_cpu_results_are_deterministic(model, page):
    _, partial = page
    a = signal_complete(partial, FS, list(STANDARD_LEADS), model).signal
    b = signal_complete(partial, FS, list(STANDARD_LEADS), model).signal
    np.testing.assert_array_equal(a, b)


def test_lead_names_missing_and_nonstandard_leads(model, page):
    _, partial = page
    order = [6, 0, 3, 1]                                       # V1, I, aVR, II only
    names = ["v1", "i", "AVR", "II", "Pacer"]
    signal = np.concatenate([partial[:, order], np.full((N, 1), np.nan)], axis=1)
    result = signal_complete(signal, FS, names, model)
    assert np.isfinite(result.signal[:, :4]).all()
    assert np.isnan(result.signal[:, 4]).all() and not result.generated[:, 4].any()
    seen = np.isfinite(signal)
    np.testing.assert_array_equal(result.signal[seen], signal[seen])


def test_other_rate_and_no_model(page):
    _, partial = page
    x = partial[::2]                                           # 250 Hz
    result = signal_complete(x, FS / 2, list(STANDARD_LEADS), None)
    seen = np.isfinite(x)
    np.testing.assert_array_equal(result.signal[seen], x[seen])
    assert np.isfinite(result.signal).mean() > 0.9


def test_bad_input_raises(model, page):
    _, partial = page
    with pytest.raises(ValueError, match="lead names"):
        signal_complete(partial, FS, list(STANDARD_LEADS)[:11], model)
    with pytest.raises(ValueError, match="confidence"):
        signal_complete(partial, FS, list(STANDARD_LEADS), model, confidence=np.ones((10, 12)))
    with pytest.raises(ValueError, match="fs"):
        signal_complete(partial, 0, list(STANDARD_LEADS), model)


def test_save_load_round_trip(model, page, tmp_path):
    _, partial = page
    path = str(tmp_path / "signal_model.pt")
    signal_model_save(path, model)
    loaded = signal_model_load(path)
    assert loaded.config == model.config and not loaded.training
    for (k, a), (_, b) in zip(model.state_dict().items(), loaded.state_dict().items()):
        torch.testing.assert_close(a, b, rtol=0, atol=0, msg=k)
    np.testing.assert_array_equal(signal_complete(partial, FS, list(STANDARD_LEADS), model).signal,
                                  signal_complete(partial, FS, list(STANDARD_LEADS), loaded).signal)


def test_load_refuses_other_files(tmp_path):
    with pytest.raises(FileNotFoundError):
        signal_model_load(str(tmp_path / "missing.pt"))
    other = str(tmp_path / "other.pt")
    torch.save({"weights": torch.zeros(3)}, other)
    with pytest.raises(ValueError, match="not a ecgdigitizer.signal_model file"):
        signal_model_load(other)
