"""The digitizer on real ECG-Image-Kit pages: accuracy floor, output contract, determinism.

Scored like the benchmark (official SNR with alignment, against the masked
reference: only what the page shows) on four clean eik-dev pages, whose
records no model was trained on.
"""
import os
import shutil

import numpy as np
import pytest
import torch

from conftest import ROOT
from ecgdigitizer.evaluation.scoring import folders_score
from ecgdigitizer.pipeline import digitizer_load
from ecgdigitizer.records import header_load, signal_load, signal_write

RECORDS = ["00008_hr", "E00004", "JS45549", "ludb_030"]


def _digitize_folder(digitizer, eik_dev, out):
    for rec in RECORDS:
        source = os.path.join(eik_dev, "clean", "hidden", rec)
        signal = digitizer.record_digitize(source)
        signal_write(os.path.join(out, rec), signal, header_load(source))


def _reference(eik_dev, folder):
    os.makedirs(folder)
    for rec in RECORDS:
        for ext in (".hea", ".dat"):
            shutil.copy(os.path.join(eik_dev, "clean", "masked", rec + ext), folder)
    return folder


@pytest.fixture(scope="module")
def reference(eik_dev, tmp_path_factory):
    return _reference(eik_dev, str(tmp_path_factory.mktemp("ref") / "masked"))


@pytest.mark.parametrize("method, floor", [("classical", 10.0), (None, 10.0)])
def test_snr_floor_on_clean_pages(eik_dev, reference, tmp_path, method, floor):
    digitizer = digitizer_load(os.path.join(ROOT, "model"), method=method, complete=False, device="cpu")
    _digitize_folder(digitizer, eik_dev, str(tmp_path))
    result = folders_score(reference, str(tmp_path))
    assert result.summary["snr"] >= floor, result.per_lead.groupby("record").snr.mean().to_dict()


def test_cpu_results_are_deterministic(eik_dev):
    digitizer = digitizer_load(os.path.join(ROOT, "model"), device="cpu")
    record = os.path.join(eik_dev, "clean", "hidden", RECORDS[0])
    first = digitizer.record_digitize(record)
    second = digitizer.record_digitize(record)
    assert np.array_equal(first, second, equal_nan=True)
    assert np.isfinite(first).all()  # completion is on by default: every sample has a value


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_cuda_reads_pages_as_the_cpu_does(eik_dev, reference, tmp_path):
    """The shipped digitizer on CUDA (mixed precision for the image model) against the same on the CPU.

    Completion is on, so the signal model runs on the GPU too; the masked
    reference scores what the page shows.
    """
    model = os.path.join(ROOT, "model")
    outputs, scores = {}, {}
    for device in ("cpu", "cuda"):
        digitizer = digitizer_load(model, device=device)
        assert digitizer.device == device
        out = str(tmp_path / device)
        _digitize_folder(digitizer, eik_dev, out)
        outputs[device] = {rec: signal_load(os.path.join(out, rec))[0] for rec in RECORDS}
        scores[device] = folders_score(reference, out).summary["snr"]
    print(f"masked SNR: cpu {scores['cpu']:.3f} dB, cuda {scores['cuda']:.3f} dB")
    assert abs(scores["cuda"] - scores["cpu"]) < 0.3
    for rec in RECORDS:
        cpu, cuda = outputs["cpu"][rec], outputs["cuda"][rec]
        assert np.isfinite(cuda).all()
        agreement = 10 * np.log10(np.sum(cpu ** 2) / np.sum((cuda - cpu) ** 2))
        print(f"{rec}: CUDA against CPU output, {agreement:.1f} dB")
        assert agreement > 25, rec


def test_loading_on_the_cpu_sets_torch_s_threads(monkeypatch):
    model = os.path.join(ROOT, "model")
    before = torch.get_num_threads()
    try:
        monkeypatch.delenv("ECGDIG_THREADS", raising=False)
        torch.set_num_threads(2)
        digitizer_load(model, device="cpu")
        assert torch.get_num_threads() == 1                  # the default
        monkeypatch.setenv("ECGDIG_THREADS", "2")
        digitizer_load(model, device="cpu")
        assert torch.get_num_threads() == 2
        digitizer_load(model, device="cpu", threads=1)       # the argument wins
        assert torch.get_num_threads() == 1
        monkeypatch.setenv("ECGDIG_THREADS", "many")
        with pytest.raises(ValueError, match="ECGDIG_THREADS"):
            digitizer_load(model, device="cpu")
    finally:
        torch.set_num_threads(before)


def test_guide_off_the_trace_is_dropped():
    """A row whose sure model rows miss the trace's darkness loses its guide; the others keep theirs."""
    from types import SimpleNamespace

    from ecgdigitizer.digitize import _guides_check
    darkness = np.zeros((200, 300), np.float32)
    darkness[50, 10:290] = 0.6       # row 0's trace
    darkness[150, 10:290] = 0.6      # row 1's trace
    geo = SimpleNamespace(px_per_mm=4.0, darkness=darkness, page=SimpleNamespace(x_start=10.0))
    width = 280
    guides = [np.full(width, 50.0), np.full(width, 176.0), np.full(width, 176.0)]   # row 1: 6.5 mm off
    sure, unsure = np.full(width, 0.95), np.full(width, 0.6)
    kept, dropped, unjudged = _guides_check(geo, guides, [sure, sure, unsure])
    assert np.array_equal(kept, sure)
    assert np.array_equal(dropped, np.zeros(width))
    assert np.array_equal(unjudged, unsure)     # too unsure to be judged, and too unsure to act
    near = [np.full(width, 151.0)]              # 1 px off the line: within GUIDE_CHECK_MM
    assert np.array_equal(_guides_check(geo, near, [sure])[0], sure)


def test_noisy_pages_read_the_mean_of_ink_and_model_where_the_model_is_sure():
    """Ink rows stay on a clean page; on a noisy one, sure columns take the mean; gaps take the model's row."""
    from ecgdigitizer.digitize import NOISY_MEAN_CONFIDENCE, _rows_guided
    ink = np.array([10.0, 10.0, np.nan, 10.0])
    model = np.array([12.0, 12.0, 12.0, 12.0])
    confidence = np.array([0.95, NOISY_MEAN_CONFIDENCE - 0.1, 0.95, 0.95])
    (clean,), _ = _rows_guided([ink], [model], [confidence])
    (noisy,), (noisy_confidence,) = _rows_guided([ink], [model], [confidence], noisy=True)
    assert np.array_equal(clean, [10.0, 10.0, 12.0, 10.0])
    assert np.array_equal(noisy, [11.0, 10.0, 12.0, 11.0])     # the unsure column keeps its ink
    assert np.array_equal(noisy_confidence, [1.0, 1.0, 0.95, 1.0])
