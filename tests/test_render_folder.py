"""The folder command and the training Dataset."""
from __future__ import annotations

import os
import subprocess
import sys

import cv2
import numpy as np
import pytest

from ecgdigitizer.records import header_load, records_find, signal_load
from ecgdigitizer.render import ground_truth_read, ink_fraction, plotted_pixels_array
from ecgdigitizer.render.folder import folder_render, page_windows

from conftest import ROOT
from render_helpers import LEADS12, record_write, synthetic_ecg


@pytest.fixture(scope="module")
def input_folder(tmp_path_factory):
    folder = str(tmp_path_factory.mktemp("records"))
    record_write(folder, "r10s", synthetic_ecg(), 500, LEADS12)
    record_write(os.path.join(folder, "sub"), "r25s", synthetic_ecg(seconds=25, fs=257, leads=3, seed=1), 257,
                 ["II", "V1", "I"], units="uV")
    return folder


def test_page_windows():
    assert page_windows(5000, 500) == [0]
    assert page_windows(12500, 500) == [0, 5000, 10000]
    assert page_windows(11000, 500) == [0, 5000]    # a 2-s tail is not a page
    assert page_windows(3000, 500) == [0]


def test_folder_command_writes_a_challenge_folder(input_folder, tmp_path):
    out = str(tmp_path / "out")
    cmd = [sys.executable, "-m", "ecgdigitizer.render", input_folder, out, "--preset", "aug", "--seed", "3",
           "--workers", "2", "--masked", "--hidden", "--dpi", "100", "-q"]
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    for part in ("full", "masked", "hidden"):
        assert records_find(os.path.join(out, part)) == ["r10s", os.path.join("sub", "r25s")]
    # full/: the record unchanged, "# Image:" naming PNGs with JSON sidecars beside them.
    for rel, pages in (("r10s", 1), (os.path.join("sub", "r25s"), 3)):
        header = header_load(os.path.join(out, "full", rel))
        assert header.image_files == [f"{os.path.basename(rel)}-{k}.png" for k in range(pages)]
        src, _ = signal_load(os.path.join(input_folder, rel))
        sig, _ = signal_load(os.path.join(out, "full", rel))
        assert np.array_equal(src, sig)
        masked, _ = signal_load(os.path.join(out, "masked", rel))
        expect = np.full(src.shape, np.nan)
        for k, png in enumerate(header.image_files):
            folder = os.path.dirname(os.path.join(out, "full", rel))
            image = cv2.imread(os.path.join(folder, png))[..., ::-1]
            gt = ground_truth_read(os.path.join(folder, png[:-4] + ".json"))
            assert image.shape[:2] == (gt["height"], gt["width"])
            assert ink_fraction(image, gt) >= 0.95
            for lead in gt["leads"]:
                j = header.signal_names.index(lead["lead_name"])
                s, e = gt["window_start_sample"] + lead["start_sample"], gt["window_start_sample"] + lead["end_sample"]
                expect[s:e, j] = src[s:e, j]
                assert len(plotted_pixels_array(lead)) == lead["end_sample"] - lead["start_sample"]
            assert os.path.isfile(os.path.join(out, "hidden", os.path.dirname(rel), png))
        assert np.array_equal(np.isnan(masked), np.isnan(expect))
        assert np.allclose(masked[np.isfinite(masked)], expect[np.isfinite(expect)])
        # hidden/: partial header, no signal, the same images.
        hidden = header_load(os.path.join(out, "hidden", rel))
        assert hidden.image_files == header.image_files and hidden.num_samples == header.num_samples
        assert signal_load(os.path.join(out, "hidden", rel)) == (None, None)
        assert not any(c.startswith(("Age", "Sex", "Dx")) for c in hidden.comments)


def test_folder_output_does_not_depend_on_workers(input_folder, tmp_path):
    a, b = str(tmp_path / "a"), str(tmp_path / "b")
    folder_render(input_folder, a, preset="hard", seed=5, dpi=100, workers=1, progress=False)
    folder_render(input_folder, b, preset="hard", seed=5, dpi=100, workers=2, progress=False)
    for rel in ("r10s-0", os.path.join("sub", "r25s-2")):
        ia = cv2.imread(os.path.join(a, "full", rel + ".png"))
        ib = cv2.imread(os.path.join(b, "full", rel + ".png"))
        assert np.array_equal(ia, ib), rel
        assert ground_truth_read(os.path.join(a, "full", rel + ".json")) == \
            ground_truth_read(os.path.join(b, "full", rel + ".json"))


def test_folder_command_names_a_record_it_cannot_draw(input_folder, tmp_path):
    bad = str(tmp_path / "in")
    record_write(bad, "good", synthetic_ecg(seconds=3), 500, LEADS12)
    record_write(bad, "empty", np.full((1000, 12), np.nan), 500, LEADS12)
    with pytest.raises(ValueError, match="empty.*all NaN"):
        folder_render(bad, str(tmp_path / "o1"), dpi=100, progress=False)
    summary = folder_render(bad, str(tmp_path / "o2"), dpi=100, allow_failures=True, progress=False)
    assert summary["pages"] == 1 and [f[0] for f in summary["failures"]] == ["empty"]
    os.makedirs(tmp_path / "nothing")
    with pytest.raises(FileNotFoundError, match="no WFDB records"):
        folder_render(str(tmp_path / "nothing"), str(tmp_path / "o3"), progress=False)


def test_dataset_renders_deterministic_items(input_folder):
    pytest.importorskip("torch")
    from ecgdigitizer.render import RenderedPageDataset
    records = [os.path.join(input_folder, r) for r in records_find(input_folder)]
    ds = RenderedPageDataset(records, preset="aug", layouts=("3x4+1", "6x2", "12x1"), dpi=(100, 120), seed=1,
                             pages_per_record=3)
    assert len(ds) == 6
    a, b = ds[4], ds[4]
    assert set(a) >= {"image", "signal", "fs", "lead_names", "ground_truth", "trace_mask"}
    assert np.array_equal(a["image"], b["image"]) and a["ground_truth"] == b["ground_truth"]
    assert a["signal"].dtype == np.float32 and a["signal"].shape == (round(10 * 257), 3)
    assert a["lead_names"] == ["II", "V1", "I"] and a["fs"] == 257
    assert a["ground_truth"]["window_start_sample"] == 2570          # item 4 is page 1 of the 25-s record
    other = RenderedPageDataset(records, preset="aug", dpi=(100, 120), seed=2, pages_per_record=3)[4]
    assert not np.array_equal(a["image"], other["image"])
    # Every plotted sample's value is the signal returned with the item.
    lead = a["ground_truth"]["leads"][0]
    assert ink_fraction(a["image"], a["ground_truth"]) >= 0.95
    assert len(plotted_pixels_array(lead)) == lead["end_sample"] - lead["start_sample"]
    with pytest.raises(IndexError):
        ds[6]


@pytest.mark.skipif(not os.path.isfile(os.path.join(ROOT, "run_model.py")), reason="entry points not present")
def test_entry_points_read_the_rendered_folder(tmp_path):
    """run_model.py digitizes hidden/, evaluate_model.py scores the output against masked/."""
    gen, out = str(tmp_path / "gen"), str(tmp_path / "out")
    source = str(tmp_path / "in")
    record_write(source, "a500", synthetic_ecg(seed=4), 500, LEADS12)
    record_write(source, "b250", synthetic_ecg(seconds=20, fs=250, seed=5), 250, LEADS12)
    folder_render(source, gen, preset="clean", seed=0, dpi=200, masked=True, hidden=True, progress=False)
    hidden = os.path.join(gen, "hidden")
    run = subprocess.run([sys.executable, "run_model.py", "-d", hidden, "-m", "model", "-o", out, "--no-complete"],
                         cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-2000:]
    assert "2 of 2 records digitized" in run.stdout
    scores = str(tmp_path / "scores.txt")
    ev = subprocess.run([sys.executable, "evaluate_model.py", "-d", os.path.join(gen, "masked"), "-o", out,
                         "-s", scores, "--no_intervals"], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert ev.returncode == 0, ev.stderr[-2000:]
    first = open(scores).readline()
    assert first.startswith("SNR:") and float(first.split(":")[1]) > 3.0, first
