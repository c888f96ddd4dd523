"""The column model: which columns it refines, what it sees, what it changes, and that it helps."""
import os

import numpy as np
import pytest
import torch

from conftest import ROOT, SHARED_DATA
from ecgdigitizer.models.column_model import (ColumnModel, ColumnModelConfig, column_candidates, column_features,
                                              column_model_load, column_model_save, rows_refine)
from ecgdigitizer.models.strip_model import strip_model_load
from ecgdigitizer.render import page_render
from ecgdigitizer.training.column_data import ColumnDataConfig, ColumnDataset, page_columns
from ecgdigitizer.training.strip_data import record_arrays

CONFIG = ColumnModelConfig()


def test_candidates_are_the_columns_next_to_a_steep_step():
    px_per_mm = 8.0
    rows = np.full(12, 100.0)
    rows[5] = 100.0 - 0.5 * px_per_mm          # a 0.5-mm step up and back down
    rows[9] = np.nan                            # an unread column: its neighbours have no step to it
    assert column_candidates(rows, px_per_mm, 0.3).tolist() == [4, 5, 6]
    assert column_candidates(rows, px_per_mm, 0.6).size == 0


def test_features_are_centred_on_the_tracker_s_row():
    darkness = np.zeros((200, 60), np.float32)
    darkness[120, :] = 1.0                      # a flat line at row 120
    rows = np.full(40, 116.0)                   # the tracker reads it 4 px (0.5 mm) high
    patch, neighbours = column_features(darkness, rows, 10, np.array([20]), 8.0, CONFIG)
    assert patch.shape == (1, CONFIG.bins, 2 * CONFIG.half_columns + 1)
    mm = np.linspace(-CONFIG.half_mm, CONFIG.half_mm, CONFIG.bins)
    assert mm[np.argmax(patch[0, :, CONFIG.half_columns])] == pytest.approx(0.5, abs=0.07)
    assert np.all(neighbours == 0.0)


def test_refining_moves_only_the_candidate_columns():
    model = ColumnModel(ColumnModelConfig(passes=1)).eval()
    with torch.no_grad():                       # a model that always answers +0.25 mm
        for p in model.parameters():
            p.zero_()
        model.head[-1].bias.fill_(0.25)
    rows = np.full(50, 80.0)
    rows[20:23] = [60.0, 40.0, 60.0]            # a spike
    rows[30] = np.nan
    darkness = np.zeros((160, 100), np.float32)
    flat = np.full(50, 80.0)                    # a row with nothing to refine, beside one with a spike
    refined, flat_refined = rows_refine([rows, flat], darkness, 5, 8.0, model)
    assert np.array_equal(flat_refined, flat)
    moved = np.flatnonzero(np.nan_to_num(refined - rows) != 0)
    assert moved.tolist() == [19, 20, 21, 22, 23]
    assert np.allclose(refined[moved] - rows[moved], 0.25 * 8.0)
    assert np.isnan(refined[30])


def test_each_pass_reads_the_rows_the_last_one_left():
    model = ColumnModel(ColumnModelConfig(passes=2)).eval()
    with torch.no_grad():                       # +0.25 mm in every pass
        for p in model.parameters():
            p.zero_()
        model.head[-1].bias.fill_(0.25)
    rows = np.full(40, 80.0)
    rows[20:23] = [60.0, 40.0, 60.0]
    refined = rows_refine([rows], np.zeros((160, 100), np.float32), 5, 8.0, model)[0]
    assert np.allclose(refined[19:24] - rows[19:24], 2 * 0.25 * 8.0)


def test_save_and_load_round_trip(tmp_path):
    torch.manual_seed(0)
    model = ColumnModel(ColumnModelConfig(channels=8, hidden=8)).eval()
    path = str(tmp_path / "column_model.pt")
    column_model_save(path, model)
    loaded = column_model_load(path)
    patch = torch.rand(3, CONFIG.bins, 7)
    args = (patch, torch.zeros(3, 7), torch.full((3,), 8.0))
    assert torch.equal(model(*args)[0], loaded(*args)[0])


def test_the_loss_leaves_out_corrections_beyond_its_limit():
    model = ColumnModel(CONFIG)
    patch, neighbours, scale = torch.rand(1, 4, CONFIG.bins, 7), torch.zeros(1, 4, 7), torch.full((1, 4), 8.0)
    target = torch.tensor([[0.1, -0.2, 0.0, 0.3]])
    _, a = model(patch, neighbours, scale, target)
    target[0, 3] = 5.0                           # the tracker followed other ink here
    _, b = model(patch, neighbours, scale, target)
    c, _ = model(patch, neighbours, scale)
    expected = ((c[:3] - torch.tensor([0.1, -0.2, 0.0])) ** 2).mean()
    assert b.item() == pytest.approx(expected.item(), rel=1e-5) and a.item() != pytest.approx(b.item())


def test_dataset_items_cover_the_pool_once_per_pass():
    pool = {"patch": np.zeros((10, CONFIG.bins, 7), np.float32), "neighbours": np.zeros((10, 7), np.float32),
            "px_per_mm": np.full(10, 8.0, np.float32), "target": np.arange(10, dtype=np.float32)}
    data = ColumnDataset(pool, ColumnDataConfig(examples_per_item=5), length=4, seed=3)
    first_pass = np.sort(np.concatenate([data[i]["target"].numpy() for i in (0, 1)]))
    assert first_pass.tolist() == list(range(10))
    assert data[0]["patch"].shape == (5, CONFIG.bins, 7)
    assert not torch.equal(data[0]["target"], data[2]["target"])   # the next pass is shuffled anew


def test_the_shipped_column_model_brings_steep_columns_closer_to_the_truth():
    """On a page the renderer draws from a training record, read as at run time."""
    signal, fs, names = record_arrays(os.path.join(SHARED_DATA, "records", "ptbxl", "00003_hr"))
    strip_model = strip_model_load(os.path.join(ROOT, "model", "strip_model.pt"))
    model = column_model_load(os.path.join(ROOT, "model", "column_model.pt"))
    errors = {}
    for dpi in (100, 200):
        page = page_render(signal, fs, list(names), layout="3x4+1", dpi=dpi, preset="clean",
                           seed=np.random.default_rng(5))
        examples = page_columns(page.image, page.ground_truth, strip_model, model.config)
        target = examples["target"]
        keep = np.abs(target) < model.config.max_correction_mm
        with torch.no_grad():
            correction, _ = model(*(torch.from_numpy(examples[k][keep]) for k in ("patch", "neighbours", "px_per_mm")))
        rms = lambda e: float(np.sqrt(np.mean(e ** 2)))  # noqa: E731
        errors[dpi] = (rms(target[keep]), rms(target[keep] - correction.numpy()))
    for dpi, (before, after) in errors.items():
        assert after < 0.75 * before, (dpi, before, after)
