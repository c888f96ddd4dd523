"""``train_model.py``'s work: train every model the digitizer uses from one data folder.

The folder may be a challenge folder (records with signals and page images,
ECG-Image-Kit JSON sidecars when present) or WFDB records alone: the signal
model learns from the signals of either. The digitizer's configuration
(``digitizer.json``) is written last, so a model folder is usable only once
training has finished.
"""
from __future__ import annotations

import logging
import os

from ..completion import SIGNAL_MODEL_FILE
from ..pipeline import DigitizerConfig, digitizer_config_save
from ..records import records_find, signal_load
from .config import config_override, config_preset
from .signal_training import signal_model_train

__all__ = ["models_train", "signal_records_find"]

log = logging.getLogger(__name__)


def signal_records_find(data_folder: str) -> list[str]:
    """Records of ``data_folder`` (paths without extension) whose signal files exist.

    Raises
    ------
    FileNotFoundError
        When the folder holds no record with a signal.
    """
    paths = []
    for record in records_find(data_folder):
        path = os.path.join(data_folder, record)
        try:
            signal, _ = signal_load(path)
        except (OSError, ValueError) as error:
            log.warning("skipping %s: %s", path, error)
            continue
        if signal is not None:
            paths.append(path)
    if not paths:
        raise FileNotFoundError(f"{data_folder}: no records with signal files to train on")
    return paths


def models_train(data_folder: str, model_folder: str, *, verbose: bool = False,
                 overrides: dict | None = None) -> None:
    """Train the signal model on ``data_folder`` and write a complete model folder.

    Hyper-parameters: the CPU or GPU preset of ``training.config``, then
    ``ECGDIG_<FIELD>`` environment variables, then ``overrides``.
    """
    config = config_override(config_preset("auto"), os.environ, prefix_only=True)
    config = config_override(config, overrides or {})
    paths = signal_records_find(data_folder)
    log.info("training the signal model on %d records of %s", len(paths), data_folder)
    signal_model_train(paths, model_folder, config, verbose)
    digitizer_config_save(model_folder, DigitizerConfig(signal_model=SIGNAL_MODEL_FILE))
