"""Loading pages of every kind, and clear errors for bad files."""
import cv2
import numpy as np
import pytest

from ecgdigitizer.image_io import image_load


def test_grey_rgba_and_16_bit(tmp_path):
    grey = np.full((100, 120), 200, np.uint8)
    cv2.imwrite(str(tmp_path / "g.png"), grey)
    assert image_load(str(tmp_path / "g.png")).shape == (100, 120, 3)
    rgba = np.zeros((100, 120, 4), np.uint8)  # fully transparent: becomes white paper
    cv2.imwrite(str(tmp_path / "a.png"), rgba)
    assert (image_load(str(tmp_path / "a.png")) == 255).all()
    deep = np.full((100, 120, 3), 65535, np.uint16)
    cv2.imwrite(str(tmp_path / "d.png"), deep)
    assert (image_load(str(tmp_path / "d.png")) == 255).all()
    bgr = np.zeros((100, 120, 3), np.uint8)
    bgr[:, :, 2] = 255  # red in OpenCV's BGR order
    cv2.imwrite(str(tmp_path / "r.jpg"), bgr)
    assert image_load(str(tmp_path / "r.jpg"))[50, 60, 0] > 200  # comes back as RGB


@pytest.mark.parametrize("content, message", [(b"", "empty"), (b"not an image at all" * 100, "not a readable image")])
def test_bad_files_are_named(tmp_path, content, message):
    path = tmp_path / "bad.png"
    path.write_bytes(content)
    with pytest.raises(ValueError, match=message) as info:
        image_load(str(path))
    assert "bad.png" in str(info.value)


def test_missing_and_tiny(tmp_path):
    with pytest.raises(FileNotFoundError, match="nothere.png"):
        image_load(str(tmp_path / "nothere.png"))
    cv2.imwrite(str(tmp_path / "tiny.png"), np.zeros((10, 10), np.uint8))
    with pytest.raises(ValueError, match="too small"):
        image_load(str(tmp_path / "tiny.png"))


def test_link_checked_out_as_text_is_followed(tmp_path):
    (tmp_path / "hidden").mkdir()
    (tmp_path / "full").mkdir()
    cv2.imwrite(str(tmp_path / "hidden" / "p.png"), np.full((100, 100), 7, np.uint8))
    (tmp_path / "full" / "p.png").write_text("../hidden/p.png")
    assert image_load(str(tmp_path / "full" / "p.png"))[0, 0, 0] == 7
