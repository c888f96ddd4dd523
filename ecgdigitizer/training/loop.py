"""A generic training loop for the project's models (signal model, image model).

Usage (one process, or several with torch's launcher)::

    python -m ecgdigitizer.training.signal_training --records ../shared/data/records --model model
    torchrun --nproc_per_node=4 -m ecgdigitizer.training.signal_training --records ... --model model

The contract with a model: ``model(**batch)`` returns ``(output, loss)`` where
``batch`` is one item of the dataset collated by the default DataLoader (a dict
of tensors), and ``loss`` is a scalar. The loop follows nanoGPT's ``train.py``:
device, dtype and autocast chosen once (bf16 or fp16 autocast on CUDA,
``nullcontext`` on CPU); the learning rate a pure function of the step
(``lr_at``); AdamW with weight decay on matrices only; global gradient
clipping. Every ``eval_every`` steps it evaluates a fixed part of the
validation set, writes ``last.pt`` (and ``best.pt`` when the validation loss
improved) and stops early after ``patience`` evaluations without improvement.
A checkpoint holds the weights, optimizer, step, the loop's config and the
model's config as plain data, so ``torch.load(weights_only=True)`` reads it.

Under ``torchrun`` (``WORLD_SIZE`` > 1) the model is wrapped in
DistributedDataParallel and each rank reads its own share of every batch
(``StepSampler``, which shards like DistributedSampler and in addition starts
at any step, so a resumed run sees exactly the batches it would have seen).
"""
from __future__ import annotations

import dataclasses
import logging
import math
import os
import time
from contextlib import nullcontext
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader, Dataset, Sampler, Subset
from tqdm import tqdm

from .config import TrainConfig

__all__ = ["TrainResult", "StepSampler", "lr_at", "train_loop", "checkpoint_load"]

logger = logging.getLogger(__name__)

LAST, BEST = "last.pt", "best.pt"


@dataclass
class TrainResult:
    """What ``train_loop`` did: last step, best validation loss and a history of evaluations."""
    step: int
    best_val_loss: float
    stopped_early: bool
    history: list[dict] = field(default_factory=list)  # {"step", "train_loss", "val_loss", "lr", "seconds"}


def lr_at(step: int, config: TrainConfig) -> float:
    """Learning rate at ``step``: linear warm-up, then cosine decay to ``min_learning_rate``."""
    if step < config.warmup_steps:
        return config.learning_rate * (step + 1) / config.warmup_steps
    span = max(1, config.horizon - config.warmup_steps)
    progress = min(1.0, (step - config.warmup_steps) / span)
    coeff = 0.5 * (1.0 + math.cos(math.pi * progress))        # 1 -> 0
    return config.min_learning_rate + coeff * (config.learning_rate - config.min_learning_rate)


class StepSampler(Sampler):
    """Endless shuffled indices: epoch ``e`` is ``randperm(n)`` seeded by ``(seed, e)``.

    The stream starts at position ``start`` (counted over all ranks), and rank
    ``r`` of ``world`` takes every ``world``-th index from ``r``.
    """

    def __init__(self, n: int, seed: int, start: int = 0, rank: int = 0, world: int = 1):
        if n <= 0:
            raise ValueError("StepSampler: the dataset is empty")
        self.n, self.seed, self.start, self.rank, self.world = n, seed, start, rank, world

    def __iter__(self):
        position = self.start + self.rank
        while True:
            epoch, offset = divmod(position, self.n)
            g = torch.Generator().manual_seed(self.seed * 1_000_003 + epoch)
            perm = torch.randperm(self.n, generator=g).tolist()
            while offset < self.n:
                yield perm[offset]
                offset += self.world
                position += self.world

    def __len__(self):  # endless; DataLoader only needs a number
        return 2 ** 62


def checkpoint_load(path: str, map_location="cpu") -> dict:
    """A checkpoint written by ``train_loop``, read without unpickling code (``weights_only=True``)."""
    if not os.path.isfile(path):
        raise FileNotFoundError(f"{path}: no checkpoint")
    return torch.load(path, map_location=map_location, weights_only=True)


def train_loop(model: torch.nn.Module, train_data: Dataset, val_data: Dataset | None, config: TrainConfig, *,
               checkpoint_dir: str, resume: bool = True, device: str | None = None) -> TrainResult:
    """Train ``model`` in place; on return it holds the best weights seen on validation.

    Parameters
    ----------
    model : torch.nn.Module
        ``model(**batch) -> (output, loss)``; if it has a dataclass ``config``
        attribute, that goes into the checkpoints as ``model_config``.
    train_data, val_data : Dataset
        Items are dicts of tensors. Without ``val_data`` the training loss of
        the last ``log_every`` steps stands in for the validation loss.
    config : TrainConfig
    checkpoint_dir : str
        Where ``last.pt`` and ``best.pt`` go (created if needed).
    resume : bool
        Continue from ``checkpoint_dir/last.pt`` when it exists.
    device : str, optional
        Overrides ``config.device``.
    """
    # ---- processes, device, precision: chosen once
    world = int(os.environ.get("WORLD_SIZE", "1"))
    distributed = world > 1
    rank = int(os.environ.get("RANK", "0"))
    device = device or config.device
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    if distributed:
        local_rank = int(os.environ.get("LOCAL_RANK", "0"))
        if device.startswith("cuda"):
            device = f"cuda:{local_rank}"
            torch.cuda.set_device(device)
        if not dist.is_initialized():
            dist.init_process_group("nccl" if device.startswith("cuda") else "gloo")
    cuda = device.startswith("cuda")
    torch.manual_seed(config.seed + rank)
    np.random.seed(config.seed + rank)
    if not cuda:
        torch.set_num_threads(config.num_threads)
    dtype = config.dtype
    if dtype == "auto":
        dtype = "bfloat16" if cuda and torch.cuda.is_bf16_supported() else ("float16" if cuda else "float32")
    autocast = (torch.autocast("cuda", dtype=getattr(torch, dtype))
                if cuda and dtype != "float32" else nullcontext())
    scaler = torch.amp.GradScaler("cuda", enabled=cuda and dtype == "float16")
    main = rank == 0

    # ---- model and optimizer
    model.to(device)
    decay = [p for p in model.parameters() if p.requires_grad and p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.requires_grad and p.dim() < 2]
    optimizer = torch.optim.AdamW([{"params": decay, "weight_decay": config.weight_decay},
                                   {"params": no_decay, "weight_decay": 0.0}],
                                  lr=config.learning_rate, betas=config.betas,
                                  **({"fused": True} if cuda else {}))
    os.makedirs(checkpoint_dir, exist_ok=True)
    step, best_val, bad_evals, history = 0, math.inf, 0, []
    last_path = os.path.join(checkpoint_dir, LAST)
    if resume and os.path.isfile(last_path):
        ckpt = checkpoint_load(last_path, map_location=device)
        model.load_state_dict(ckpt["model"])
        optimizer.load_state_dict(ckpt["optimizer"])
        if "scaler" in ckpt:
            scaler.load_state_dict(ckpt["scaler"])
        step, best_val, bad_evals = ckpt["step"], ckpt["best_val_loss"], ckpt["bad_evals"]
        history = list(ckpt["history"])
        if main:
            logger.info("resumed from %s at step %d (best validation loss %.5g)", last_path, step, best_val)
    raw_model = model
    if distributed:
        model = DistributedDataParallel(model, device_ids=[device] if cuda else None)

    # ---- data
    loader_args = dict(batch_size=config.batch_size, num_workers=config.num_workers, pin_memory=cuda,
                       persistent_workers=config.num_workers > 0)
    train_loader = DataLoader(train_data, sampler=StepSampler(len(train_data), config.seed,
                                                              step * config.batch_size * world, rank, world),
                              **loader_args)
    val_loader = None
    if val_data is not None and len(val_data) > 0:
        n_val = min(len(val_data), config.eval_batches * config.batch_size * world)
        val_loader = DataLoader(Subset(val_data, range(rank, n_val, world)), shuffle=False, **loader_args)

    def to_device(batch):
        return {k: v.to(device, non_blocking=True) for k, v in batch.items()}

    @torch.no_grad()
    def evaluate() -> float:
        model.eval()
        total = torch.zeros(2, device=device)
        for batch in val_loader:
            batch = to_device(batch)
            with autocast:
                _, loss = model(**batch)
            n = next(iter(batch.values())).shape[0]
            total += torch.stack([loss.float() * n, torch.tensor(float(n), device=device)])
        if distributed:
            dist.all_reduce(total)
        model.train()
        return (total[0] / total[1].clamp(min=1)).item()

    def save(path: str) -> None:
        ckpt = {"model": raw_model.state_dict(), "optimizer": optimizer.state_dict(), "scaler": scaler.state_dict(),
                "step": step, "best_val_loss": best_val, "bad_evals": bad_evals, "history": history,
                "config": dataclasses.asdict(config)}
        model_config = getattr(raw_model, "config", None)
        if dataclasses.is_dataclass(model_config):
            ckpt["model_config"] = dataclasses.asdict(model_config)
        tmp = path + ".tmp"
        torch.save(ckpt, tmp)
        os.replace(tmp, path)  # atomic: a crash never leaves half a checkpoint

    # ---- the loop
    model.train()
    t_start, t_log = time.time(), time.time()
    running, running_n, stopped_early = 0.0, 0, False
    bar = tqdm(total=config.max_steps, initial=step, disable=not main, desc="train", dynamic_ncols=True)
    batches = iter(train_loader)
    while step < config.max_steps:
        lr = lr_at(step, config)
        for group in optimizer.param_groups:
            group["lr"] = lr
        batch = to_device(next(batches))
        with autocast:
            _, loss = model(**batch)
        scaler.scale(loss).backward()
        if config.grad_clip > 0:
            scaler.unscale_(optimizer)
            torch.nn.utils.clip_grad_norm_(model.parameters(), config.grad_clip)
        scaler.step(optimizer)
        scaler.update()
        optimizer.zero_grad(set_to_none=True)
        step += 1
        running += loss.item()
        running_n += 1
        bar.update(1)
        bar.set_postfix(loss=f"{loss.item():.4g}", lr=f"{lr:.2e}")
        if main and step % config.log_every == 0:
            logger.info("step %d: train loss %.5g, lr %.2e, %.0f ms/step", step, running / running_n, lr,
                        1000 * (time.time() - t_log) / config.log_every)
            t_log = time.time()
        out_of_time = config.max_minutes > 0 and time.time() - t_start > 60 * config.max_minutes
        if distributed:  # every rank must stop at the same step
            flag = torch.tensor(float(out_of_time), device=device)
            dist.all_reduce(flag, op=dist.ReduceOp.MAX)
            out_of_time = bool(flag.item())
        if step % config.eval_every == 0 or step == config.max_steps or out_of_time:
            train_loss = running / max(1, running_n)
            val_loss = evaluate() if val_loader is not None else train_loss
            running, running_n = 0.0, 0
            improved = val_loss < best_val
            best_val = min(best_val, val_loss)
            bad_evals = 0 if improved else bad_evals + 1
            history.append({"step": step, "train_loss": train_loss, "val_loss": val_loss, "lr": lr,
                            "seconds": time.time() - t_start})
            if main:
                logger.info("step %d: validation loss %.5g%s", step, val_loss, " (best)" if improved else "")
                save(last_path)
                if improved:
                    save(os.path.join(checkpoint_dir, BEST))
            if config.patience > 0 and bad_evals >= config.patience:
                stopped_early = True
                if main:
                    logger.info("no improvement in %d evaluations: stopping at step %d", bad_evals, step)
                break
            if out_of_time:
                if main:
                    logger.info("time budget of %.1f min spent: stopping at step %d", config.max_minutes, step)
                break
    bar.close()
    if cuda and main:
        logger.info("peak GPU memory %.2f GB", torch.cuda.max_memory_allocated(device) / 1e9)
    if distributed:
        dist.barrier()
    best_path = os.path.join(checkpoint_dir, BEST)
    if os.path.isfile(best_path):
        raw_model.load_state_dict(checkpoint_load(best_path, map_location=device)["model"])
    return TrainResult(step=step, best_val_loss=best_val, stopped_early=stopped_early, history=history)
