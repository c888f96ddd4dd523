"""Train the image model on pages rendered on the fly from WFDB records.

Usage::

    python -m ecgdigitizer.training.strip_training --records ../shared/data/records --model model -v
    python -m ecgdigitizer.training.strip_training --records ... --model model --set max_minutes=45
    python -m ecgdigitizer.training.strip_training ... --set max_steps=500 --set schedule_steps=0
    torchrun --nproc_per_node=4 -m ecgdigitizer.training.strip_training --records ... --model model

The records named in ``signal_data.HELD_OUT_RECORDS`` (the benchmark's) are
left out; 10 % of the rest (a seeded draw) validate. Weights go to
``<model>/strip_model.pt``, checkpoints to ``<model>/checkpoints/strip_model/``;
a second run with the same folder resumes from the last checkpoint. The CPU
preset's schedule is laid out for more steps than it runs (``schedule_steps``),
so a shorter run that should decay fully sets ``schedule_steps=0`` too.
"""
from __future__ import annotations

import argparse
import dataclasses
import logging
import os
import sys

import torch
from torch.utils.data import ConcatDataset

from ..models.strip_model import STRIP_MODEL_FILE, StripModel, StripModelConfig, strip_model_save
from .cli import model_fit_save, records_list, train_config, train_parser
from .config import TRAIN_GPU, TrainConfig, config_preset
from .loop import TrainResult
from .signal_data import records_split
from .strip_data import SidecarStripDataset, StripDataConfig, StripDataset

__all__ = ["strip_model_train", "strip_config_preset", "STRIP_TRAIN_CPU", "STRIP_TRAIN_GPU"]

logger = logging.getLogger(__name__)

# One item is a page of 12 crops, so batches are small in items. Drawing and
# reading a page (render, then the digitizer's own page_geometry) takes more CPU
# than the training step on it, so two data workers share the two cores with
# the step: 1.0 s a step against 1.3 s with one worker, which ran flat out while
# the step waited (the first 800 steps of two runs). Items depend only on their
# index, so the worker count does not change the model (both runs' validation
# losses agreed to every digit). The run stops at step 4000 of a schedule laid
# out for 6000: a 6000-step run validated best there, and a schedule fully
# decayed by step 4000 scored lower on the benchmark (README, "The shipped model").
STRIP_TRAIN_CPU = TrainConfig(batch_size=2, max_steps=4000, schedule_steps=6000, learning_rate=2e-3,
                              warmup_steps=100, eval_every=200, eval_batches=6, patience=0,
                              num_workers=2, num_threads=1, log_every=25)
STRIP_TRAIN_GPU = dataclasses.replace(TRAIN_GPU, batch_size=16, max_steps=20000, eval_every=500)
VAL_PAGES = 64


def strip_config_preset(device: str = "auto") -> TrainConfig:
    """``STRIP_TRAIN_GPU`` when ``device`` is CUDA (or "auto" and CUDA is present), else ``STRIP_TRAIN_CPU``."""
    return STRIP_TRAIN_GPU if config_preset(device) is TRAIN_GPU else STRIP_TRAIN_CPU


def strip_model_train(record_paths: list[str], model_dir: str, config: TrainConfig = STRIP_TRAIN_CPU,
                      verbose: bool = False, *, sidecar_pages: list[tuple[str, str]] = (),
                      model_config: StripModelConfig = StripModelConfig(),
                      data_config: StripDataConfig = StripDataConfig(), resume: bool = True
                      ) -> tuple[StripModel, TrainResult]:
    """Train the image model and write it to ``model_dir/strip_model.pt``.

    Parameters
    ----------
    record_paths : list of str
        WFDB records to render training pages from.
    sidecar_pages : list of (image path, JSON path)
        Pages with ECG-Image-Kit ground truth (a challenge training folder);
        they make up about a third of the training items when given.

    Returns the model (best validation weights, CPU, eval mode) and the loop's result.
    """
    train_paths, val_paths = records_split(record_paths, seed=config.seed)
    logger.info("image model: %d training and %d validation records, %d pages with JSON ground truth",
                len(train_paths), len(val_paths), len(sidecar_pages))
    items = config.horizon * config.batch_size
    train_data = StripDataset(train_paths, data_config, length=items, seed=config.seed)
    if sidecar_pages:
        train_data = ConcatDataset([train_data, SidecarStripDataset(list(sidecar_pages), data_config,
                                                                    length=items // 2, seed=config.seed)])
    val_data = StripDataset(val_paths, data_config, length=VAL_PAGES, seed=config.seed + 1) \
        if val_paths else None
    torch.manual_seed(config.seed)
    model = StripModel(model_config)
    logger.info("image model: %.3f M parameters", model.num_params() / 1e6)
    result = model_fit_save(model, train_data, val_data, config, model_dir,
                            os.path.splitext(STRIP_MODEL_FILE)[0], strip_model_save, resume=resume)
    return model, result


def run(args: argparse.Namespace) -> None:
    config = train_config(args, strip_config_preset)
    strip_model_train(records_list(args.records), args.model, config, args.verbose, resume=not args.no_resume)


if __name__ == "__main__":
    run(train_parser("Train the image model on pages rendered from WFDB records.", STRIP_MODEL_FILE)
        .parse_args(sys.argv[1:]))
