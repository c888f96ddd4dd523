"""The signal model: a 1-D U-Net over the 12 leads that completes and corrects a record.

Follows the layout of nanoGPT's ``model.py``: leaves first (``ConvBlock``,
``SelfAttention``, ``AttentionBlock``), then ``SignalModel``, so that one read
from top to bottom explains the network.

Input, at the model's own rate (``SignalModelConfig.fs``, 100 Hz), for B
records of T samples and the 12 standard leads:

* ``values`` (B, 12, T) mV, 0 where unseen;
* ``mask`` (B, 12, T) 1 where the image showed the sample;
* ``confidence`` (B, 12, T) in [0, 1], how much the extraction trusts it;
* ``prior`` and ``prior_mask`` (B, 12, T), optional: the classical first guess of
  ``signal_prior.signal_prior_fill`` (limb-lead relations, beat-synchronous copy),
  computed here from ``values`` and ``mask`` when not given.

Output (B, 12, T) mV: the whole record. The network predicts a residual on top
of ``base`` = the prior where there is one, else the seen values, else 0; its
last layer starts at zero, so an untrained model returns the prior.

Loss: mean squared error on every sample, unseen samples weighted
``unseen_weight`` times more, plus ``relation_weight`` times the squared error
of the limb-lead identities (III = II - I, aVR = -(I + II)/2, aVL = I - II/2,
aVF = II - I/2) of the output.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from .signal_prior import signal_prior_fill

__all__ = ["SignalModelConfig", "SignalModel"]

NUM_LEADS = 12


@dataclass(frozen=True)
class SignalModelConfig:
    fs: float = 100.0            # internal rate, Hz: 10 s = 1000 samples; ECG energy above 50 Hz is small
    widths: tuple[int, ...] = (48, 64, 96, 128)  # channels per U-Net level; each level halves T
    kernel_size: int = 7         # 70 ms at 100 Hz on the top level
    blocks_per_level: int = 1    # residual conv blocks per level, encoder and decoder each
    attn_layers: int = 2         # self-attention blocks at the bottom (T/8: one token per 80 ms)
    attn_heads: int = 4
    unseen_weight: float = 4.0   # loss weight of unseen (and low-confidence) samples relative to seen ones
    relation_weight: float = 0.1  # weight of the limb-lead identity term

    @property
    def stride(self) -> int:
        """T must be a multiple of this (the wrapper pads)."""
        return 2 ** (len(self.widths) - 1)


class ConvBlock(nn.Module):
    """Pre-norm residual block: GroupNorm, GELU, conv, GroupNorm, GELU, conv."""

    def __init__(self, channels: int, kernel_size: int):
        super().__init__()
        self.norm1 = nn.GroupNorm(8, channels)
        self.conv1 = nn.Conv1d(channels, channels, kernel_size, padding=kernel_size // 2)
        self.norm2 = nn.GroupNorm(8, channels)
        self.conv2 = nn.Conv1d(channels, channels, kernel_size, padding=kernel_size // 2)

    def forward(self, x):                                       # (B, C, T)
        h = self.conv1(F.gelu(self.norm1(x)))
        h = self.conv2(F.gelu(self.norm2(h)))
        return x + h                                            # (B, C, T)


class SelfAttention(nn.Module):
    """Multi-head self-attention over time (positions come from AttentionBlock's fixed sinusoids)."""

    def __init__(self, channels: int, heads: int):
        super().__init__()
        assert channels % heads == 0, f"channels {channels} must be a multiple of heads {heads}"
        self.heads = heads
        self.qkv = nn.Linear(channels, 3 * channels)
        self.proj = nn.Linear(channels, channels)

    def forward(self, x):                                       # (B, T, C)
        B, T, C = x.shape
        q, k, v = self.qkv(x).split(C, dim=2)                   # 3 x (B, T, C)
        q, k, v = (z.view(B, T, self.heads, C // self.heads).transpose(1, 2) for z in (q, k, v))  # (B, nh, T, hs)
        y = F.scaled_dot_product_attention(q, k, v)             # (B, nh, T, hs)
        return self.proj(y.transpose(1, 2).reshape(B, T, C))   # (B, T, C)


class AttentionBlock(nn.Module):
    """Transformer block (pre-LayerNorm attention and MLP) on (B, C, T) feature maps."""

    def __init__(self, channels: int, heads: int):
        super().__init__()
        self.ln1 = nn.LayerNorm(channels)
        self.attn = SelfAttention(channels, heads)
        self.ln2 = nn.LayerNorm(channels)
        self.mlp = nn.Sequential(nn.Linear(channels, 2 * channels), nn.GELU(), nn.Linear(2 * channels, channels))

    def forward(self, x):                                       # (B, C, T)
        h = x.transpose(1, 2)                                   # (B, T, C)
        h = h + _sinusoid(h.shape[1], h.shape[2], h.device, h.dtype)
        h = h + self.attn(self.ln1(h))
        h = h + self.mlp(self.ln2(h))
        return h.transpose(1, 2)                                # (B, C, T)


def _prior_batch(values, mask, fs):
    """signal_prior_fill on each record of a batch: two (B, 12, T) float tensors."""
    out = [signal_prior_fill(v, m > 0, fs) for v, m in zip(values.detach().cpu().float().numpy(),
                                                             mask.detach().cpu().numpy())]
    prior = torch.from_numpy(np.stack([p for p, _ in out])).to(values.device, values.dtype)
    prior_mask = torch.from_numpy(np.stack([k for _, k in out])).to(values.device, values.dtype)
    return prior, prior_mask


def _sinusoid(T: int, C: int, device, dtype) -> torch.Tensor:
    """(T, C) sinusoidal position code (Vaswani et al. 2017)."""
    pos = torch.arange(T, device=device, dtype=torch.float32)[:, None]
    freq = torch.exp(torch.arange(0, C, 2, device=device, dtype=torch.float32) * (-math.log(1e4) / C))
    code = torch.zeros(T, C, device=device)
    code[:, 0::2] = torch.sin(pos * freq)
    code[:, 1::2] = torch.cos(pos * freq)
    return code.to(dtype)


class SignalModel(nn.Module):
    """U-Net: stem, encoder levels (blocks then stride-2 conv), attention bottom, decoder with skips."""

    def __init__(self, config: SignalModelConfig):
        super().__init__()
        self.config = config
        w, k = config.widths, config.kernel_size
        self.stem = nn.Conv1d(5 * NUM_LEADS, w[0], k, padding=k // 2)
        self.down_blocks = nn.ModuleList(
            nn.Sequential(*[ConvBlock(c, k) for _ in range(config.blocks_per_level)]) for c in w[:-1])
        self.downs = nn.ModuleList(nn.Conv1d(a, b, 4, stride=2, padding=1) for a, b in zip(w[:-1], w[1:]))
        self.bottom = nn.Sequential(ConvBlock(w[-1], k),
                                    *[AttentionBlock(w[-1], config.attn_heads) for _ in range(config.attn_layers)])
        self.ups = nn.ModuleList(nn.ConvTranspose1d(b, a, 4, stride=2, padding=1) for a, b in zip(w[:-1], w[1:]))
        self.up_blocks = nn.ModuleList(
            nn.Sequential(nn.Conv1d(2 * c, c, 1), *[ConvBlock(c, k) for _ in range(config.blocks_per_level)])
            for c in w[:-1])
        self.head = nn.Sequential(nn.GroupNorm(8, w[0]), nn.GELU(), nn.Conv1d(w[0], NUM_LEADS, 1))
        nn.init.zeros_(self.head[-1].weight)                    # start as the identity on the prior
        nn.init.zeros_(self.head[-1].bias)

    def num_params(self) -> int:
        return sum(p.numel() for p in self.parameters())

    def forward(self, values, mask, confidence, target=None, prior=None, prior_mask=None):
        B, L, T = values.shape
        assert L == NUM_LEADS, f"expected {NUM_LEADS} leads, got {L}"
        assert T % self.config.stride == 0, f"T={T} must be a multiple of {self.config.stride}"
        if prior is None:  # the data pipeline computes it in its workers; this is for direct calls
            prior, prior_mask = _prior_batch(values, mask, self.config.fs)
        base = torch.where(prior_mask > 0, prior, values * mask)               # (B, 12, T)
        x = torch.cat([values * mask, mask, confidence * mask, prior, prior_mask], dim=1)  # (B, 60, T)
        h = self.stem(x)                                                        # (B, w0, T)
        skips = []
        for block, down in zip(self.down_blocks, self.downs):
            h = block(h)
            skips.append(h)                                                     # (B, wi, T / 2^i)
            h = down(h)                                                         # (B, wi+1, T / 2^(i+1))
        h = self.bottom(h)                                                      # (B, w-1, T / stride)
        for up, block, skip in zip(reversed(self.ups), reversed(self.up_blocks), reversed(skips)):
            h = block(torch.cat([up(h), skip], dim=1))                          # (B, wi, T / 2^i)
        output = base + self.head(h).float()                                    # (B, 12, T)
        loss = None if target is None else self.loss(output, target, mask, confidence)
        return output, loss

    def loss(self, output, target, mask, confidence):
        """Weighted MSE plus the limb-lead identity term (scalar)."""
        trusted = mask * confidence                                             # (B, 12, T)
        weight = 1.0 + (self.config.unseen_weight - 1.0) * (1.0 - trusted)
        mse = (weight * (output - target) ** 2).sum() / weight.sum()
        I, II, III, aVR, aVL, aVF = output[:, :6].unbind(dim=1)                 # 6 x (B, T)
        relation = torch.stack([III - (II - I), aVR + (I + II) / 2,
                                aVL - (I - II / 2), aVF - (II - I / 2)]).pow(2).mean()
        return mse + self.config.relation_weight * relation
