"""Signal model and its classical prior: shapes, loss, the identity start, learning, lead relations, beats."""
import os

import numpy as np
import pytest
import torch

from conftest import SHARED_DATA
from ecgdigitizer.layouts import LIMB_BASIS, STANDARD_LEADS
from ecgdigitizer.models import SignalModel, SignalModelConfig, beats_detect, signal_prior_fill
from ecgdigitizer.models.signal_prior import beats_refine
from ecgdigitizer.training.signal_data import layout_mask, record_load_resampled

TINY = SignalModelConfig(widths=(16, 16, 32), kernel_size=5, attn_layers=1, attn_heads=2)
FS = 100.0


def synthetic_record(T=1000, fs=FS, rr=0.8, seed=0, qrs_s=0.02):
    """(12, T) mV: Gaussian 'QRS' (s.d. ``qrs_s``) and 'T' bumps every ``rr`` s; limb leads obey the identities."""
    rng = np.random.default_rng(seed)
    t = np.arange(T) / fs
    beats = np.arange(0.3, T / fs, rr)
    def wave(amps):
        qrs = sum(np.exp(-0.5 * ((t - b) / qrs_s) ** 2) for b in beats)
        tw = sum(np.exp(-0.5 * ((t - b - 0.3) / 0.06) ** 2) for b in beats)
        return amps[0] * qrs + amps[1] * tw
    plane = np.stack([wave(rng.uniform(0.3, 1.5, 2)), wave(rng.uniform(0.3, 1.5, 2))])  # I, II
    limb = LIMB_BASIS @ plane                                                           # (6, T)
    chest = np.stack([wave(rng.uniform(-1.5, 1.5, 2)) for _ in range(6)])
    return np.concatenate([limb, chest]).astype(np.float32), beats


def batch(B=2, T=1000, layout="3x4+1"):
    records = [synthetic_record(T, seed=i)[0] for i in range(B)]
    mask = np.stack([layout_mask(layout, T)] * B)
    values = np.where(mask, np.stack(records), 0.0)
    priors = [signal_prior_fill(v, m, FS) for v, m in zip(values, mask)]
    f = lambda a: torch.tensor(np.asarray(a), dtype=torch.float32)
    return dict(values=f(values), mask=f(mask), confidence=f(mask), target=f(records),
                prior=f([p for p, _ in priors]), prior_mask=f([k for _, k in priors]))


def test_forward_shapes_and_loss():
    torch.manual_seed(0)
    model = SignalModel(TINY)
    b = batch()
    out, loss = model(**b)
    assert out.shape == (2, 12, 1000)
    assert loss.ndim == 0 and torch.isfinite(loss)
    out2, loss2 = model(b["values"], b["mask"], b["confidence"])  # no target, prior computed inside
    assert loss2 is None
    torch.testing.assert_close(out2, out)


def test_untrained_model_returns_the_prior():
    model = SignalModel(TINY)
    b = batch()
    out, _ = model(**b)
    base = torch.where(b["prior_mask"] > 0, b["prior"], b["values"])
    torch.testing.assert_close(out, base)


def test_length_must_be_a_multiple_of_the_stride():
    with pytest.raises(AssertionError, match="multiple of 4"):
        SignalModel(TINY)(**batch(T=999))


def test_a_few_steps_reduce_the_loss():
    torch.manual_seed(0)
    model = SignalModel(TINY)
    b = batch()
    opt = torch.optim.AdamW(model.parameters(), lr=3e-3)
    losses = []
    for _ in range(15):
        _, loss = model(**b)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.7 * losses[0], f"loss went {losses[0]:.4g} -> {losses[-1]:.4g}"


def test_prior_limb_relations_are_exact():
    x, _ = synthetic_record()
    mask = np.zeros_like(x, dtype=bool)
    mask[0, :500] = mask[2, :500] = True          # I and III seen in the first half: the plane is known
    prior, known = signal_prior_fill(x, mask, FS)
    limb = slice(0, 6)
    assert known[limb, :500].all()
    np.testing.assert_allclose(prior[limb, :500], x[limb, :500], atol=1e-5)


def test_prior_beat_copy_fills_periodic_leads():
    x, beats = synthetic_record(rr=0.8)
    mask = layout_mask("3x4+1", x.shape[1])
    prior, known = signal_prior_fill(x, mask, FS)
    found = beats_detect(np.where(mask, x, 0), mask, FS)
    assert len(found) == len(beats), f"found beats at {found}, made them at {beats * FS}"
    v1 = STANDARD_LEADS.index("V1")
    err = np.abs(prior[v1] - x[v1])[known[v1]]
    assert known[v1].mean() > 0.9 and err.max() < 0.05, f"coverage {known[v1].mean():.2f}, max error {err.max():.3f}"


def test_prior_of_nothing_is_empty():
    prior, known = signal_prior_fill(np.zeros((12, 200)), np.zeros((12, 200), bool), FS)
    assert not known.any() and not prior.any()
    with pytest.raises(ValueError, match=r"\(12, T\)"):
        signal_prior_fill(np.zeros((11, 200)), np.zeros((11, 200), bool), FS)


def test_beats_are_timed_to_a_fraction_of_a_sample_on_the_rhythm_strip():
    fs, rr = FS, 0.813                                  # beats fall between samples at 100 Hz
    x, beats = synthetic_record(rr=rr)
    mask = layout_mask("3x4+1", x.shape[1])
    seen = np.where(mask, x, 0)
    found = beats_detect(seen, mask, fs)
    refined = beats_refine(seen, mask, found, fs)
    true = beats * fs
    assert len(found) == len(true)
    # every beat against the same fiducial: the lag to the truth is one constant
    spread_found = np.ptp(found - true)
    spread_refined = np.ptp(refined - true)
    assert spread_refined < 0.25 and spread_found > 0.5, f"spread {spread_found:.2f} -> {spread_refined:.2f} samples"


def test_a_beat_cut_by_the_record_s_start_is_timed_as_in_the_whole_record():
    # A real record's second beat, refined in the whole 10 s, then with the
    # record cut to start 90-110 ms before it: matched on the part of its
    # window the cut leaves, it keeps its time to a fraction of a sample (the
    # energy peak alone was 1.6 samples off).
    x = record_load_resampled(os.path.join(SHARED_DATA, "records", "ptbxl", "00001_hr"), FS)[:, :1000]
    def refined(signal):
        mask = layout_mask("3x4+1", signal.shape[1])
        seen = np.where(mask, signal, 0)
        return beats_refine(seen, mask, beats_detect(seen, mask, FS), FS)
    beat = refined(x)[1]
    for before in (9, 11):
        cut = int(round(beat)) - before
        first = refined(x[:, cut:cut + 700])[0]
        assert abs(first - (beat - cut)) < 1.0, f"{before} samples after the cut: {first - (beat - cut):+.2f}"


def test_beats_without_a_rhythm_strip_come_back_unchanged():
    x, _ = synthetic_record()
    mask = layout_mask("3x4", x.shape[1])
    found = beats_detect(np.where(mask, x, 0), mask, FS)
    np.testing.assert_array_equal(beats_refine(np.where(mask, x, 0), mask, found, FS), found)


def test_copied_limb_leads_follow_the_seen_lead_s_baseline():
    x, _ = synthetic_record()
    T = x.shape[1]
    drift = 0.4 * np.sin(2 * np.pi * np.arange(T) / T)   # slow wander of lead II, carried by the plane
    plane = np.stack([x[0], x[1] + drift])              # I, II
    x[:6] = LIMB_BASIS @ plane
    mask = layout_mask("3x4+1", T)                      # the last two columns show only II of the limb leads
    prior, known = signal_prior_fill(x, mask, FS)
    late = slice(T // 2 + 20, T - 20)
    aVF = STANDARD_LEADS.index("aVF")
    assert known[:6, late].all()
    err = np.abs(prior[aVF, late] - x[aVF, late])
    assert err.max() < 0.05, f"aVF off by up to {err.max():.3f} mV where only II is seen"


def test_beats_are_found_in_both_halves_of_a_6x2_page():
    # limb leads in the first 5 s, chest leads in the last 5 s: each half's
    # leads must reach the threshold by their own QRS slopes
    x = record_load_resampled(os.path.join(SHARED_DATA, "records", "chapman_ningbo", "JS00004"), FS)[:, :1000]
    mask = layout_mask("6x2", 1000)
    found = beats_detect(np.where(mask, x, 0), mask, FS)
    rr = np.diff(found)
    assert (found < 500).sum() >= 4 and (found >= 500).sum() >= 4, f"beats at {found}"
    assert rr.max() < 1.5 * np.median(rr), f"a beat is missing: RR {rr}"
