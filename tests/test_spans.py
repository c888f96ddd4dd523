"""Spans of True in a mask."""
import numpy as np

from ecgdigitizer.spans import true_spans


def test_true_spans_known_answers():
    assert true_spans(np.array([0, 1, 1, 0, 1], bool)) == [(1, 3), (4, 5)]
    assert true_spans(np.ones(3, bool)) == [(0, 3)]
    assert true_spans(np.zeros(4, bool)) == []
