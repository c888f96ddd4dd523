"""The digitization model as the entry points see it: load once, run per record.

A model folder holds ``digitizer.json`` (which method, which options, which
weight files) and the weight files it names. ``digitizer_load`` reads it;
``Digitizer.record_digitize`` turns one record's page image(s) into a signal
in millivolts with the header's shape.

Options can be overridden at load time by arguments or environment variables:

==================  ======================  =====================================
argument            environment             meaning
==================  ======================  =====================================
``method``          ``ECGDIG_METHOD``       ``learned`` or ``classical``
``complete``        ``ECGDIG_COMPLETE``     1: fill unseen samples; 0: leave NaN
``device``          ``ECGDIG_DEVICE``       ``cuda``, ``cpu``; default: CUDA if present
``threads``         ``ECGDIG_THREADS``      torch's CPU threads (default 1; see below)
==================  ======================  =====================================

On the CPU, loading sets torch's thread count for the whole process
(``torch.set_num_threads``). One thread is the default: on two idle cores it
reads pages as fast as two (0.56 against 0.57 s per eik-dev clean page after
start-up, medians of 3 runs), and when the cores are busy it is over twice
as fast (1.07 against 2.47 s per page with a training running), since
torch's threads wait for each other.
"""
from __future__ import annotations

import json
import logging
import os
import warnings
from dataclasses import asdict, dataclass, field, replace

import numpy as np
import torch

from .completion import SIGNAL_MODEL_FILE, signal_complete, signal_model_load
from .digitize import METHODS, digitize_image
from .image_io import image_load
from .models.column_model import column_model_load
from .models.strip_model import strip_model_load
from .records import Header, header_load

__all__ = ["DigitizerConfig", "Digitizer", "digitizer_load", "digitizer_config_save", "CONFIG_FILE",
           "device_choose"]

log = logging.getLogger(__name__)

CONFIG_FILE = "digitizer.json"


@dataclass(frozen=True)
class DigitizerConfig:
    """What ``digitizer.json`` holds.

    Attributes
    ----------
    method : str
        Trace-extraction method, one of ``digitize.METHODS``.
    complete : bool
        Fill samples the page does not show with the signal model (or with
        the lead-relation prior when no signal model is present). When False
        they are written as NaN.
    signal_model, strip_model, column_model : str or None
        File names (in the model folder) of the signal model's, the image
        model's and the column model's weights. The image and column models
        serve the learned method only (the classical one needs no training).
    """
    method: str = "classical"
    complete: bool = True
    signal_model: str | None = SIGNAL_MODEL_FILE
    strip_model: str | None = None
    column_model: str | None = None


def device_choose(device: str | None = None) -> str:
    """``device``, else ``$ECGDIG_DEVICE``, else ``cuda`` when available, else ``cpu``."""
    choice = device or os.environ.get("ECGDIG_DEVICE")
    if choice:
        if choice.startswith("cuda") and not torch.cuda.is_available():
            raise ValueError(f"device {choice!r} asked for, but CUDA is not available here")
        return choice
    return "cuda" if torch.cuda.is_available() else "cpu"


@dataclass
class Digitizer:
    """A loaded digitization model.

    Attributes
    ----------
    config : DigitizerConfig
    device : str
    signal_model, strip_model, column_model : torch.nn.Module or None
    """
    config: DigitizerConfig
    device: str = "cpu"
    signal_model: object | None = field(default=None, repr=False)
    strip_model: object | None = field(default=None, repr=False)
    column_model: object | None = field(default=None, repr=False)

    def record_digitize(self, record: str) -> np.ndarray:
        """Signal ``(num_samples, num_leads)`` in mV for a record (path without extension).

        Every image named on the header's ``# Image:`` line is digitized; where
        several show the same sample, their values are averaged.

        Raises
        ------
        ValueError
            When the header names no image, an image is unreadable, or no
            page could be read.
        FileNotFoundError
            When a named image file does not exist.
        """
        header = header_load(record)
        if not header.image_files:
            raise ValueError(f"{record}.hea: the header names no image (no '# Image:' line)")
        folder = os.path.dirname(record)
        pages = [digitize_image(image_load(os.path.join(folder, name)), header.signal_names, header.fs,
                                header.num_samples, method=self.config.method, strip_model=self.strip_model,
                                column_model=self.column_model)
                 for name in header.image_files]
        for name, page in zip(header.image_files, pages):
            log.info("%s: %s", name, "; ".join(page.notes))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN where no page shows a lead
            signal = np.nanmean(np.stack([p.signal for p in pages]), axis=0)
            confidence = np.nanmean(np.stack([p.confidence for p in pages]), axis=0)
        return self._complete(signal, confidence, header)

    def _complete(self, signal: np.ndarray, confidence: np.ndarray, header: Header) -> np.ndarray:
        if not self.config.complete:
            return signal
        result = signal_complete(signal, header.fs, header.signal_names, self.signal_model,
                                 confidence=confidence, complete=True)
        return result.signal


def digitizer_load(model_folder: str | None, *, method: str | None = None, complete: bool | None = None,
                   device: str | None = None, threads: int | None = None) -> Digitizer:
    """Load the digitizer described by ``model_folder/digitizer.json``.

    A missing folder or file gives the classical digitizer with completion by
    lead relations only, with a warning.

    Raises
    ------
    ValueError
        When the config names an unknown method, or an option is malformed
        (``threads`` under 1 among them).
    FileNotFoundError
        When the config names a weight file that does not exist.
    """
    config = DigitizerConfig()
    path = os.path.join(model_folder, CONFIG_FILE) if model_folder else None
    if path and os.path.isfile(path):
        with open(path, encoding="utf-8") as f:
            stored = json.load(f)
        unknown = set(stored) - set(DigitizerConfig.__dataclass_fields__)
        if unknown:
            raise ValueError(f"{path}: unknown keys {sorted(unknown)}")
        config = DigitizerConfig(**stored)
    else:
        log.warning("no %s in %s: using the classical digitizer without a signal model",
                    CONFIG_FILE, model_folder)
        config = DigitizerConfig(signal_model=None)
    method = method or os.environ.get("ECGDIG_METHOD") or config.method
    if complete is None and os.environ.get("ECGDIG_COMPLETE") is not None:
        complete = _env_bool("ECGDIG_COMPLETE")
    config = replace(config, method=method, complete=config.complete if complete is None else complete)
    if config.method not in METHODS:
        raise ValueError(f"unknown method {config.method!r}; choose one of {', '.join(METHODS)}")
    if config.method == "learned" and not config.strip_model:
        raise ValueError(f"method 'learned' needs an image model, and {path} names none")
    chosen = device_choose(device)
    if chosen == "cpu":
        torch.set_num_threads(_threads_choose(threads))
    signal_model = _weights_load(model_folder, config.signal_model, signal_model_load, chosen, path)
    strip_model = _weights_load(model_folder, config.strip_model if config.method == "learned" else None,
                                strip_model_load, chosen, path)
    column_model = _weights_load(model_folder, config.column_model if config.method == "learned" else None,
                                 column_model_load, chosen, path)
    return Digitizer(config, chosen, signal_model, strip_model, column_model)


def _weights_load(model_folder: str, name: str | None, loader, device: str, config_path: str | None):
    """``loader(model_folder/name, device)``, or None when no file is named."""
    if not name:
        return None
    weights = os.path.join(model_folder, name)
    if not os.path.isfile(weights):
        raise FileNotFoundError(f"{weights}: named in {config_path}, but not found")
    return loader(weights, device)


def digitizer_config_save(model_folder: str, config: DigitizerConfig) -> None:
    """Write ``digitizer.json`` into ``model_folder``."""
    os.makedirs(model_folder, exist_ok=True)
    with open(os.path.join(model_folder, CONFIG_FILE), "w", encoding="utf-8") as f:
        json.dump(asdict(config), f, indent=2)
        f.write("\n")


def _threads_choose(threads: int | None) -> int:
    """``threads``, else ``$ECGDIG_THREADS``, else 1."""
    value = threads if threads is not None else os.environ.get("ECGDIG_THREADS", "1")
    try:
        count = int(value)
    except (TypeError, ValueError):
        count = 0
    if count < 1:
        raise ValueError(f"threads is {value!r}; use a whole number of at least 1 (argument or $ECGDIG_THREADS)")
    return count


def _env_bool(name: str) -> bool:
    value = os.environ[name].strip().casefold()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"${name} is {os.environ[name]!r}; use 1/0, true/false, yes/no or on/off")
