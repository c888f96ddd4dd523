"""Hyper-parameters of the training loop, as data.

``TrainConfig`` holds everything ``train_loop`` needs; ``TRAIN_CPU`` is sized
for a laptop or a shared 2-core machine (25-70 minutes for the signal model),
``TRAIN_GPU`` for one or more CUDA GPUs (its data workers take the cores the
machine has). Any field can be changed without editing code, by a flag or an
environment variable::

    config = config_override(TRAIN_CPU, {"max_steps": "200"})           # from flags
    config = config_override(TRAIN_CPU, os.environ, prefix_only=True)   # ECGDIG_MAX_STEPS=200

Every checkpoint stores the config it was trained with (``dataclasses.asdict``).
"""
from __future__ import annotations

import dataclasses
import os
import types
import typing
from dataclasses import dataclass
from typing import Mapping, TypeVar

__all__ = ["TrainConfig", "TRAIN_CPU", "TRAIN_GPU", "ENV_PREFIX", "config_override", "config_preset"]

ENV_PREFIX = "ECGDIG_"

C = TypeVar("C")


@dataclass(frozen=True)
class TrainConfig:
    seed: int = 1337                 # seeds torch, numpy and the data order
    batch_size: int = 16             # per process (per GPU under torchrun)
    max_steps: int = 4000            # optimizer steps (25-70 min on two CPU cores); may stop earlier
    schedule_steps: int = 0          # length of the cosine schedule and of the data stream, 0 = max_steps
    max_minutes: float = 0.0         # wall-clock budget in minutes, 0 = none; checked every step
    learning_rate: float = 2e-3      # peak AdamW learning rate
    min_learning_rate: float = 1e-4  # end of the cosine decay
    warmup_steps: int = 100          # linear warm-up from 0
    weight_decay: float = 1e-2       # AdamW, on weights of rank >= 2 only (not biases and norms)
    betas: tuple[float, float] = (0.9, 0.99)
    grad_clip: float = 1.0           # max global gradient norm, 0 = off
    eval_every: int = 250            # steps between validations (and checkpoints)
    eval_batches: int = 8            # validation batches per evaluation (fixed, so evaluations compare)
    patience: int = 6                # evaluations without improvement before stopping, 0 = never stop early
    num_workers: int = 1             # DataLoader worker processes: one overlaps data with the step on CPU
    device: str = "auto"             # "auto" (cuda if available), "cpu", "cuda", "cuda:1"
    dtype: str = "auto"              # autocast on CUDA: "auto" (bfloat16 if supported, else float16), "float32"
    num_threads: int = 1             # torch CPU threads (the shared machine has two cores)
    log_every: int = 50              # steps between log lines

    @property
    def horizon(self) -> int:
        """Steps the learning-rate schedule and the data stream are laid out for.

        A run may stop before its horizon (``max_steps < schedule_steps``): its
        first steps are then those of the longer run, step for step.
        """
        return self.schedule_steps or self.max_steps


def data_workers() -> int:
    """Data-loader workers for one GPU process: its share of the CPU cores, less two for the step.

    On a GPU the signal and image models wait for their data (windows drawn
    and corrupted, pages drawn and read on the CPU): on a 16-core H200
    machine, 14 workers gave the signal model 771 windows/s against 348 with
    6 (``bench/bench_training.py --set num_workers=N``, 100 steps). Under
    ``torchrun`` the processes of one machine share its cores.
    """
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 2)
    return max(1, cores // int(os.environ.get("LOCAL_WORLD_SIZE", "1")) - 2)


TRAIN_CPU = TrainConfig()
TRAIN_GPU = TrainConfig(batch_size=64, max_steps=20000, learning_rate=3e-3, eval_every=500,
                        eval_batches=16, num_workers=data_workers(), num_threads=4)


def config_preset(device: str = "auto") -> TrainConfig:
    """``TRAIN_GPU`` when ``device`` is CUDA (or "auto" and CUDA is present), else ``TRAIN_CPU``."""
    import torch
    cuda = device.startswith("cuda") or (device == "auto" and torch.cuda.is_available())
    return TRAIN_GPU if cuda else TRAIN_CPU


def config_override(config: C, overrides: Mapping[str, object], *, prefix_only: bool = False) -> C:
    """A copy of the dataclass ``config`` with fields replaced from ``overrides``.

    Keys are field names, case-insensitive, with or without the ``ECGDIG_``
    prefix (``max_steps``, ``ECGDIG_MAX_STEPS``); values are of the field's type
    or strings parsed into it (``"true"``/``"false"`` for booleans, ``"0.9,0.99"``
    for tuples). ``None`` values are skipped (argparse defaults).

    With ``prefix_only=True`` (for ``os.environ``) only keys with the prefix are
    read and prefixed keys naming no field are ignored, because the environment
    may carry settings of another config; otherwise an unknown key raises.

    Raises
    ------
    ValueError
        For an unknown key or a value that cannot be parsed, naming both.
    """
    fields = {f.name: f for f in dataclasses.fields(config)}
    hints = typing.get_type_hints(type(config))
    changes = {}
    for key, value in overrides.items():
        has_prefix = key.upper().startswith(ENV_PREFIX)
        if value is None or (prefix_only and not has_prefix):
            continue
        name = key[len(ENV_PREFIX):].lower() if has_prefix else key.lower()
        if name not in fields:
            if prefix_only:
                continue
            raise ValueError(f"config_override: {key!r} is not a field of {type(config).__name__}; "
                             f"fields: {', '.join(fields)}")
        changes[name] = _parse(value, hints[name], key)
    return dataclasses.replace(config, **changes)


def _parse(value, hint, key: str):
    """``value`` as type ``hint`` (str, int, float, bool or a tuple of those)."""
    origin = typing.get_origin(hint)
    if origin in (tuple, typing.Tuple):
        args = typing.get_args(hint)
        items = value.split(",") if isinstance(value, str) else list(value)
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_parse(v, args[0], key) for v in items)
        if len(items) != len(args):
            raise ValueError(f"config_override: {key}={value!r} needs {len(args)} comma-separated values")
        return tuple(_parse(v, a, key) for v, a in zip(items, args))
    if origin in (typing.Union, types.UnionType):
        hint = next(a for a in typing.get_args(hint) if a is not type(None))
    if not isinstance(value, str):
        return hint(value)
    text = value.strip()
    try:
        if hint is bool:
            if text.lower() not in ("1", "0", "true", "false", "yes", "no"):
                raise ValueError(text)
            return text.lower() in ("1", "true", "yes")
        return hint(float(text)) if hint is int and "e" in text.lower() else hint(text)
    except ValueError:
        raise ValueError(f"config_override: {key}={value!r} is not a valid {hint.__name__}") from None
