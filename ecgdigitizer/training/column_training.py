"""Train the column model on pages rendered from WFDB records and read by the image model.

Usage::

    python -m ecgdigitizer.training.column_training --records ../shared/data/records --model model -v
    python -m ecgdigitizer.training.column_training --records ... --model model --set max_steps=500
    ECGDIG_TRAIN_PAGES=100 python -m ecgdigitizer.training.column_training --records ... --model model

The image model must already be in ``<model>/strip_model.pt``: the examples
are the columns it and the ink tracker read. The records named in
``signal_data.HELD_OUT_RECORDS`` are left out; 10 % of the rest (the same
seeded draw as the other models) give the validation pages. Weights go to
``<model>/column_model.pt``, checkpoints to ``<model>/checkpoints/column_model/``.
"""
from __future__ import annotations

import argparse
import dataclasses
import logging
import os
import sys

import torch

from ..models.column_model import COLUMN_MODEL_FILE, ColumnModel, ColumnModelConfig, column_model_save
from ..models.strip_model import STRIP_MODEL_FILE, StripModel, strip_model_load
from .cli import model_fit_save, records_list, train_config, train_parser
from .column_data import ColumnDataConfig, ColumnDataset, column_pool_build
from .config import TRAIN_GPU, TrainConfig, config_override, config_preset
from .loop import TrainResult
from .signal_data import records_split

__all__ = ["column_model_train", "column_config_preset", "column_data_config", "COLUMN_TRAIN_CPU",
           "COLUMN_TRAIN_GPU"]

logger = logging.getLogger(__name__)

# The examples sit in memory (a 400-page pool holds about 500 000), so no data
# workers are needed; one step of 4 items (1024 columns) takes about 0.1 s on
# two CPU cores, and 4000 steps about eight passes over the pool. Since the
# model also reads points inside each column, 4000 steps beat 2000 (eik-dev
# masked SNR, NaN unplotted, aug 14.92 -> 15.08 dB with a wider head).
COLUMN_TRAIN_CPU = TrainConfig(batch_size=4, max_steps=4000, learning_rate=2e-3, warmup_steps=100,
                               eval_every=250, eval_batches=8, patience=0, num_workers=0, num_threads=2,
                               log_every=100)
COLUMN_TRAIN_GPU = dataclasses.replace(TRAIN_GPU, batch_size=32, max_steps=4000, num_workers=2)


def column_config_preset(device: str = "auto") -> TrainConfig:
    """``COLUMN_TRAIN_GPU`` when ``device`` is CUDA (or "auto" and CUDA is present), else ``COLUMN_TRAIN_CPU``."""
    return COLUMN_TRAIN_GPU if config_preset(device) is TRAIN_GPU else COLUMN_TRAIN_CPU


def column_model_train(record_paths: list[str], model_dir: str, strip_model: StripModel,
                       config: TrainConfig = COLUMN_TRAIN_CPU, verbose: bool = False, *,
                       model_config: ColumnModelConfig = ColumnModelConfig(),
                       data_config: ColumnDataConfig = ColumnDataConfig(), resume: bool = True
                       ) -> tuple[ColumnModel, TrainResult]:
    """Train the column model and write it to ``model_dir/column_model.pt``.

    ``data_config.train_pages`` training pages and ``data_config.val_pages``
    validation pages are drawn and read once (in parallel over the CPU's
    cores) before training starts. Returns the model (best validation
    weights, CPU, eval mode) and the loop's result.
    """
    train_paths, val_paths = records_split(record_paths, seed=config.seed)
    # Under torchrun every process reads the same pool (seeded); they share the cores.
    jobs = max(1, (os.cpu_count() or 1) // int(os.environ.get("WORLD_SIZE", "1")))
    val_pages = data_config.val_pages if val_paths else 0
    logger.info("column model: reading %d training and %d validation pages (%d processes)",
                data_config.train_pages, val_pages, jobs)
    strip_model = strip_model.cpu().eval()
    pool = column_pool_build(train_paths, data_config.train_pages, config.seed, strip_model, model_config,
                             data_config, jobs=jobs)
    train_data = ColumnDataset(pool, data_config, length=config.horizon * config.batch_size, seed=config.seed)
    val_data = None
    if val_pages:
        val_pool = column_pool_build(val_paths, val_pages, config.seed + 1, strip_model, model_config,
                                     data_config, jobs=jobs)
        val_data = ColumnDataset(val_pool, data_config, seed=config.seed + 1)
    logger.info("column model: %d training and %d validation columns", train_data.size,
                val_data.size if val_data else 0)
    torch.manual_seed(config.seed)
    model = ColumnModel(model_config)
    logger.info("column model: %.3f M parameters", model.num_params() / 1e6)
    result = model_fit_save(model, train_data, val_data, config, model_dir,
                            os.path.splitext(COLUMN_MODEL_FILE)[0], column_model_save, resume=resume)
    return model, result


def column_data_config() -> ColumnDataConfig:
    """``ColumnDataConfig`` with ``ECGDIG_TRAIN_PAGES`` and the like from the environment."""
    return config_override(ColumnDataConfig(), os.environ, prefix_only=True)


def run(args: argparse.Namespace) -> None:
    config = train_config(args, column_config_preset)
    strip_model = strip_model_load(os.path.join(args.model, STRIP_MODEL_FILE))
    column_model_train(records_list(args.records), args.model, strip_model, config, args.verbose,
                       data_config=column_data_config(), resume=not args.no_resume)


if __name__ == "__main__":
    run(train_parser("Train the column model on pages rendered from WFDB records.", COLUMN_MODEL_FILE)
        .parse_args(sys.argv[1:]))
