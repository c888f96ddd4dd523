#!/usr/bin/env python
"""The challenge's required functions, with their fixed signatures.

``train_models``, ``load_models`` and ``run_models`` are what the official
``train_model.py`` and ``run_model.py`` call; each hands over to the
``ecgdigitizer`` package. This entry digitizes only: the classification model
is always ``None`` and no labels are produced.
"""
from __future__ import annotations

import logging

import numpy as np

from ecgdigitizer.pipeline import Digitizer, digitizer_load
from ecgdigitizer.training.train import models_train

# ------------------------------------------------------------------ required functions


def train_models(data_folder: str, model_folder: str, verbose: bool) -> None:
    """Train the digitizer on ``data_folder`` and write it to ``model_folder``.

    ``data_folder`` is a challenge folder (records with images and signals)
    or a folder of WFDB records alone; see ``ecgdigitizer.training.train``.
    """
    _logging_setup(verbose)
    models_train(data_folder, model_folder, verbose=verbose)


def load_models(model_folder: str, verbose: bool) -> tuple[Digitizer, None]:
    """(digitization model, classification model); the second is always None."""
    _logging_setup(verbose)
    return digitizer_load(model_folder), None


def run_models(record: str, digitization_model: Digitizer, classification_model, verbose: bool
               ) -> tuple[np.ndarray | None, list[str] | None]:
    """(signal in mV with the header's shape, labels) for one record."""
    signal = digitization_model.record_digitize(record) if digitization_model is not None else None
    return signal, None

# ------------------------------------------------------------------ optional functions


def _logging_setup(verbose: bool) -> None:
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
