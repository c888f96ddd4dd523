"""The image model: canonical strips, the network, its decoding and its training data."""
import numpy as np
import pytest
import torch

from ecgdigitizer.models.strip_model import StripModel, StripModelConfig, rows_decode, strip_model_load, strip_model_save
from ecgdigitizer.strips import STRIP_HEIGHT, STRIP_PX_PER_MM, strip_extract
from ecgdigitizer.training.strip_data import StripDataConfig, StripDataset, strip_target
from render_helpers import LEADS12, record_write, synthetic_ecg


def test_strip_maps_page_points_exactly():
    page = np.full((800, 1200, 3), 255, np.uint8)
    page[400, 300:310] = 0                       # a dark mark at page row 400
    strip = strip_extract(page, 400.0, 100.0, 1100.0, px_per_mm=8.0)
    assert strip.image.shape[0] == STRIP_HEIGHT
    assert strip.image.shape[1] == round(1000 / 8.0 * STRIP_PX_PER_MM)
    r, c = strip.points_map(np.array([400.0]), np.array([304.5]))
    dark_row = np.argmin(strip.image[:, int(round(c[0])), 0])
    assert abs(dark_row - r[0]) <= 0.6
    assert abs(r[0] - (STRIP_HEIGHT - 1) / 2) <= 0.6  # the baseline is the strip's middle


def test_strip_pads_white_off_the_page():
    page = np.zeros((100, 100, 3), np.uint8)
    strip = strip_extract(page, 10.0, 0.0, 100.0, px_per_mm=4.0)
    assert strip.image[0].min() == 255  # above the page: white


def test_forward_shapes_loss_and_learning():
    torch.manual_seed(0)
    model = StripModel(StripModelConfig(widths=(4, 8, 8), dilations=(2,)))
    image = torch.rand(2, 3, 3, STRIP_HEIGHT, 32)  # (pages, crops, C, H, W)
    target = torch.full((2, 3, 32), 40.3)
    logits, loss = model(image, target)
    assert logits.shape == (6, STRIP_HEIGHT, 32) and loss.ndim == 0
    optimizer = torch.optim.AdamW(model.parameters(), 1e-2)
    first = loss.item()
    for _ in range(30):
        _, loss = model(image, target)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    assert loss.item() < 0.5 * first


def test_invalid_columns_do_not_count():
    model = StripModel(StripModelConfig(widths=(4, 8, 8), dilations=(2,)))
    image = torch.rand(1, 3, STRIP_HEIGHT, 16)
    valid = torch.zeros(1, 16, dtype=torch.bool)
    valid[0, :8] = True
    target = torch.full((1, 16), 20.0)
    _, a = model(image, target, valid)
    target[0, 8:] = 90.0  # changes only invalid columns
    _, b = model(image, target, valid)
    assert a.item() == pytest.approx(b.item())


def test_rows_decode_sub_pixel_and_ignores_a_far_second_mode():
    logits = torch.full((1, STRIP_HEIGHT, 2), -20.0)
    logits[0, 30, 0], logits[0, 31, 0] = 5.0, 5.0      # halfway between rows 30 and 31
    logits[0, 50, 1], logits[0, 80, 1] = 6.0, 5.0       # two candidates: take the stronger
    rows, confidence = rows_decode(logits)
    assert rows[0, 0].item() == pytest.approx(30.5, abs=1e-3)
    assert rows[0, 1].item() == pytest.approx(50.0, abs=1e-3)
    assert 0.6 < confidence[0, 1].item() < 0.8


def test_save_load_round_trip(tmp_path):
    model = StripModel(StripModelConfig(widths=(4, 8, 8), dilations=(2,))).eval()
    strip_model_save(str(tmp_path / "m.pt"), model)
    back = strip_model_load(str(tmp_path / "m.pt"))
    x = torch.rand(1, 3, STRIP_HEIGHT, 16)
    with torch.inference_mode():
        assert torch.equal(model(x)[0], back(x)[0])
    assert back.config == model.config


def test_strip_target_interpolates_and_marks_gaps():
    page = np.full((400, 1000, 3), 255, np.uint8)
    strip = strip_extract(page, 200.0, 0.0, 1000.0, px_per_mm=4.0)  # scale 0.5
    cols = np.r_[np.arange(0, 400, 2.0), np.arange(600, 1000, 2.0)]
    points = np.c_[np.full(cols.size, 200.0), cols]
    target, valid = strip_target(strip, points, strip.image.shape[1])
    assert np.allclose(target[valid], (200 - strip.top + 0.5) * strip.scale_y - 0.5)
    assert valid[10] and not valid[250] and valid[400]


def test_dataset_items_are_deterministic(tmp_path):
    path = record_write(str(tmp_path), "r1", synthetic_ecg(10.0, 500.0), 500.0, LEADS12)
    config = StripDataConfig(presets=("clean",), layouts=("3x4+1",), dpis=(100,), crops=3, crop_width=64)
    a = StripDataset([path], config, length=4, seed=3)[1]
    b = StripDataset([path], config, length=4, seed=3)[1]
    assert a["image"].shape == (3, 3, STRIP_HEIGHT, 64)
    assert torch.equal(a["image"], b["image"]) and torch.equal(a["target"], b["target"])
    assert a["valid"].float().mean() > 0.8
    assert (a["target"][a["valid"]] - (STRIP_HEIGHT - 1) / 2).abs().median() < 20


def test_points_unmap_inverts_points_map():
    strip = strip_extract(np.zeros((500, 900, 3), np.uint8), 250.3, 40.7, 860.2, px_per_mm=6.1)
    rows, cols = np.array([10.0, 250.3, 400.9]), np.array([41.0, 300.0, 859.5])
    back = strip.points_unmap(*strip.points_map(rows, cols))
    np.testing.assert_allclose(back, (rows, cols))
