"""The folder runner: outputs, failures, parallel workers."""
import os

import numpy as np
import pytest

from ecgdigitizer.records import signal_load, text_save
from ecgdigitizer.runner import RecordError, records_run

HEADER = """{name} 2 100 50
{name}.dat 16 1(0)/uV 16 0    I
{name}.dat 16 1000(0)/mV 16 0    II
# Image: {name}-0.png
"""


def _folder(tmp_path, names):
    data = tmp_path / "data" / "nested"
    data.mkdir(parents=True)
    for name in names:
        text_save(str(data / f"{name}.hea"), HEADER.format(name=name))
    return str(tmp_path / "data")


def _digitize(record):
    if os.path.basename(record).startswith("bad"):
        raise ValueError("this page is unreadable")
    return np.full((50, 2), 0.5), None


@pytest.mark.parametrize("jobs", [1, 2])
def test_outputs_in_header_units_and_failures_reported(tmp_path, jobs):
    data = _folder(tmp_path, ["a", "bad", "c"])
    out = str(tmp_path / "out")
    summary = records_run(data, out, _digitize, allow_failures=True, progress=False, jobs=jobs)
    assert (summary.done, summary.failed) == (2, 1)
    assert summary.failures[0][0] == os.path.join("nested", "bad")
    assert "unreadable" in summary.failures[0][1]
    signal, fields = signal_load(os.path.join(out, "nested", "a"))
    assert fields["units"] == ["uV", "mV"]
    np.testing.assert_allclose(signal[0], [500.0, 0.5])   # mV written in each lead's unit
    assert os.path.isfile(os.path.join(out, "nested", "bad.hea"))
    assert not os.path.exists(os.path.join(out, "nested", "bad.dat"))


def test_without_allow_failures_the_run_stops_naming_the_record(tmp_path):
    data = _folder(tmp_path, ["a", "bad", "c"])
    with pytest.raises(RecordError, match="nested/bad.*unreadable"):
        records_run(data, str(tmp_path / "out"), _digitize, progress=False)
    assert os.path.isfile(tmp_path / "out" / "nested" / "a.dat")
    assert not os.path.exists(tmp_path / "out" / "nested" / "c.hea")


def test_a_stale_signal_of_a_failed_record_is_removed(tmp_path):
    data = _folder(tmp_path, ["bad"])
    out = tmp_path / "out" / "nested"
    out.mkdir(parents=True)
    (out / "bad.dat").write_bytes(b"old")
    records_run(data, str(tmp_path / "out"), _digitize, allow_failures=True, progress=False)
    assert not (out / "bad.dat").exists()


def test_unknown_unit_is_an_error(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    text_save(str(data / "r.hea"), HEADER.format(name="r").replace("/uV", "/furlong"))
    summary = records_run(str(data), str(tmp_path / "out"), _digitize, allow_failures=True, progress=False)
    assert summary.failed == 1 and "furlong" in summary.failures[0][1]
