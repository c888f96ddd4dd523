"""The column model: which columns it refines, what it sees, what it changes, and that it helps."""
import os

import numpy as np
import pytest
import torch

from conftest import ROOT, SHARED_DATA
from ecgdigitizer.models.column_model import (ColumnModel, ColumnModelConfig, column_candidates, column_features,
                                              column_model_load, column_model_save, points_columns, points_per_column,
                                              points_spline, rows_refine)
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


def blind_model(answer, **config):
    """A column model that gives ``answer`` (mm, one per offset, or one for all) whatever it reads."""
    model = ColumnModel(ColumnModelConfig(**config)).eval()
    with torch.no_grad():
        for p in model.parameters():
            p.zero_()
        model.head[-1].bias.copy_(torch.as_tensor(answer, dtype=torch.float32).expand_as(model.head[-1].bias))
    return model


def test_refining_moves_only_the_candidate_columns():
    model = blind_model(0.25, passes=1)         # a model that always answers +0.25 mm
    rows = np.full(50, 80.0)
    rows[20:23] = [60.0, 40.0, 60.0]            # a spike
    rows[30] = np.nan
    darkness = np.zeros((160, 100), np.float32)
    flat = np.full(50, 80.0)                    # a row with nothing to refine, beside one with a spike
    refined, flat_refined = rows_refine([rows, flat], darkness, 5, 8.0, model)
    k = points_per_column(model.config)
    assert np.allclose(flat_refined, np.repeat(flat, k))
    points = refined.reshape(-1, k)                 # (columns, points in each)
    moved = np.flatnonzero(np.nan_to_num(points[:, k // 2] - rows) != 0)
    assert moved.tolist() == [19, 20, 21, 22, 23]
    # every point of a refined column: the spline through the rows read, moved by the model's answer
    spline = points_spline(rows, points_columns(rows.size, k)).reshape(-1, k)
    assert np.allclose(points[moved] - spline[moved], 0.25 * 8.0)
    assert np.allclose(points[moved, k // 2] - rows[moved], 0.25 * 8.0)
    assert np.isnan(points[30]).all()


def test_each_pass_reads_the_rows_the_last_one_left():
    model = blind_model(0.25, passes=2)         # +0.25 mm in every pass
    rows = np.full(40, 80.0)
    rows[20:23] = [60.0, 40.0, 60.0]
    refined = rows_refine([rows], np.zeros((160, 100), np.float32), 5, 8.0, model)[0]
    k = points_per_column(model.config)
    assert np.allclose(refined[k // 2::k][19:24] - rows[19:24], 2 * 0.25 * 8.0)


def test_the_points_inside_a_column_sit_at_their_offsets():
    # A model that puts each point of a steep column at its own height: the
    # point 1/3 column left of the centre 0.5 mm higher, the right one lower.
    model = blind_model([0.0, -0.5, 0.5], passes=1, offsets=(0.0, -1 / 3, 1 / 3))
    rows = np.full(30, 80.0)
    rows[12:15] = [70.0, 60.0, 70.0]
    refined = rows_refine([rows], np.zeros((160, 100), np.float32), 5, 8.0, model, mirrored=False)[0]
    points = refined.reshape(-1, 3)                 # left, centre, right of each column
    spline = points_spline(rows, points_columns(rows.size, 3)).reshape(-1, 3)
    assert np.allclose(points[11:16, 1], rows[11:16])
    assert np.allclose(points[11:16, 0], spline[11:16, 0] - 4.0)
    assert np.allclose(points[11:16, 2], spline[11:16, 2] + 4.0)


def test_reading_both_ways_averages_a_patch_with_its_mirror_image():
    # Blind to its input, this model says the left point is 0.5 mm higher, the
    # right one 0.5 mm lower; mirrored, it says the opposite of the same
    # points, so read both ways they stay on the spline. The centre, the
    # same point either way, moves by the model's 0.25 mm.
    model = blind_model([0.25, -0.5, 0.5], passes=1, offsets=(0.0, -1 / 3, 1 / 3))
    rows = np.full(30, 80.0)
    rows[12:15] = [70.0, 60.0, 70.0]
    refined = rows_refine([rows], np.zeros((160, 100), np.float32), 5, 8.0, model)[0]
    points = refined.reshape(-1, 3)
    spline = points_spline(rows, points_columns(rows.size, 3)).reshape(-1, 3)
    assert np.allclose(points[11:16, 1], rows[11:16] + 2.0)
    assert np.allclose(points[11:16, [0, 2]], spline[11:16, [0, 2]])


def test_the_points_must_lie_evenly_around_the_centre():
    assert ColumnModelConfig(offsets=(0.0, -0.4, -0.2, 0.2, 0.4)).offsets[0] == 0.0
    for offsets in [(0.0, 0.25), (-1 / 3, 0.0, 1 / 3), (0.0, -0.3, 0.3), (0.0, -1 / 3, 0.0)]:
        with pytest.raises(ValueError, match="offsets"):
            ColumnModelConfig(offsets=offsets)


def test_a_smooth_trace_keeps_its_shape_between_the_columns():
    # No steep column: the points inside each column lie on the curve through
    # the centres (a slow wave, as a T wave is at 100 dpi).
    model = ColumnModel(ColumnModelConfig(passes=1)).eval()
    columns = np.arange(60, dtype=float)
    wave = 80.0 + 0.5 * np.sin(columns / 6.0)      # never 0.3 mm from a neighbour
    refined = rows_refine([wave], np.zeros((160, 100), np.float32), 5, 8.0, model)[0]
    k = points_per_column(model.config)
    where = points_columns(columns.size, k)
    inner = (where > 2) & (where < 57)
    assert np.abs(refined[inner] - (80.0 + 0.5 * np.sin(where[inner] / 6.0))).max() < 1e-3


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
    target = torch.tensor([[[0.1, 0.0, 0.2], [-0.2, -0.1, -0.3], [0.0, 0.1, -0.1], [0.3, 0.2, 0.4]]])
    _, a = model(patch, neighbours, scale, target)
    target[0, 3, 1] = 5.0                        # the tracker followed other ink here
    _, b = model(patch, neighbours, scale, target)
    c, _ = model(patch, neighbours, scale)
    keep = torch.ones(4, 3, dtype=torch.bool)
    keep[3, 1] = False
    expected = ((c - target[0])[keep] ** 2).mean()
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
        keep = (np.abs(target) < model.config.max_correction_mm).all(axis=1)    # every point of the column
        with torch.no_grad():
            correction, _ = model(*(torch.from_numpy(examples[k][keep]) for k in ("patch", "neighbours", "px_per_mm")))
        rms = lambda e: float(np.sqrt(np.mean(e ** 2)))  # noqa: E731
        errors[dpi] = (rms(target[keep]), rms(target[keep] - correction.numpy()))
    for dpi, (before, after) in errors.items():
        assert after < 0.75 * before, (dpi, before, after)
