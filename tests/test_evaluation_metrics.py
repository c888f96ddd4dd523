"""Signal metrics and alignment against hand-computed values."""
import numpy as np
import pytest

from ecgdigitizer.evaluation.alignment import Alignment, lead_align, signal_shift
from ecgdigitizer.evaluation.metrics import lead_metrics, snr_compute
from ecgdigitizer.evaluation.peaks import rpeaks_detect, rpeaks_match

REF = np.array([1.0, -1.0, 2.0, -2.0, 1.0, -1.0, 2.0, -2.0])  # P_signal = 2.5


def test_snr_hand_computed():
    est = 0.9 * REF  # noise 0.1 * ref -> P_noise = 0.025 -> 20 dB
    snr, cov = snr_compute(REF, est)
    assert snr == pytest.approx(20.0)
    assert cov == 1.0


def test_snr_nan_half_scales_by_coverage():
    est = 0.9 * REF
    est[4:] = np.nan
    snr, cov = snr_compute(REF, est)
    assert cov == 0.5
    assert snr == pytest.approx(10.0)  # 20 dB * 0.5


def test_snr_reference_nan_is_not_counted():
    ref = REF.copy()
    ref[:4] = np.nan          # unplotted samples in a masked reference
    est = 0.9 * REF           # the estimate fills them: no penalty, no credit
    snr, cov = snr_compute(ref, est)
    assert cov == 1.0 and snr == pytest.approx(20.0)


def test_snr_missing_lead_is_zero_and_perfect_is_nan():
    assert snr_compute(REF, np.full_like(REF, np.nan)) == (0.0, 0.0)
    snr, cov = snr_compute(REF, REF.copy())
    assert np.isnan(snr) and cov == 1.0


def test_mse_mae_rmse_pearson_r2_known_answers():
    ref = np.array([0.0, 1.0, 2.0, 3.0])
    m = lead_metrics(ref, np.array([0.0, 2.0, 4.0, 6.0]))
    # errors 0, 1, 2, 3: MSE 14/4, MAE 6/4; SST = 5, R^2 = 1 - 14/5
    assert m["mse"] == pytest.approx(3.5)
    assert m["mae"] == pytest.approx(1.5)
    assert m["rmse"] == pytest.approx(np.sqrt(3.5))
    assert m["pearson"] == pytest.approx(1.0)
    assert m["r2"] == pytest.approx(-1.8)
    anti = lead_metrics(ref, -ref)
    assert anti["pearson"] == pytest.approx(-1.0)
    assert anti["r2"] == pytest.approx(1 - 56 / 5)


def test_metrics_constant_estimate_has_no_correlation():
    m = lead_metrics(REF, np.zeros_like(REF))
    assert np.isnan(m["pearson"])
    assert m["r2"] == pytest.approx(1 - np.sum(REF ** 2) / np.sum((REF - REF.mean()) ** 2))
    assert m["snr"] == pytest.approx(0.0)  # P_noise = P_signal


def _signal(n=2000, fs=500, seed=0):
    rng = np.random.default_rng(seed)
    return np.convolve(rng.normal(size=n), np.hanning(25), mode="same")


@pytest.mark.parametrize("lag,offset", [(0, 0.0), (37, 0.4), (-120, -0.8), (250, 0.0)])
def test_alignment_recovers_shift_and_offset(lag, offset):
    fs = 500
    ref = _signal()
    est = signal_shift(ref, Alignment(-lag, offset))      # est[t] = ref[t - lag] + offset
    a = lead_align(ref, est, fs)
    assert a.lag == lag
    assert a.offset == pytest.approx(-offset, abs=1e-9)
    aligned = signal_shift(est, a)
    snr, cov = snr_compute(ref, aligned)
    assert np.isnan(snr) or snr > 250                        # a copy, up to float rounding
    assert cov == pytest.approx((ref.size - abs(lag)) / ref.size)


def test_alignment_respects_limits():
    fs = 500
    ref = _signal()
    far = signal_shift(ref, Alignment(-300, 0.0))          # 0.6 s late: beyond 0.5 s
    assert abs(lead_align(ref, far, fs).lag) <= 250
    high = ref + 2.5                                         # 2.5 mV: beyond 1 mV
    a = lead_align(ref, high, fs)
    assert a.lag == 0 and a.offset == pytest.approx(-1.0)


def test_alignment_with_masked_reference():
    fs = 500
    ref = _signal()
    est = signal_shift(ref, Alignment(-15, 0.2))
    masked = ref.copy()
    masked[:1200] = np.nan
    a = lead_align(masked, est, fs)
    assert (a.lag, round(a.offset, 9)) == (15, -0.2)


def test_rpeaks_match_counts_missed_and_extra():
    m = rpeaks_match(np.array([100, 600, 1100, 1600]), np.array([103, 1095, 1601, 2000]), 500)
    assert (m["rpeaks_matched"], m["rpeaks_missed"], m["rpeaks_extra"]) == (3, 1, 1)
    assert m["rpeak_err_ms"] == pytest.approx(6.0)  # median of 3, 5, 1 samples = 3 samples = 6 ms


def test_rpeaks_detect_on_spikes():
    fs = 500
    x = np.zeros(10 * fs)
    x[np.arange(300, 10 * fs, 450)] = 1.0
    x = np.convolve(x, np.hanning(31), mode="same")
    assert rpeaks_detect(x, fs).tolist() == list(range(300, 10 * fs, 450))
    assert rpeaks_detect(np.zeros(10 * fs), fs).size == 0


def test_alignment_keeps_a_perfect_copy_perfect():
    ref = _signal()
    a = lead_align(ref, ref.copy(), 500)
    assert a == Alignment(0, 0.0)
    assert np.isnan(snr_compute(ref, signal_shift(ref, a))[0])
