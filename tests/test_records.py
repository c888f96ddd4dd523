"""Headers, signals and atomic writes (ecgdigitizer.records)."""
import os
import stat

import numpy as np
import pytest
import wfdb

from ecgdigitizer.records import (header_hide, header_load, header_parse, records_find, signal_load,
                                  signal_write, text_save)

FULL = """rec1 3 500 8
rec1.dat 16 1000.0(0)/mV 16 0 -115 13047 0 I
rec1.dat 16 1000.0(0)/mV 16 0 -50 11561 0 II
rec1.dat 16 200(5)/uV 16 0 65 64050 0 V1
# Age: 56
# Image: rec1-0.png, rec1-1.png
# Labels: NORM
"""

HIDDEN = """rec1 3 500 8
rec1.dat 16 1000.0(0)/mV 16 0    I
rec1.dat 16 1000.0(0)/mV 16 0    II
rec1.dat 16 200(5)/uV 16 0    V1
# Image: rec1-0.png
"""


def test_full_header_fields():
    h = header_parse(FULL)
    assert (h.record_name, h.num_signals, h.fs, h.num_samples) == ("rec1", 3, 500.0, 8)
    assert h.signal_names == ["I", "II", "V1"]
    assert h.units == ["mV", "mV", "uV"]
    assert h.adc_gains == [1000.0, 1000.0, 200.0]
    assert h.baselines == [0, 0, 5]
    assert h.image_files == ["rec1-0.png", "rec1-1.png"]
    assert h.labels == ["NORM"]


def test_hidden_header_fields():
    h = header_parse(HIDDEN)
    assert h.signal_names == ["I", "II", "V1"]
    assert h.num_samples == 8 and h.fs == 500.0
    assert h.image_files == ["rec1-0.png"]
    assert h.labels == []


def test_header_hide_keeps_only_what_a_referee_gives():
    hidden = header_hide(FULL)
    lines = hidden.splitlines()
    assert lines[0] == "rec1 3 500 8"
    assert lines[1].split() == ["rec1.dat", "16", "1000.0(0)/mV", "16", "0", "I"]
    assert [ln for ln in lines if ln.startswith("#")] == ["# Image: rec1-0.png, rec1-1.png"]
    assert header_parse(hidden).signal_names == header_parse(FULL).signal_names


@pytest.mark.parametrize("text, field", [
    ("rec 12 fast 5000\n", "sampling frequency"),
    ("rec twelve 500 5000\n", "number of signals"),
    ("rec 1 500 5000.5\nrec.dat 16 1000/mV 16 0 I\n", "number of samples"),
    ("rec 1 500 10\nrec.dat 16 abc(0)/mV 16 0 I\n", "ADC gain"),
    ("rec 2 500 10\nrec.dat 16 1000/mV 16 0 I\n", "signal lines"),
    ("# only a comment\n", "record line"),
])
def test_bad_numbers_are_named(text, field):
    with pytest.raises(ValueError, match=field):
        header_parse(text, source="x.hea")


def test_records_find_recursive_sorted(tmp_path):
    for rel in ["b/2.hea", "a/1.hea", "0.hea", "a/1.dat", "c/.tmp-x.hea"]:
        os.makedirs(tmp_path / os.path.dirname(rel), exist_ok=True)
        (tmp_path / rel).write_text("x 1 500 1\n")
    assert records_find(str(tmp_path)) == ["0", os.path.join("a", "1"), os.path.join("b", "2")]


def test_signal_write_round_trip_with_nan(tmp_path):
    text_save(str(tmp_path / "rec1.hea"), HIDDEN)
    header = header_load(str(tmp_path / "rec1"))
    signal = np.array([[0.1, -0.2, 30.0]] * 8)
    signal[2:5, 0] = np.nan
    out = str(tmp_path / "out" / "rec1")
    signal_write(out, signal, header)
    back, fields = signal_load(out)
    assert fields["sig_name"] == ["I", "II", "V1"] and fields["units"] == ["mV", "mV", "uV"]
    assert fields["fs"] == 500 and back.shape == (8, 3)
    assert np.isnan(back[2:5, 0]).all()
    np.testing.assert_allclose(back[~np.isnan(signal)], signal[~np.isnan(signal)], atol=0.005)
    comments = wfdb.rdheader(out).comments
    assert "Image: rec1-0.png" in comments
    assert sorted(os.listdir(tmp_path / "out")) == ["rec1.dat", "rec1.hea"]  # no temporary files left


def test_signal_write_rejects_wrong_shape(tmp_path):
    header = header_parse(HIDDEN)
    with pytest.raises(ValueError, match="shape"):
        signal_write(str(tmp_path / "rec1"), np.zeros((7, 3)), header)
    assert not os.path.exists(tmp_path / "rec1.dat")


def test_signal_load_without_signal_file(tmp_path):
    text_save(str(tmp_path / "rec1.hea"), HIDDEN)
    assert signal_load(str(tmp_path / "rec1")) == (None, None)


def test_signal_write_clips_instead_of_wrapping(tmp_path):
    header = header_parse(HIDDEN)
    signal = np.zeros((8, 3))
    signal[0, 0] = 50.0    # 50 mV x 1000 adu/mV is beyond int16
    signal[1, 0] = -50.0
    signal_write(str(tmp_path / "rec1"), signal, header)
    back, _ = signal_load(str(tmp_path / "rec1"))
    assert back[0, 0] == pytest.approx(32.767) and back[1, 0] == pytest.approx(-32.767)


def test_a_saved_header_has_the_mode_of_an_ordinary_new_file(tmp_path):
    # Written through a private temporary file, it must still be readable by
    # whoever could read a file the process made the plain way.
    text_save(str(tmp_path / "a.hea"), "a 12 500 5000\n")
    (tmp_path / "b.hea").write_text("a 12 500 5000\n")
    mode = stat.S_IMODE((tmp_path / "a.hea").stat().st_mode)
    assert mode == stat.S_IMODE((tmp_path / "b.hea").stat().st_mode)
