"""Training: hyper-parameters as data, a generic loop, and the signal model's data and recipe."""
from .config import TRAIN_CPU, TRAIN_GPU, TrainConfig, config_override, config_preset
from .loop import StepSampler, TrainResult, checkpoint_load, lr_at, train_loop

__all__ = ["TrainConfig", "TRAIN_CPU", "TRAIN_GPU", "config_override", "config_preset",
           "TrainResult", "StepSampler", "checkpoint_load", "lr_at", "train_loop"]
