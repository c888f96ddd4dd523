"""Clinical intervals on synthetic beats of known timing, and the delineator against LUDB."""
import os

import numpy as np
import pytest

from ecgdigitizer.evaluation import folders_score
from ecgdigitizer.evaluation.intervals import intervals_measure
from ecgdigitizer.evaluation.ludb import ludb_compare

from _evaluation_helpers import record_write
from conftest import SHARED_DATA

FS = 500
LUDB = os.path.join(SHARED_DATA, "records", "ludb")


def synthetic_ecg(*, hr=60.0, pr=160.0, qrs=90.0, qt=400.0, seconds=10.0, noise=0.01, seed=0):
    """Beats with a P wave (100 ms), a triangular QRS and a T wave (200 ms) at known times (ms).

    PR = QRS onset - P onset, QT = T end - QRS onset; 1 mV QRS, 1-uV-ish noise floor.
    """
    n = int(seconds * FS)
    x = np.zeros(n)

    def wave(start_s, width_ms, amp, shape):
        a, w = int(round(start_s * FS)), int(round(width_ms * FS / 1000))
        if a >= 0 and a + w <= n:
            x[a:a + w] += amp * (np.hanning(w + 2)[1:-1] if shape == "hann" else 1 - np.abs(np.linspace(-1, 1, w)))

    t = 0.4
    while t < seconds:
        q_on = t + pr / 1000
        wave(t, 100, 0.15, "hann")
        wave(q_on, qrs, 1.2, "tri")
        wave(q_on + (qt - 200) / 1000, 200, 0.3, "hann")
        t += 60.0 / hr
    return x + np.random.default_rng(seed).normal(0, noise, n)


@pytest.mark.parametrize("hr,qt", [(60, 400), (90, 360)])
def test_rate_pr_qt_of_synthetic_beats(hr, qt):
    iv = intervals_measure(synthetic_ecg(hr=hr, qt=qt), FS)
    assert iv.ok
    assert iv.hr == pytest.approx(hr, abs=1.0)
    assert iv.rr == pytest.approx(60000 / hr, abs=4)
    assert iv.pr == pytest.approx(160, abs=20), f"PR {iv.pr} ms, true 160 ms"
    assert iv.qt == pytest.approx(qt, abs=30), f"QT {iv.qt} ms, true {qt} ms"
    assert iv.qtc == pytest.approx(iv.qt / np.sqrt(iv.rr / 1000))


def test_qrs_width_is_followed():
    """A QRS of known width comes back 0-35 ms wider (NeuroKit's cleaning smooths the edges),
    and a widening of 90 ms reads as 90 +- 15 ms."""
    widths = [60, 80, 100, 120, 150]
    measured = [intervals_measure(synthetic_ecg(qrs=w), FS).qrs for w in widths]
    for w, m in zip(widths, measured):
        assert 0 <= m - w <= 35, f"QRS {w} ms measured {m} ms"
    assert measured[-1] - measured[0] == pytest.approx(90, abs=15)
    assert all(np.diff(measured) > 0)


@pytest.mark.parametrize("signal,reason", [
    (np.zeros(5000), "flat line"),
    (np.full(5000, np.nan), "too short"),
    (synthetic_ecg()[:600], "too short"),
])
def test_undelineable_signals_say_why(signal, reason):
    iv = intervals_measure(signal, FS)
    assert not iv.ok and reason in iv.reason
    assert np.isnan(iv.qt)


def test_scoring_sees_a_widened_qrs(tmp_path):
    ref = np.stack([synthetic_ecg(qrs=80, seed=j) for j in range(12)], axis=1)
    out = np.stack([synthetic_ecg(qrs=120, seed=j + 20) for j in range(12)], axis=1)
    record_write(str(tmp_path / "ref"), "w", np.round(ref, 3))
    record_write(str(tmp_path / "out"), "w", np.round(out, 3))
    r = folders_score(str(tmp_path / "ref"), str(tmp_path / "out"), intervals=True)
    rhythm = r.per_record.iloc[0]
    assert rhythm["rhythm_lead"] == "II"
    assert rhythm["err_qrs"] == pytest.approx(40, abs=12)
    assert abs(rhythm["err_hr"]) < 1 and abs(rhythm["err_qt"]) < 25
    qrs_all = r.intervals.set_index(["group", "interval"]).loc[("all", "qrs")]
    assert qrs_all["n"] == 12 and qrs_all["median_abs_ms"] == pytest.approx(40, abs=12)
    assert qrs_all["ref_failed"] == 0 and qrs_all["out_failed"] == 0


@pytest.mark.skipif(not os.path.isdir(os.path.join(LUDB, "annotations")), reason="LUDB not available")
def test_delineator_error_against_ludb_cardiologists():
    """Bound on the delineator's own error (records 61-66, not used to choose the method).

    bench/bench_delineator_ludb.py reports the full held-out half (records 61-120).
    """
    df = ludb_compare(LUDB, [f"ludb_{i:03d}" for i in range(61, 67)])
    med = df.assign(abs_err=df["error"].abs()).groupby("interval")["abs_err"].median()
    assert med["rr"] <= 4, med.to_dict()
    assert med["qrs"] <= 25, med.to_dict()
    assert med["pr"] <= 25, med.to_dict()
    assert med["qt"] <= 30, med.to_dict()
    assert df["failed"].mean() < 0.1
