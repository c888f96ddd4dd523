"""The generic training loop and its config: schedule, overrides, learning, checkpoints, exact resume,
several processes under torchrun, and CUDA (tests that CI, without a GPU, skips)."""
import dataclasses
import os
import subprocess
import sys
import textwrap
from dataclasses import dataclass

import pytest
import torch
from torch.utils.data import Dataset

from conftest import ROOT
from ecgdigitizer.training import (TRAIN_CPU, StepSampler, TrainConfig, checkpoint_load, config_override, lr_at,
                                   train_loop)
from ecgdigitizer.training.cli import train_config, train_parser
from ecgdigitizer.training.config import config_preset


# ----------------------------------------------------------------- a tiny problem

@dataclass(frozen=True)
class LinearConfig:
    inputs: int = 4


class Linear(torch.nn.Module):
    def __init__(self, config=LinearConfig()):
        super().__init__()
        self.config = config
        self.net = torch.nn.Sequential(torch.nn.Linear(config.inputs, 16), torch.nn.Tanh(), torch.nn.Linear(16, 1))

    def forward(self, x, target=None):
        y = self.net(x)[:, 0]
        return y, None if target is None else torch.mean((y - target) ** 2)


class Points(Dataset):
    """y = x . w + 0.5; item ``i`` is a pure function of ``(seed, i)``. Raises at call ``fail_at`` (a crash)."""

    def __init__(self, n, seed=0, fail_at=None):
        self.n, self.seed, self.fail_at, self.calls = n, seed, fail_at, 0

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        self.calls += 1
        if self.fail_at is not None and self.calls >= self.fail_at:
            raise RuntimeError("simulated crash")
        g = torch.Generator().manual_seed(self.seed * 100_000 + i)
        x = torch.randn(4, generator=g)
        return {"x": x, "target": x @ torch.tensor([1.0, -2.0, 0.5, 3.0]) + 0.5}


def config(**changes):
    base = TrainConfig(batch_size=8, max_steps=12, learning_rate=1e-2, min_learning_rate=1e-3, warmup_steps=2,
                       eval_every=4, eval_batches=2, patience=0, num_workers=0, device="cpu", log_every=4)
    return dataclasses.replace(base, **changes)


def train(tmp, cfg, data=None, resume=True):
    torch.manual_seed(0)
    model = Linear()
    result = train_loop(model, data or Points(256), Points(64, seed=1), cfg, checkpoint_dir=str(tmp), resume=resume)
    return model, result


# ----------------------------------------------------------------- tests

def test_lr_schedule_is_a_function_of_the_step():
    cfg = config(max_steps=100, warmup_steps=10, learning_rate=1.0, min_learning_rate=0.1)
    assert lr_at(0, cfg) == pytest.approx(0.1)
    assert lr_at(9, cfg) == pytest.approx(1.0)
    assert lr_at(10, cfg) == pytest.approx(1.0)
    assert lr_at(55, cfg) == pytest.approx(0.55)
    assert lr_at(100, cfg) == pytest.approx(0.1) and lr_at(1000, cfg) == pytest.approx(0.1)


def test_a_run_stopped_before_its_horizon_is_the_start_of_the_longer_run(tmp_path):
    short, long = config(max_steps=8, schedule_steps=12), config(max_steps=12)
    assert [lr_at(s, short) for s in range(12)] == [lr_at(s, long) for s in range(12)]
    assert lr_at(7, short) != lr_at(7, config(max_steps=8))
    straight, _ = train(tmp_path / "a", long)
    _, stopped = train(tmp_path / "b", short)
    assert stopped.step == 8
    continued, _ = train(tmp_path / "b", long)
    for (k, a), (_, b) in zip(straight.state_dict().items(), continued.state_dict().items()):
        torch.testing.assert_close(a, b, rtol=0, atol=0, msg=k)


def test_config_override_from_flags_and_environment():
    cfg = config_override(TRAIN_CPU, {"max_steps": "200", "LEARNING_RATE": 1e-3, "betas": "0.8,0.9",
                                      "device": None})
    assert (cfg.max_steps, cfg.learning_rate, cfg.betas, cfg.device) == (200, 1e-3, (0.8, 0.9), TRAIN_CPU.device)
    env = {"ECGDIG_BATCH_SIZE": "3", "ECGDIG_NOT_A_FIELD": "1", "PATH": "/bin", "ECGDIG_MAX_MINUTES": "2.5"}
    cfg = config_override(TRAIN_CPU, env, prefix_only=True)
    assert (cfg.batch_size, cfg.max_minutes, cfg.num_workers) == (3, 2.5, TRAIN_CPU.num_workers)
    with pytest.raises(ValueError, match="not_a_field"):
        config_override(TRAIN_CPU, {"not_a_field": 1})
    with pytest.raises(ValueError, match="batch_size='many'"):
        config_override(TRAIN_CPU, {"batch_size": "many"})
    with pytest.raises(dataclasses.FrozenInstanceError):
        TRAIN_CPU.max_steps = 1


def test_step_sampler_resumes_and_shards():
    full = StepSampler(10, seed=3)
    stream = [i for _, i in zip(range(25), full)]
    assert sorted(stream[:10]) == list(range(10)) and stream[:10] != stream[10:20]
    later = [i for _, i in zip(range(12), StepSampler(10, seed=3, start=13))]
    assert later == stream[13:25]
    ranks = [[i for _, i in zip(range(5), StepSampler(10, seed=3, rank=r, world=2))] for r in (0, 1)]
    assert ranks[0] == stream[0:10:2] and ranks[1] == stream[1:10:2]


def test_training_reduces_validation_loss(tmp_path):
    _, result = train(tmp_path, config(max_steps=40, eval_every=8, learning_rate=5e-2, min_learning_rate=5e-3))
    losses = [h["val_loss"] for h in result.history]
    assert losses[-1] < 0.5 * losses[0], f"validation loss went {losses}"
    ckpt = checkpoint_load(str(tmp_path / "last.pt"))
    assert ckpt["step"] == 40 and ckpt["config"]["max_steps"] == 40 and ckpt["model_config"] == {"inputs": 4}
    assert os.path.isfile(tmp_path / "best.pt")


def test_resume_after_a_crash_gives_the_same_model(tmp_path):
    straight, _ = train(tmp_path / "a", config())
    cfg = config()
    with pytest.raises(RuntimeError, match="simulated crash"):   # dies in step 7, after the checkpoint at step 4
        train(tmp_path / "b", cfg, data=Points(256, fail_at=6 * cfg.batch_size + 1))
    assert checkpoint_load(str(tmp_path / "b" / "last.pt"))["step"] == 4
    resumed, result = train(tmp_path / "b", cfg)
    assert result.step == 12
    for (k, a), (_, b) in zip(straight.state_dict().items(), resumed.state_dict().items()):
        torch.testing.assert_close(a, b, rtol=0, atol=0, msg=k)


def test_no_resume_starts_afresh(tmp_path):
    train(tmp_path, config(max_steps=4))
    _, result = train(tmp_path, config(max_steps=4), resume=False)
    assert [h["step"] for h in result.history] == [4]


def test_early_stopping(tmp_path):
    # a learning rate of 0 never improves after the first evaluation
    _, result = train(tmp_path, config(max_steps=100, eval_every=2, patience=2, learning_rate=0.0,
                                       min_learning_rate=0.0))
    assert result.stopped_early and result.step == 6


def test_cpu_training_is_deterministic(tmp_path):
    a, _ = train(tmp_path / "a", config())
    b, _ = train(tmp_path / "b", config())
    for (k, x), (_, y) in zip(a.state_dict().items(), b.state_dict().items()):
        torch.testing.assert_close(x, y, rtol=0, atol=0, msg=k)


def test_the_cpu_preset_trains_on_the_cpu(monkeypatch):
    monkeypatch.delenv("ECGDIG_DEVICE", raising=False)
    parse = train_parser("test", "model.pt").parse_args
    base = ["--records", "records", "--model", "model"]
    assert train_config(parse(base + ["--preset", "cpu"]), config_preset).device == "cpu"
    assert train_config(parse(base + ["--preset", "cpu", "--set", "device=cuda"]), config_preset).device == "cuda"
    assert train_config(parse(base), config_preset).device == "auto"


def test_two_processes_under_torchrun_train_as_one_with_their_batches_together(tmp_path):
    """The distributed path (gloo on the CPU): each rank takes every second item, gradients are averaged."""
    script = tmp_path / "train_ranks.py"
    script.write_text(textwrap.dedent(f"""
        import os, sys
        import torch
        sys.path[:0] = [{os.path.join(ROOT, "tests")!r}, {ROOT!r}]
        from test_training_loop import Linear, Points, config
        from ecgdigitizer.training import train_loop
        torch.manual_seed(0)
        model = Linear()
        train_loop(model, Points(256), Points(64, seed=1), config(batch_size=4), checkpoint_dir=sys.argv[1])
        if os.environ["RANK"] == "0":
            torch.save(model.state_dict(), sys.argv[2])
        """))
    weights = tmp_path / "ranks.pt"
    run = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2",
                          str(script), str(tmp_path / "ckpt"), str(weights)],
                         capture_output=True, text=True, timeout=300, env=dict(os.environ, OMP_NUM_THREADS="1"))
    assert run.returncode == 0, run.stderr[-3000:]
    single, _ = train(tmp_path / "single", config(batch_size=8))
    together = torch.load(weights, weights_only=True)
    for k, a in single.state_dict().items():
        torch.testing.assert_close(together[k], a, rtol=1e-5, atol=1e-6, msg=k)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
@pytest.mark.parametrize("dtype", ["bfloat16", "float16", "float32"])
def test_cuda_training_learns_and_resumes_after_a_crash(tmp_path, dtype):
    """On CUDA, under each autocast precision (float16 goes through the gradient scaler)."""
    cfg = config(max_steps=40, eval_every=8, learning_rate=5e-2, min_learning_rate=5e-3, device="cuda",
                 dtype=dtype)
    straight, result = train(tmp_path / "a", cfg)
    losses = [h["val_loss"] for h in result.history]
    assert losses[-1] < 0.5 * losses[0], f"validation loss went {losses}"
    assert next(straight.parameters()).device.type == "cuda"
    with pytest.raises(RuntimeError, match="simulated crash"):   # dies in step 11, after the checkpoint at step 8
        train(tmp_path / "b", cfg, data=Points(256, fail_at=10 * cfg.batch_size + 1))
    assert checkpoint_load(str(tmp_path / "b" / "last.pt"))["step"] == 8
    resumed, _ = train(tmp_path / "b", cfg)
    for (k, a), (_, b) in zip(straight.state_dict().items(), resumed.state_dict().items()):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6, msg=k)
