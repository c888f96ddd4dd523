"""``train_model.py``'s work: train every model the digitizer uses from one data folder.

The folder may be a challenge folder (records with signals and page images,
ECG-Image-Kit JSON sidecars when present) or WFDB records alone.

* The signal model learns from the records' signals.
* The image model learns from pages the project's renderer draws from those
  signals on the fly, whose pixel ground truth is exact; when the folder's
  own images come with ECG-Image-Kit JSON files (``<image stem>.json``),
  those pages and their ``plotted_pixels`` are added to its training set.
  Images without JSON are not used: their pixel targets are unknown.
* The column model learns from pages drawn the same way and read by the
  freshly trained image model (rendered pages only: the JSON files of other
  renderers place pixels by their own conventions, off by up to half a
  pixel, which is the size of the corrections it learns).

The digitizer's configuration (``digitizer.json``) is written last, so a
model folder is usable only once training has finished.
"""
from __future__ import annotations

import logging
import os

from ..completion import SIGNAL_MODEL_FILE
from ..models.column_model import COLUMN_MODEL_FILE
from ..models.strip_model import STRIP_MODEL_FILE
from ..pipeline import DigitizerConfig, digitizer_config_save
from ..records import header_load, records_find, signal_load
from .config import config_override, config_preset
from .column_training import column_config_preset, column_data_config, column_model_train
from .signal_training import signal_model_train
from .strip_training import strip_config_preset, strip_model_train

__all__ = ["models_train", "signal_records_find", "sidecar_pages_find"]

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


def sidecar_pages_find(record_paths: list[str]) -> list[tuple[str, str]]:
    """(image, JSON) pairs for the images of ``record_paths`` that have an ECG-Image-Kit JSON file."""
    pages = []
    for path in record_paths:
        folder = os.path.dirname(path)
        for name in header_load(path).image_files:
            image = os.path.join(folder, name)
            sidecar = os.path.splitext(image)[0] + ".json"
            if os.path.isfile(image) and os.path.isfile(sidecar):
                pages.append((image, sidecar))
    return pages


def models_train(data_folder: str, model_folder: str, *, verbose: bool = False,
                 overrides: dict | None = None) -> None:
    """Train every model (signal, image, column) on ``data_folder``; write a complete model folder.

    Hyper-parameters: each model's CPU or GPU preset, then ``ECGDIG_<FIELD>``
    environment variables, then ``overrides`` (applied to every model).
    """
    def settings(preset):
        return config_override(config_override(preset, os.environ, prefix_only=True), overrides or {})

    paths = signal_records_find(data_folder)
    log.info("training the signal model on %d records of %s", len(paths), data_folder)
    signal_model_train(paths, model_folder, settings(config_preset("auto")), verbose)
    pages = sidecar_pages_find(paths)
    log.info("training the image model on pages drawn from %d records and %d pages with JSON",
             len(paths), len(pages))
    strip_model, _ = strip_model_train(paths, model_folder, settings(strip_config_preset("auto")), verbose,
                                       sidecar_pages=pages)
    log.info("training the column model on pages drawn from %d records", len(paths))
    column_model_train(paths, model_folder, strip_model, settings(column_config_preset("auto")), verbose,
                       data_config=column_data_config())
    digitizer_config_save(model_folder, DigitizerConfig(method="learned", signal_model=SIGNAL_MODEL_FILE,
                                                        strip_model=STRIP_MODEL_FILE,
                                                        column_model=COLUMN_MODEL_FILE))
