"""Scoring digitized ECGs: the Challenge 2024 SNR, signal metrics, clinical intervals, figures.

Modules, one job each:

* :mod:`.alignment`  time lag and amplitude offset of an output lead (<= 0.5 s, <= 1 mV);
* :mod:`.metrics`    SNR (Challenge 2024 definition), MSE, MAE, RMSE, Pearson, R^2;
* :mod:`.peaks`      R-peak detection and matching (timing error, missed / extra beats);
* :mod:`.intervals`  delineation (NeuroKit2) and HR, RR, PR, QRS, QT, QTc;
* :mod:`.ludb`       the LUDB cardiologists' annotations, to measure the delineator;
* :mod:`.scoring`    ``folders_score``: folders -> per-lead, per-record and summary tables;
* :mod:`.report`     figures (PNG) and one HTML page;
* :mod:`.cli`        the ``evaluate_model.py`` command line.
"""
from .scoring import EvaluationResult, folders_score, record_score

__all__ = ["EvaluationResult", "folders_score", "record_score"]
