"""Train the signal model on real WFDB records.

Usage::

    python -m ecgdigitizer.training.signal_training --records ../shared/data/records --model model -v
    python -m ecgdigitizer.training.signal_training --records ... --model model --set max_minutes=25
    ECGDIG_MAX_STEPS=200 python -m ecgdigitizer.training.signal_training --records ... --model model
    torchrun --nproc_per_node=2 -m ecgdigitizer.training.signal_training --records ... --model model

The records named in ``signal_data.HELD_OUT_RECORDS`` are left out; 10 % of
the rest (by a seeded draw) validate. Weights go to ``<model>/signal_model.pt``
(``completion.signal_model_save``), checkpoints to ``<model>/checkpoints/signal_model/``;
a second run with the same folder resumes from the last checkpoint.
"""
from __future__ import annotations

import argparse
import logging
import os
import sys

import torch

from ..completion import SIGNAL_MODEL_FILE, signal_model_save
from ..models.signal_model import SignalModel, SignalModelConfig
from .cli import model_fit_save, records_list, train_config, train_parser
from .config import TRAIN_CPU, TrainConfig, config_preset
from .loop import TrainResult
from .signal_data import SignalDataConfig, SignalWindowDataset, records_split

__all__ = ["signal_model_train"]

logger = logging.getLogger(__name__)

TRAIN_SAMPLES = 200_000   # distinct (window, mask, corruption) draws before the data repeat
VAL_SAMPLES = 512


def signal_model_train(record_paths: list[str], model_dir: str, config: TrainConfig = TRAIN_CPU,
                       verbose: bool = False, *, model_config: SignalModelConfig = SignalModelConfig(),
                       data_config: SignalDataConfig = SignalDataConfig(), resume: bool = True
                       ) -> tuple[SignalModel, TrainResult]:
    """Train a signal model and write it to ``model_dir/signal_model.pt``.

    Parameters
    ----------
    record_paths : list of str
        WFDB records (paths without ``.hea``); held-out ones are dropped here.
    model_dir : str
        Output folder; checkpoints go to ``model_dir/checkpoints/signal_model``.
    config : TrainConfig
    verbose : bool
        Log progress (the tqdm bar shows either way on rank 0).
    model_config, data_config : optional
        Network and data settings; their rates must agree.

    Returns
    -------
    model : SignalModel
        With the weights of the best validation loss, on the CPU, in eval mode.
    result : TrainResult
    """
    if model_config.fs != data_config.fs:
        raise ValueError(f"signal_model_train: model rate {model_config.fs} Hz differs from "
                         f"data rate {data_config.fs} Hz")
    if verbose:
        logger.info("config: %s", config)
    train_paths, val_paths = records_split(record_paths, seed=config.seed)
    logger.info("%d training and %d validation records (%d given)", len(train_paths), len(val_paths),
                len(record_paths))
    train_data = SignalWindowDataset(train_paths, data_config, length=TRAIN_SAMPLES, seed=config.seed)
    val_data = SignalWindowDataset(val_paths, data_config, length=VAL_SAMPLES, seed=config.seed + 1) \
        if val_paths else None
    torch.manual_seed(config.seed)
    model = SignalModel(model_config)
    logger.info("signal model: %.2f M parameters", model.num_params() / 1e6)
    result = model_fit_save(model, train_data, val_data, config, model_dir,
                            os.path.splitext(SIGNAL_MODEL_FILE)[0], signal_model_save, resume=resume)
    return model, result


def run(args: argparse.Namespace) -> None:
    config = train_config(args, config_preset)
    signal_model_train(records_list(args.records), args.model, config, args.verbose, resume=not args.no_resume)


if __name__ == "__main__":
    run(train_parser("Train the signal model on WFDB records.", SIGNAL_MODEL_FILE).parse_args(sys.argv[1:]))
