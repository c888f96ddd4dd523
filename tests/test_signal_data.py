"""Training data of the signal model: held-out records, layout masks, deterministic items."""
import numpy as np
import pytest
import wfdb

from ecgdigitizer.layouts import STANDARD_LEADS
from ecgdigitizer.training.signal_data import (HELD_OUT_RECORDS, SignalDataConfig, SignalWindowDataset,
                                               layout_mask, record_load_resampled, records_split)
from test_signal_model import synthetic_record


@pytest.fixture(scope="module")
def records(tmp_path_factory):
    """Three 12-s synthetic records at 500 Hz in a folder, one of them named like a held-out record."""
    folder = tmp_path_factory.mktemp("records")
    paths = []
    for i, name in enumerate(["rec_a", "rec_b", "00001_hr"]):
        sub = folder / ("ptbxl" if name == "00001_hr" else "synthetic")
        sub.mkdir(exist_ok=True)
        x, _ = synthetic_record(T=6000, fs=500.0, seed=i)
        wfdb.wrsamp(name, fs=500, units=["mV"] * 12, sig_name=list(STANDARD_LEADS), p_signal=x.T.astype(np.float64),
                    fmt=["16"] * 12, adc_gain=[1000.0] * 12, baseline=[0] * 12, write_dir=str(sub))
        paths.append(str(sub / name))
    return paths


def test_held_out_records_never_train_or_validate(records):
    assert len(HELD_OUT_RECORDS) == 16 and "ptbxl/00001_hr" in HELD_OUT_RECORDS
    train, val = records_split(records, val_fraction=0.5)
    assert not any(p.endswith("ptbxl/00001_hr") for p in train + val)
    assert sorted(train + val) == sorted(records[:2]) and len(val) == 1
    with pytest.raises(ValueError, match="no records left"):
        records_split(records[2:])


def test_layout_mask_follows_the_page():
    mask = layout_mask("3x4+1", 1000)
    lead = STANDARD_LEADS.index
    assert mask[lead("II")].all()
    assert mask[lead("aVR"), 250:500].all() and not mask[lead("aVR"), :250].any() and not mask[lead("aVR"), 500:].any()
    assert mask[lead("V6"), 750:].all() and mask.sum() == 11 * 250 + 1000
    assert layout_mask("12x1", 100).all()


def test_resampling_keeps_the_signal(records):
    x = record_load_resampled(records[0], 100.0)
    assert x.shape == (12, 1200) and np.isfinite(x).all()


def test_items_are_deterministic_and_consistent(records):
    config = SignalDataConfig()
    ds = SignalWindowDataset(records[:2], config, length=20, seed=5)
    again = SignalWindowDataset(records[:2], config, length=20, seed=5)
    for i in range(6):
        a, b = ds[i], again[i]
        assert set(a) == {"values", "mask", "confidence", "prior", "prior_mask", "target"}
        for k in a:
            assert a[k].shape == (12, 1000)
            np.testing.assert_array_equal(a[k].numpy(), b[k].numpy(), err_msg=k)
        unseen = a["mask"] == 0
        assert (a["values"][unseen] == 0).all() and (a["confidence"][unseen] == 0).all()
        assert 0 < a["mask"].mean() < 1
    assert not np.array_equal(ds[0]["mask"].numpy(), ds[2]["mask"].numpy()) or \
        not np.array_equal(ds[0]["values"].numpy(), ds[2]["values"].numpy())
