"""--report: figures and the HTML page exist and are not empty."""
import os

import numpy as np

from ecgdigitizer.evaluation.cli import main

from _evaluation_helpers import ecg_like, record_write


def test_report_files_exist_and_are_not_empty(tmp_path, capsys):
    ref, out, rep = str(tmp_path / "ref"), str(tmp_path / "out"), str(tmp_path / "report")
    for k in range(3):
        x = ecg_like(seed=k)
        masked = x.copy()
        masked[:2500, 2:] = np.nan
        record_write(ref, f"r{k}", masked)
        record_write(out, f"r{k}", x + np.random.default_rng(k).normal(0, 0.02, x.shape))
    main(["-d", ref, "-o", out, "--report", rep, "-s", str(tmp_path / "s.txt")])
    expected = ["index.html", "snr_box.png", "mae_per_lead.png", "error_hist.png", "corr_heatmap.png",
                "per_record.csv", "per_lead.tsv", "intervals.csv"]
    for name in expected:
        path = os.path.join(rep, name)
        assert os.path.getsize(path) > 200, name
    overlays = [f for f in os.listdir(rep) if f.startswith("overlay_")]
    assert len(overlays) == 3
    page = open(os.path.join(rep, "index.html"), encoding="utf-8").read()
    for name in ["snr_box.png", "corr_heatmap.png", overlays[0], "Interval errors"]:
        assert name in page
    with open(os.path.join(rep, "snr_box.png"), "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"
