"""Saving and loading model weights as plain data, never as pickled code.

A weight file is a dictionary of a format name, a version, the model's
config dataclass as a dict and its state dict; ``torch.load(...,
weights_only=True)`` reads it without running anything from the file. A
``train_loop`` checkpoint (``model_config`` + ``model``) loads the same way.
"""
from __future__ import annotations

import dataclasses
import os

import torch

__all__ = ["model_save", "model_load"]

FORMAT_VERSION = 1


def model_save(path: str, model: torch.nn.Module, kind: str) -> None:
    """Write ``model``'s weights and ``model.config`` to ``path``, atomically.

    ``kind`` names the model (e.g. ``"ecgdigitizer.strip_model"``) so that
    loading the wrong file fails with a clear message.
    """
    state = {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}
    payload = {"format": kind, "version": FORMAT_VERSION,
               "config": dataclasses.asdict(model.config), "state_dict": state}
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    tmp = path + ".tmp"
    torch.save(payload, tmp)
    os.replace(tmp, path)


def model_load(path: str, model_class, config_class, kind: str, device: str = "cpu") -> torch.nn.Module:
    """The ``model_class`` saved at ``path``, on ``device``, in eval mode.

    Raises
    ------
    FileNotFoundError
        When ``path`` does not exist.
    ValueError
        When the file holds something other than a ``kind`` model, or settings
        that ``config_class`` does not know.
    """
    if not os.path.isfile(path):
        raise FileNotFoundError(f"{path}: no model file")
    payload = torch.load(path, map_location=device, weights_only=True)
    if not isinstance(payload, dict):
        raise ValueError(f"{path}: not a {kind} file (holds a {type(payload).__name__})")
    if payload.get("format") == kind:
        config, state = payload["config"], payload["state_dict"]
    elif "model_config" in payload and "model" in payload:     # a train_loop checkpoint
        config, state = payload["model_config"], payload["model"]
    else:
        raise ValueError(f"{path}: not a {kind} file (keys: {', '.join(map(str, payload))})")
    known = {f.name for f in dataclasses.fields(config_class)}
    unknown = set(config) - known
    if unknown:
        raise ValueError(f"{path}: unknown {kind} settings {sorted(unknown)}")
    config = config_class(**{k: tuple(v) if isinstance(v, list) else v for k, v in config.items()})
    model = model_class(config)
    model.load_state_dict(state)
    return model.to(device).eval()
