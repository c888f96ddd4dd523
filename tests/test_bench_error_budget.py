"""The error-budget benchmark's sample kinds (bench/error_budget.py)."""
import importlib.util
import os

import numpy as np

_PATH = os.path.join(os.path.dirname(__file__), "..", "bench", "error_budget.py")
_spec = importlib.util.spec_from_file_location("error_budget", _PATH)
error_budget = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(error_budget)


def test_sample_kinds_find_window_edges_outliers_and_steep_samples():
    fs = 500.0
    t = np.arange(1000) / fs
    ref = np.full(1000, np.nan)
    ref[100:400] = np.sin(2 * np.pi * 3.0 * t[100:400])   # one plotted window, samples [100, 400)
    est = ref.copy()
    est[250] += 1.0                                      # one wrong sample

    kinds = error_budget.sample_kinds(ref, est, fs)

    edge = int(round(error_budget.EDGE_S * fs))
    expected_edges = np.zeros(1000, bool)
    expected_edges[100:100 + edge] = expected_edges[400 - edge:400] = True
    np.testing.assert_array_equal(kinds["edges"], expected_edges)
    np.testing.assert_array_equal(np.flatnonzero(kinds["outliers"]), [250])
    assert not kinds["steep"][:100].any() and not kinds["steep"][400:].any()
    assert 0.05 <= kinds["steep"].sum() / 300 <= 0.12
    # The steepest samples of a sine are at its zero crossings.
    assert np.all(np.abs(ref[kinds["steep"]]) < 0.5)
