"""beat_pool: noisy QRS complexes pulled toward their lead's other beats, window ends copied from them."""
import numpy as np

from ecgdigitizer.beat_pool import beats_pool, beats_typical, edges_from_beats
from ecgdigitizer.spans import true_spans
from ecgdigitizer.training.signal_data import layout_mask
from test_signal_model import synthetic_record

FS = 500.0
N = 5000


def page_reading(seed=0, noise_mv=0.05, qrs_noise_only=True, rr=0.75):
    """A synthetic record (N, 12), and the same as a noisy 3x4+1 page reads it (NaN where unplotted)."""
    x, beats = synthetic_record(T=N, fs=FS, rr=rr, seed=seed)
    truth = x.T.astype(np.float64)
    rng = np.random.default_rng(seed + 100)
    noise = rng.normal(0.0, noise_mv, truth.shape)
    if qrs_noise_only:                       # reading errors where the strokes are: around each QRS
        t = np.arange(N) / FS
        near = np.min(np.abs(t[:, None] - beats[None, :]), axis=1) < 0.05
        noise[~near] = 0.0
    read = np.where(layout_mask("3x4+1", N).T, truth + noise, np.nan)
    return truth, read, beats


def pool(read, **kwargs):
    return beats_pool(read, beats_typical(read, FS, min_correlation=kwargs.pop("min_correlation", 0.9)), FS,
                      **kwargs)


def test_pooling_brings_a_noisy_reading_closer_to_the_record():
    truth, read, _ = page_reading()
    pooled = pool(read)
    seen = np.isfinite(read)
    before = np.mean((read[seen] - truth[seen]) ** 2)
    after = np.mean((pooled[seen] - truth[seen]) ** 2)
    assert after < 0.8 * before


def test_unseen_stays_nan_and_weight_zero_changes_nothing():
    _, read, _ = page_reading()
    pooled = pool(read)
    assert np.array_equal(np.isnan(pooled), np.isnan(read))
    unchanged = pool(read, weight=0.0)
    assert np.array_equal(unchanged, read, equal_nan=True)


def test_only_qrs_windows_move():
    _, read, beats = page_reading()
    pooled = pool(read, half_s=0.1)
    t = np.arange(N) / FS
    far = np.min(np.abs(t[:, None] - beats[None, :]), axis=1) > 0.12
    seen = np.isfinite(read)
    assert np.array_equal(pooled[far & seen.all(axis=1)], read[far & seen.all(axis=1)])
    assert not np.allclose(pooled[seen], read[seen])


def test_an_atypical_beat_is_left_as_read():
    """A beat of another shape on every lead (here upside down) is neither changed nor copied into the others."""
    _, read, beats = page_reading(noise_mv=0.0)
    t = np.arange(N) / FS
    odd = np.abs(t - beats[6]) < 0.1
    read[odd] = 2 * np.mean(read[odd], axis=0) - read[odd]
    seen = np.isfinite(read)
    for min_correlation, kept in ((0.9, True), (-1.0, False)):   # the check on, then off
        pooled = pool(read, min_correlation=min_correlation)
        for window in (odd, np.abs(t - beats[7]) < 0.1):           # the odd beat, a typical one beside it
            assert np.allclose(pooled[window][seen[window]], read[window][seen[window]]) == kept


def test_a_qrs_hidden_at_a_window_start_is_copied_from_the_lead_s_other_beats():
    """A window that starts on a QRS read flat under the separator bar gets the QRS back; nothing else moves."""
    truth, read, _ = page_reading(noise_mv=0.0, rr=0.55)       # a beat at 2.5 s, where column 2 starts
    edge = 12                                        # samples under the bar: 24 ms at 500 Hz
    start, j = 1250, 3                               # aVR's window starts at 2.5 s
    hidden = np.arange(start, start + edge)
    read[hidden, j] = read[start + edge, j]          # read flat, as from the first column after the bar
    filled = edges_from_beats(read, beats_typical(read, FS), FS, edge / FS)
    before = np.abs(read[hidden, j] - truth[hidden, j]).max()
    after = np.abs(filled[hidden, j] - truth[hidden, j]).max()
    assert before > 0.1 and after < 0.2 * before
    seen = np.isfinite(read)
    inner = np.zeros(N, bool)
    for a, b in true_spans(seen[:, j]):
        inner[a + edge:b - edge] = True
    assert np.array_equal(filled[inner, j], read[inner, j])
    assert np.array_equal(np.isnan(filled), np.isnan(read))
