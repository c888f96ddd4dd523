"""The three command lines end to end, on small folders the tests make.

train_model.py trains a few steps on a folder of WFDB records and on a
challenge folder the renderer makes (images with JSON ground truth);
run_model.py digitizes an eik-dev page plus five broken records with the
trained model; evaluate_model.py scores the result. Bad input must be named
in the error and, with -f, not stop the run.
"""
import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest
import wfdb

from conftest import ROOT, SHARED_DATA, hidden_copy

GOOD = "00008_hr"
HIDDEN_HEADER = open(os.path.join(SHARED_DATA, "eik-dev", "clean", "hidden", f"{GOOD}.hea")).read()


def _cli(*args, env=None):
    return subprocess.run([sys.executable, *args], cwd=ROOT, capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, timeout=600)


def _bad_records(folder):
    """Five records that must each fail with a message naming the problem."""
    def header(name, text):
        with open(os.path.join(folder, f"{name}.hea"), "w") as f:
            f.write(text.replace(GOOD, name))
    header("bad_empty_image", HIDDEN_HEADER)
    open(os.path.join(folder, "bad_empty_image-0.png"), "wb").close()
    header("bad_no_image_line", "\n".join(ln for ln in HIDDEN_HEADER.splitlines() if "Image" not in ln))
    header("bad_missing_image", HIDDEN_HEADER)
    header("bad_numbers", HIDDEN_HEADER.replace(" 500 5000", " 500 lots", 1))
    header("bad_zero_samples", HIDDEN_HEADER.replace(" 500 5000", " 500 0", 1))
    shutil.copy(os.path.join(folder, f"{GOOD}-0.png"), os.path.join(folder, "bad_zero_samples-0.png"))


TINY_TRAINING = {"ECGDIG_MAX_STEPS": "2", "ECGDIG_EVAL_EVERY": "2", "ECGDIG_BATCH_SIZE": "2",
                 "ECGDIG_NUM_WORKERS": "0", "ECGDIG_EVAL_BATCHES": "1",
                 "ECGDIG_TRAIN_PAGES": "2", "ECGDIG_VAL_PAGES": "1"}   # the column model's pages


def _records_folder(folder) -> str:
    """Three real records that are not among the benchmark's held-out ones."""
    os.makedirs(folder, exist_ok=True)
    for rec in ("ptbxl/00003_hr", "georgia/E00005", "ludb/ludb_001"):
        for ext in (".hea", ".dat"):
            shutil.copy(os.path.join(SHARED_DATA, "records", rec + ext), folder)
    return str(folder)


@pytest.fixture(scope="module")
def trained_model(tmp_path_factory):
    data = _records_folder(tmp_path_factory.mktemp("train"))
    model = str(tmp_path_factory.mktemp("model"))
    result = _cli("train_model.py", "-d", data, "-m", model, env=TINY_TRAINING)
    assert result.returncode == 0, result.stderr[-2000:]
    return model


def test_train_model_writes_a_loadable_model(trained_model):
    config = json.load(open(os.path.join(trained_model, "digitizer.json")))
    assert config["method"] == "learned"
    for name in (config["signal_model"], config["strip_model"], config["column_model"]):
        assert os.path.isfile(os.path.join(trained_model, name))


def test_train_model_on_a_rendered_challenge_folder(tmp_path):
    records = _records_folder(tmp_path / "records")
    result = _cli("-m", "ecgdigitizer.render", records, str(tmp_path / "pages"), "--preset", "clean",
                  "--dpi", "100", "-q")
    assert result.returncode == 0, result.stderr[-2000:]
    full = tmp_path / "pages" / "full"
    assert len(list(full.glob("*.json"))) == 3  # images with ECG-Image-Kit ground truth
    model = tmp_path / "model"
    result = _cli("train_model.py", "-d", str(full), "-m", str(model), "-v", env=TINY_TRAINING)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "3 pages with JSON" in result.stderr
    assert (model / "strip_model.pt").is_file() and (model / "digitizer.json").is_file()
    assert (model / "column_model.pt").is_file()


def test_run_model_allow_failures_then_evaluate(eik_dev, trained_model, tmp_path):
    data = hidden_copy(eik_dev, "clean", [GOOD], str(tmp_path / "data"))
    _bad_records(data)
    out = str(tmp_path / "out")
    result = _cli("run_model.py", "-d", data, "-m", trained_model, "-o", out, "-f")
    assert result.returncode == 0, result.stderr[-2000:]
    assert "1 of 6 records digitized, 5 failed" in result.stdout
    for name, problem in [("bad_empty_image", "empty"), ("bad_no_image_line", "names no image"),
                          ("bad_missing_image", "not found"), ("bad_numbers", "not a number"),
                          ("bad_zero_samples", "0 samples")]:
        assert f"{name}: " in result.stdout + result.stderr and problem in result.stdout, name
        assert os.path.isfile(os.path.join(out, f"{name}.hea"))       # header copied ...
        assert not os.path.exists(os.path.join(out, f"{name}.dat"))   # ... and no signal
    record = wfdb.rdrecord(os.path.join(out, GOOD))
    reference = wfdb.rdrecord(os.path.join(eik_dev, "clean", "masked", GOOD))
    assert record.fs == reference.fs and record.sig_len == reference.sig_len
    assert record.sig_name == reference.sig_name and set(record.units) == {"mV"}
    assert np.isfinite(record.p_signal).all()  # completion is on by default
    leftovers = [f for f in os.listdir(out) if f.startswith(".tmp")]
    assert leftovers == []

    scores = str(tmp_path / "scores.txt")
    per_lead = str(tmp_path / "per_lead.tsv")
    reference_folder = tmp_path / "reference"
    reference_folder.mkdir()
    for ext in (".hea", ".dat"):
        shutil.copy(os.path.join(eik_dev, "clean", "masked", GOOD + ext), reference_folder)
    result = _cli("evaluate_model.py", "-d", str(reference_folder), "-o", out,
                  "-s", scores, "-ta", per_lead, "--no_intervals")
    assert result.returncode == 0, result.stderr[-2000:]
    first = open(scores).readline()
    assert first.startswith("SNR:")
    assert float(first.split(":")[1]) > 5.0  # one good record scored against the masked reference
    assert os.path.getsize(per_lead) > 0


def test_run_model_stops_on_failure_and_names_the_record(eik_dev, tmp_path):
    data = hidden_copy(eik_dev, "clean", [GOOD], str(tmp_path / "data"))
    _bad_records(data)
    out = str(tmp_path / "out")
    result = _cli("run_model.py", "-d", data, "-m", os.path.join(ROOT, "model"), "-o", out)
    assert result.returncode != 0
    assert "bad_empty_image" in result.stderr and "empty" in result.stderr
    assert os.path.isfile(os.path.join(out, f"{GOOD}.dat"))  # work done before the failure is kept


def test_run_model_no_complete_leaves_unseen_samples_nan(eik_dev, tmp_path):
    data = hidden_copy(eik_dev, "clean", [GOOD], str(tmp_path / "data"))
    out = str(tmp_path / "out")
    result = _cli("run_model.py", "-d", data, "-m", os.path.join(ROOT, "model"), "-o", out, "--no-complete")
    assert result.returncode == 0, result.stderr[-2000:]
    signal = wfdb.rdrecord(os.path.join(out, GOOD)).p_signal
    reference = wfdb.rdrecord(os.path.join(eik_dev, "clean", "masked", GOOD)).p_signal
    seen = np.isfinite(signal)
    # Nothing outside the plotted windows (NaN in the masked reference) is invented ...
    assert not (seen & np.isnan(reference)).any()
    # ... and nearly all of what is plotted is read.
    assert seen[np.isfinite(reference)].mean() > 0.95


def test_empty_data_folder_is_an_error(tmp_path):
    (tmp_path / "empty").mkdir()
    result = _cli("run_model.py", "-d", str(tmp_path / "empty"), "-m", "model", "-o", str(tmp_path / "o"))
    assert result.returncode != 0 and "no records" in result.stderr


def test_a_malformed_option_is_a_one_line_error(tmp_path):
    (tmp_path / "empty").mkdir()
    result = _cli("run_model.py", "-d", str(tmp_path / "empty"), "-m", "model", "-o", str(tmp_path / "o"),
                  "--threads", "0")
    assert result.returncode != 0
    assert "threads is 0" in result.stderr and "Traceback" not in result.stderr
