"""folders_score and the evaluate_model.py command line on small hand-made folders."""
import glob
import os

import numpy as np
import pytest

from ecgdigitizer.evaluation import folders_score
from ecgdigitizer.evaluation.cli import main
from ecgdigitizer.layouts import STANDARD_LEADS

from _evaluation_helpers import N, ecg_like, record_write

# SNR per lead without alignment, by hand: an output 0.9 x the reference has
# noise 0.1 x the reference, 10 log10(1 / 0.01) = 20 dB, times the coverage.
EXPECTED = {
    "a_scaled": [20.0] * 12,
    "b_half": [10.0] * 12,                  # first half NaN: coverage 0.5
    "c_missing_lead": [20.0] * 11 + [0.0],  # lower-case names, no V6
    "d_short": [16.0] * 12,                 # 4000 of 5000 samples: coverage 0.8
    "e_missing": [0.0] * 12,                # no output record
    "f_broken": [0.0] * 12,                 # unreadable signal file
    "g_perfect": [np.nan] * 12,             # left out of the mean
    "h_all_nan_lead": [20.0] * 6 + [0.0] + [20.0] * 5,  # lead V1 all NaN
}


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    root = tmp_path_factory.mktemp("eval")
    ref_dir, out_dir = str(root / "ref"), str(root / "out")
    for k, name in enumerate(EXPECTED):
        x = ecg_like(seed=k)
        record_write(ref_dir, name, x)
        y = 0.9 * x
        if name == "b_half":
            y[: N // 2] = np.nan
            record_write(out_dir, name, y)
        elif name == "c_missing_lead":
            record_write(out_dir, name, y[:, :11], leads=[lead.lower() for lead in STANDARD_LEADS[:11]])
        elif name == "d_short":
            record_write(out_dir, name, y[:4000])
        elif name == "f_broken":
            record_write(out_dir, name, y)
            with open(os.path.join(out_dir, name + ".dat"), "wb") as f:
                f.write(b"\x00\x01\x02")
        elif name == "g_perfect":
            record_write(out_dir, name, x)
        elif name == "h_all_nan_lead":
            y[:, 6] = np.nan
            record_write(out_dir, name, y)
        elif name == "a_scaled":
            record_write(out_dir, name, y)
    return ref_dir, out_dir, root


def test_snr_per_lead_hand_computed(folders):
    ref_dir, out_dir, _ = folders
    result = folders_score(ref_dir, out_dir, align=False)
    for name, expected in EXPECTED.items():
        got = result.per_lead.loc[result.per_lead["record"] == name, "snr"].to_numpy()
        np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-9, err_msg=name)
    values = [v for vs in EXPECTED.values() for v in vs if np.isfinite(v)]
    assert result.summary["snr"] == pytest.approx(992 / 84, rel=1e-6)  # 7 scored records x 12 leads
    assert np.mean(values) == pytest.approx(992 / 84)
    assert result.summary["records_missing"] == 1
    assert result.summary["leads_perfect"] == 12


def test_every_bad_record_is_named_with_a_reason(folders):
    ref_dir, out_dir, _ = folders
    result = folders_score(ref_dir, out_dir)
    text = "\n".join(result.issues)
    assert "e_missing: missing record" in text
    assert "f_broken: unreadable record" in text
    assert "h_all_nan_lead V1" in text and "c_missing_lead V6" in text
    assert "d_short: length 4000 instead of 5000" in text
    status = result.per_lead.set_index(["record", "lead"])["status"]
    assert status[("e_missing", "II")] == "missing record"
    assert status[("c_missing_lead", "V6")] == "all-NaN lead"
    assert status[("c_missing_lead", "aVR")] == "ok"   # matched to 'avr'


def test_alignment_recovers_a_shifted_output(tmp_path):
    x = ecg_like(seed=11)
    record_write(str(tmp_path / "ref"), "s", x)
    y = np.full_like(x, np.nan)
    y[40:] = x[:-40] + 0.3                       # 80 ms late, 0.3 mV high
    record_write(str(tmp_path / "out"), "s", y)
    aligned = folders_score(str(tmp_path / "ref"), str(tmp_path / "out"))
    pl = aligned.per_lead
    assert (pl["lag_ms"] == 80.0).all()
    np.testing.assert_allclose(pl["offset_mv"], -0.3, atol=1e-9)
    assert (pl["snr"].isna() | (pl["snr"] > 200)).all()   # a copy once aligned
    np.testing.assert_allclose(pl["coverage"], (N - 40) / N)
    raw = folders_score(str(tmp_path / "ref"), str(tmp_path / "out"), align=False)
    assert raw.summary["snr"] < 5 and raw.summary["pearson"] < aligned.summary["pearson"]


def test_masked_reference_scores_only_finite_samples(tmp_path):
    x = ecg_like(seed=3)
    masked = x.copy()
    masked[:3750, 1:] = np.nan                   # as if only 7.5-10 s were plotted
    record_write(str(tmp_path / "ref"), "m", masked)
    y = 0.9 * x
    y[:3750] = 5.0                               # garbage where nothing was plotted: not scored
    record_write(str(tmp_path / "out"), "m", y)
    r = folders_score(str(tmp_path / "ref"), str(tmp_path / "out"), align=False)
    np.testing.assert_allclose(r.per_lead["snr"].iloc[1:], 20.0, rtol=1e-6)
    assert r.per_lead["snr"].iloc[0] < 0         # lead I is fully in the reference


def test_empty_reference_folder_raises(tmp_path):
    with pytest.raises(FileNotFoundError):
        folders_score(str(tmp_path), str(tmp_path))


def test_cli_writes_scores_tables_and_no_figures(folders, capsys):
    ref_dir, out_dir, root = folders
    scores, per_lead, per_record = root / "scores.txt", root / "per_lead.tsv", root / "per_record.csv"
    main(["-d", ref_dir, "-o", out_dir, "-n", "-s", str(scores), "-ta", str(per_lead),
          "--per_record", str(per_record)])
    lines = scores.read_text().splitlines()
    assert lines[0] == f"SNR: {992 / 84:.3f}"
    assert any(line.startswith("pearson:") for line in lines)
    assert any(line.startswith("qrs_all_median_abs_err:") for line in lines)
    header = per_lead.read_text().splitlines()[0].split("\t")
    assert header[:4] == ["record", "lead", "group", "status"] and "snr" in header and "err_qt" in header
    assert len(per_lead.read_text().splitlines()) == 1 + 12 * len(EXPECTED)
    assert "rhythm_lead" in per_record.read_text().splitlines()[0]
    out = capsys.readouterr().out
    assert "SNR" in out and "interval |error|" in out
    assert not glob.glob(str(root / "**" / "*.png"), recursive=True)
    assert not glob.glob("*.png")


def test_odd_outputs_are_scored_not_fatal(tmp_path):
    """250 Hz in uV, a flat line, an extra lead: scored, with a note where something was changed."""
    ref, out = str(tmp_path / "ref"), str(tmp_path / "out")
    x = ecg_like(seed=5)
    record_write(ref, "rate", x)
    record_write(out, "rate", 1000 * x[::2], fs=250, units="uV", gain=1)
    record_write(ref, "flat", x)
    record_write(out, "flat", np.zeros_like(x))
    record_write(ref, "dup", x)
    leads = ["X1"] + list(STANDARD_LEADS)
    record_write(out, "dup", np.concatenate([np.zeros((N, 1)), x], axis=1), leads=leads)
    r = folders_score(ref, out, intervals=True)
    text = "\n".join(r.issues)
    assert "rate: resampled from 250 Hz to 500 Hz" in text
    assert "converted" in text
    pl = r.per_lead.set_index("record")
    assert (pl.loc["rate", "pearson"] > 0.95).all()          # linear interpolation of 250 Hz
    flat_snr = pl.loc["flat", "snr"]                         # only the offset was recovered:
    assert ((flat_snr >= 0) & (flat_snr < 1)).all()          # P_noise = variance <= P_signal
    assert pl.loc["flat", "pearson"].isna().all()
    assert (pl.loc["dup", "snr"].isna()).all()               # matched by name, not position
    flat = r.per_record.set_index("record").loc["flat"]
    assert flat["out_ok"] == False and "flat line" in flat["delineation_note"]  # noqa: E712
