"""helper_code.py keeps the official challenge helper's names and behaviour."""
import os

import numpy as np
import pytest

import helper_code as hc

HIDDEN = """r1 2 250 6
r1.dat 16 1000(0)/mV 16 0    I
r1.dat 16 1000(0)/mV 16 0    II
# Image: r1-0.png, r1-1.png, r1-missing.png
"""


@pytest.fixture
def folder(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "r1.hea").write_text(HIDDEN)
    from PIL import Image
    for name in ("r1-0.png", "r1-1.png"):
        Image.new("RGB", (80, 70), "white").save(tmp_path / "sub" / name)
    return tmp_path


def test_find_records_and_getters(folder):
    assert hc.find_records(str(folder)) == [os.path.join("sub", "r1")]
    header = hc.load_header(str(folder / "sub" / "r1"))
    assert hc.get_record_name(header) == "r1"
    assert hc.get_num_signals(header) == 2
    assert hc.get_sampling_frequency(header) == 250.0
    assert hc.get_num_samples(header) == 6
    assert hc.get_signal_names(header) == ["I", "II"]
    assert hc.get_signal_units(header) == ["mV", "mV"]
    assert hc.get_adc_gains(header) == [1000.0, 1000.0]
    assert hc.get_baselines(header) == [0, 0]
    assert hc.get_variable(header, "# Image:") == ("r1-0.png, r1-1.png, r1-missing.png", True)
    assert hc.get_variables(header, "#Image:") == (["r1-0.png", "r1-1.png", "r1-missing.png"], True)
    assert hc.get_variable(header, "# Labels:") == ("", False)
    assert hc.get_labels_from_header(header) == []


def test_load_images_skips_missing_files(folder):
    images = hc.load_images(str(folder / "sub" / "r1"))
    assert len(images) == 2 and images[0].size == (80, 70)


def test_load_signals_hidden_is_none(folder):
    assert hc.load_signals(str(folder / "sub" / "r1")) == (None, None)


def test_save_signals_and_labels_round_trip(folder, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    hc.save_header(str(out / "r1"), HIDDEN)
    signal = np.array([[0.5, -1.0]] * 6)
    hc.save_signals(str(out / "r1"), signal, comments=["# note: test"])
    hc.save_labels(str(out / "r1"), ["AF", "NORM"])
    back, fields = hc.load_signals(str(out / "r1"))
    np.testing.assert_allclose(back, signal)
    assert fields["fs"] == 250 and fields["sig_name"] == ["I", "II"]
    assert hc.load_labels(str(out / "r1")) == ["AF", "NORM"]
    header = hc.load_header(str(out / "r1"))
    assert "# Labels: AF, NORM" in header and "note: test" in header
    assert hc.get_signal_files(str(out / "r1")) == ["r1.dat"]


def test_text_round_trip(tmp_path):
    hc.save_text(str(tmp_path / "a.txt"), "x\ny\n")
    assert hc.load_text(str(tmp_path / "a.txt")) == "x\ny\n"
    assert hc.get_header_file("a/b") == "a/b.hea"
    assert hc.is_number("1e3") and not hc.is_number("abc") and hc.is_integer("5.0") and not hc.is_integer("5.5")
