"""What the model-training commands share: arguments, configuration, training and saving.

Each ``python -m ecgdigitizer.training.<model>_training`` command takes
``--records FOLDER --model FOLDER [--preset] [--set FIELD=VALUE] [--no-resume] [-v]``;
its configuration is the model's preset, then ``ECGDIG_<FIELD>`` environment
variables, then ``--set`` flags.
"""
from __future__ import annotations

import argparse
import dataclasses
import logging
import os
from typing import Callable

import torch
from torch.utils.data import Dataset

from ..records import records_find
from .config import TrainConfig, config_override
from .loop import TrainResult, train_loop

__all__ = ["train_parser", "train_config", "records_list", "model_fit_save"]

logger = logging.getLogger(__name__)


def train_parser(description: str, weights_file: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--records", required=True, help="folder of WFDB records (searched recursively)")
    parser.add_argument("--model", required=True, help=f"output folder for {weights_file} and checkpoints")
    parser.add_argument("--preset", choices=("auto", "cpu", "gpu"), default="auto",
                        help="configuration preset (auto: gpu when CUDA is present; cpu also trains on the CPU)")
    parser.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE",
                        help=f"override a TrainConfig field, e.g. --set max_steps=200 "
                             f"(fields: {', '.join(f.name for f in dataclasses.fields(TrainConfig))})")
    parser.add_argument("--no-resume", action="store_true", help="start afresh even if a checkpoint exists")
    parser.add_argument("-v", "--verbose", action="store_true")
    return parser


def train_config(args: argparse.Namespace, preset: Callable[[str], TrainConfig]) -> TrainConfig:
    """``preset(device)``, then ``ECGDIG_*`` environment variables, then ``--set`` flags; sets up logging.

    ``--preset cpu`` also sets ``device="cpu"``, so it trains on the CPU where
    a GPU is present too.
    """
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(asctime)s %(name)s: %(message)s")
    config = preset({"auto": "auto", "cpu": "cpu", "gpu": "cuda"}[args.preset])
    if args.preset == "cpu":   # the CPU preset on a GPU machine trains on its CPU, unless told otherwise below
        config = dataclasses.replace(config, device="cpu")
    config = config_override(config, os.environ, prefix_only=True)
    flags = {}
    for item in args.set:
        if "=" not in item:
            raise ValueError(f"--set {item!r}: expected FIELD=VALUE")
        key, value = item.split("=", 1)
        flags[key.strip()] = value
    return config_override(config, flags)


def records_list(folder: str) -> list[str]:
    """Every WFDB record under ``folder`` (paths without extension)."""
    paths = [os.path.join(folder, r) for r in records_find(folder)]
    if not paths:
        raise FileNotFoundError(f"{folder}: no WFDB records found")
    return paths


def model_fit_save(model: torch.nn.Module, train_data: Dataset, val_data: Dataset | None, config: TrainConfig,
                   model_dir: str, name: str, save: Callable[[str, torch.nn.Module], None], *,
                   resume: bool = True) -> TrainResult:
    """Train ``model`` with ``train_loop`` and save its best weights as ``model_dir/<name>.pt``.

    Checkpoints go to ``model_dir/checkpoints/<name>/``. Under ``torchrun``
    only rank 0 writes the weights. On return the model is on the CPU, in eval mode.
    """
    result = train_loop(model, train_data, val_data, config,
                        checkpoint_dir=os.path.join(model_dir, "checkpoints", name), resume=resume)
    model.cpu().eval()
    if int(os.environ.get("RANK", "0")) == 0:
        path = os.path.join(model_dir, f"{name}.pt")
        save(path, model)
        best_step = min(result.history, key=lambda h: h["val_loss"])["step"] if result.history else 0
        logger.info("%s: best validation loss %.5g at step %d; weights in %s", name, result.best_val_loss,
                    best_step, path)
    return result
