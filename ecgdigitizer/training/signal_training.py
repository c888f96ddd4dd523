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
import dataclasses
import logging
import os
import sys

import torch

from ..completion import SIGNAL_MODEL_FILE, signal_model_save
from ..models.signal_model import SignalModel, SignalModelConfig
from ..records import records_find
from .config import TRAIN_CPU, TrainConfig, config_override, config_preset
from .loop import TrainResult, train_loop
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
    result = train_loop(model, train_data, val_data, config,
                        checkpoint_dir=os.path.join(model_dir, "checkpoints", "signal_model"), resume=resume)
    model.cpu().eval()
    if int(os.environ.get("RANK", "0")) == 0:
        signal_model_save(os.path.join(model_dir, SIGNAL_MODEL_FILE), model)
        logger.info("best validation loss %.5g at step %d; weights in %s", result.best_val_loss,
                    min(result.history, key=lambda h: h["val_loss"])["step"] if result.history else 0,
                    os.path.join(model_dir, SIGNAL_MODEL_FILE))
    return model, result


def get_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description="Train the signal model on WFDB records.")
    parser.add_argument("--records", required=True, help="folder of WFDB records (searched recursively)")
    parser.add_argument("--model", required=True, help="output folder for signal_model.pt and checkpoints")
    parser.add_argument("--preset", choices=("auto", "cpu", "gpu"), default="auto",
                        help="TrainConfig preset (auto: gpu when CUDA is present)")
    parser.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE",
                        help=f"override a TrainConfig field, e.g. --set max_steps=200 "
                             f"(fields: {', '.join(f.name for f in dataclasses.fields(TrainConfig))})")
    parser.add_argument("--no-resume", action="store_true", help="start afresh even if a checkpoint exists")
    parser.add_argument("-v", "--verbose", action="store_true")
    return parser


def run(args: argparse.Namespace) -> None:
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(asctime)s %(name)s: %(message)s")
    config = config_preset({"auto": "auto", "cpu": "cpu", "gpu": "cuda"}[args.preset])
    config = config_override(config, os.environ, prefix_only=True)
    flags = {}
    for item in args.set:
        if "=" not in item:
            raise ValueError(f"--set {item!r}: expected FIELD=VALUE")
        key, value = item.split("=", 1)
        flags[key.strip()] = value
    config = config_override(config, flags)
    paths = [os.path.join(args.records, r) for r in records_find(args.records)]
    if not paths:
        raise FileNotFoundError(f"{args.records}: no WFDB records found")
    signal_model_train(paths, args.model, config, args.verbose, resume=not args.no_resume)


if __name__ == "__main__":
    run(get_parser().parse_args(sys.argv[1:]))
