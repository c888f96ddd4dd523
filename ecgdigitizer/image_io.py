"""Loading page images: any of PNG/JPEG/TIFF/BMP, grey, RGB or RGBA, 8 or 16 bit."""
from __future__ import annotations

import os

import cv2
import numpy as np

__all__ = ["image_load"]


def image_load(path: str) -> np.ndarray:
    """Read an image file as an ``(H, W, 3) uint8`` RGB array.

    Grey images are repeated over three channels, an alpha channel is
    composited onto white paper, and 16-bit images are scaled to 8 bits.

    Raises
    ------
    FileNotFoundError
        When ``path`` does not exist.
    ValueError
        When the file is empty, cannot be decoded as an image, or is too
        small to hold an ECG (under 64 px on a side).
    """
    if not os.path.isfile(path):
        raise FileNotFoundError(f"{path}: image file not found")
    path = _link_stub_follow(path)
    if os.path.getsize(path) == 0:
        raise ValueError(f"{path}: image file is empty (0 bytes)")
    data = np.fromfile(path, dtype=np.uint8)
    image = cv2.imdecode(data, cv2.IMREAD_UNCHANGED)
    if image is None:
        raise ValueError(f"{path}: not a readable image (PNG, JPEG, TIFF or BMP expected)")
    if image.dtype == np.uint16:
        image = (image // 257).astype(np.uint8)
    elif image.dtype != np.uint8:
        raise ValueError(f"{path}: unsupported pixel type {image.dtype}")
    if image.ndim == 2:
        image = cv2.cvtColor(image, cv2.COLOR_GRAY2RGB)
    elif image.shape[2] == 4:
        alpha = image[:, :, 3:4].astype(np.float32) / 255.0
        rgb = cv2.cvtColor(image[:, :, :3], cv2.COLOR_BGR2RGB).astype(np.float32)
        image = np.round(rgb * alpha + 255.0 * (1.0 - alpha)).astype(np.uint8)
    else:
        image = cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
    if min(image.shape[:2]) < 64:
        raise ValueError(f"{path}: image is {image.shape[1]}x{image.shape[0]} px, too small for an ECG page")
    return image


def _link_stub_follow(path: str) -> str:
    """Follow a symbolic link that was checked out as a text file.

    Git stores a link as a tiny file holding the target path; on file systems
    or copies without link support that file is what appears (the eik-dev
    ``full/`` folders are an example). Anything else is returned unchanged.
    """
    if os.path.getsize(path) > 1024:
        return path
    with open(path, "rb") as f:
        head = f.read()
    try:
        target = head.decode("ascii").strip()
    except UnicodeDecodeError:
        return path
    candidate = os.path.normpath(os.path.join(os.path.dirname(path), target))
    if target and "\n" not in target and os.path.isfile(candidate):
        return candidate
    return path
