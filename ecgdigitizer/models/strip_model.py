"""The image model: where is this row's trace, column by column?

Input: a canonical strip (``ecgdigitizer.strips``), ``(B, 3, H, W)`` with H =
96 rows at 2 px/mm. Output: for every column, a distribution over the H rows
of where the row's own trace passes at that column's time. Grid, text,
calibration pulses, stains and the neighbouring rows' excursions are all in
the picture; the network learns to ignore them.

A small U-Net (Ronneberger et al., MICCAI 2015): two pooling levels, then
convolutions dilated along the time axis so that a column sees about two seconds
of ECG on either side (enough to follow a trace through a crossing), then back
up to full resolution with skip connections, and a 1x1 head giving one logit
per pixel. Every block is a 3x3 convolution, batch norm and ReLU (the layout
of torchvision's ``Conv2dNormActivation``, built here because importing
torchvision costs a digitizing process seconds of start-up). A ResNet-18
trunk was the other candidate; its stride-4 stem with 64 channels costs
several times more per strip on a CPU and gives up the row precision the
output needs at its first layer.

Training loss: cross-entropy of each column's softmax over rows against the
true (sub-pixel) row, split between the two nearest rows, plus an L1 term on
the soft-argmax row that sharpens the sub-pixel position.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F

from .weights import model_load, model_save

__all__ = ["StripModelConfig", "StripModel", "rows_decode", "strip_model_save", "strip_model_load",
           "STRIP_MODEL_FILE"]


@dataclass(frozen=True)
class StripModelConfig:
    height: int = 96                    # strip rows (strips.STRIP_HEIGHT)
    widths: tuple[int, int, int] = (12, 24, 48)  # channels at full, 1/2 and 1/4 resolution
    dilations: tuple[int, ...] = (2, 4, 8, 16)   # along time, at 1/4 resolution: about +-2 s of context
    l1_weight: float = 0.05             # weight of the soft-argmax L1 term (per row of error)


def conv_block(c_in: int, c_out: int, dilation: tuple[int, int] = (1, 1)) -> nn.Sequential:
    """3x3 convolution (no bias: the norm has one), batch norm, ReLU; the output keeps the input's size."""
    return nn.Sequential(nn.Conv2d(c_in, c_out, 3, padding=dilation, dilation=dilation, bias=False),
                         nn.BatchNorm2d(c_out), nn.ReLU(inplace=True))


class DoubleConv(nn.Sequential):
    def __init__(self, c_in: int, c_out: int):
        super().__init__(conv_block(c_in, c_out), conv_block(c_out, c_out))


class StripModel(nn.Module):
    def __init__(self, config: StripModelConfig = StripModelConfig()):
        super().__init__()
        self.config = config
        c1, c2, c3 = config.widths
        self.enc1 = DoubleConv(3, c1)
        self.enc2 = DoubleConv(c1, c2)
        self.enc3 = DoubleConv(c2, c3)
        self.context = nn.Sequential(*[conv_block(c3, c3, dilation=(1, d)) for d in config.dilations])
        self.dec2 = DoubleConv(c3 + c2, c2)
        self.dec1 = DoubleConv(c2 + c1, c1)
        self.head = nn.Conv2d(c1, 1, 1)

    def num_params(self) -> int:
        return sum(p.numel() for p in self.parameters())

    def forward(self, image: torch.Tensor, target: torch.Tensor | None = None,
                valid: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Row logits per column, and the loss when targets are given.

        Parameters
        ----------
        image : (..., 3, H, W) float tensor
            Strips in [0, 1]; leading dimensions are flattened (a batch of
            pages with K strips each is (B, K, 3, H, W)).
        target : (..., W) float tensor, optional
            True row (sub-pixel) per column.
        valid : (..., W) bool tensor, optional
            Columns whose target counts.

        Returns
        -------
        logits : (N, H, W), N the product of the leading dimensions
        loss : scalar tensor or None
        """
        image = image.reshape(-1, *image.shape[-3:])
        x1 = self.enc1(image)                                  # (B, c1, H, W)
        x2 = self.enc2(F.max_pool2d(x1, 2))                    # (B, c2, H/2, W/2)
        x3 = self.context(self.enc3(F.max_pool2d(x2, 2)))      # (B, c3, H/4, W/4)
        y2 = self.dec2(torch.cat([F.interpolate(x3, size=x2.shape[-2:]), x2], 1))
        y1 = self.dec1(torch.cat([F.interpolate(y2, size=x1.shape[-2:]), x1], 1))
        logits = self.head(y1).squeeze(1)                      # (B, H, W)
        if target is None:
            return logits, None
        target = target.reshape(-1, target.shape[-1])
        valid = None if valid is None else valid.reshape(-1, valid.shape[-1])
        return logits, self._loss(logits, target, valid)

    def _loss(self, logits: torch.Tensor, target: torch.Tensor, valid: torch.Tensor | None) -> torch.Tensor:
        height = logits.shape[1]
        logp = F.log_softmax(logits.float(), dim=1)            # (B, H, W)
        if valid is None:
            valid = torch.ones_like(target, dtype=torch.bool)
        valid = valid & (target >= 0) & (target <= height - 1)
        t = target.clamp(0, height - 1)
        lo = t.floor().long().clamp(max=height - 2)
        frac = (t - lo).unsqueeze(1)                           # (B, 1, W)
        nll = -(torch.gather(logp, 1, lo.unsqueeze(1)) * (1 - frac)
                + torch.gather(logp, 1, (lo + 1).unsqueeze(1)) * frac).squeeze(1)
        rows = torch.arange(height, device=logits.device, dtype=logp.dtype).view(1, -1, 1)
        expected = (logp.exp() * rows).sum(1)                  # (B, W)
        l1 = (expected - t).abs()
        per_column = nll + self.config.l1_weight * l1
        return (per_column * valid).sum() / valid.sum().clamp(min=1)


def rows_decode(logits: torch.Tensor, *, radius: int = 4) -> tuple[torch.Tensor, torch.Tensor]:
    """Sub-pixel row and confidence per column.

    The soft-argmax is taken only within ``radius`` rows of each column's most
    likely row, so that a second, weaker candidate (a crossing trace) does not
    pull the estimate between the two.

    Parameters
    ----------
    logits : (B, H, W) tensor

    Returns
    -------
    rows : (B, W) float tensor
    confidence : (B, W) float tensor
        Probability mass within the window, in [0, 1].
    """
    prob = torch.softmax(logits.float(), dim=1)
    height = prob.shape[1]
    peak = prob.argmax(dim=1, keepdim=True)                    # (B, 1, W)
    rows = torch.arange(height, device=prob.device).view(1, -1, 1)
    window = ((rows - peak).abs() <= radius).to(prob.dtype)
    mass = (prob * window).sum(1)
    expected = (prob * window * rows).sum(1) / mass.clamp(min=1e-8)
    return expected, mass


STRIP_MODEL_FILE = "strip_model.pt"
_KIND = "ecgdigitizer.strip_model"


def strip_model_save(path: str, model: StripModel) -> None:
    """Write the image model to ``path`` (plain data, see ``models.weights``)."""
    model_save(path, model, _KIND)


def strip_model_load(path: str, device: str = "cpu") -> StripModel:
    """The image model saved at ``path`` (or a training checkpoint of it), in eval mode."""
    return model_load(path, StripModel, StripModelConfig, _KIND, device)
