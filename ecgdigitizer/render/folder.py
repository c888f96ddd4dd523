"""A folder of WFDB records -> a challenge-format folder of rendered pages.

``folder_render(input_folder, output_folder, ...)`` mirrors every record
(found recursively) into::

    OUTPUT/full/<rec>.hea/.dat       the record, with "# Image: <rec>-0.png, ..."
    OUTPUT/full/<rec>-<k>.png        one page per 10-s window
    OUTPUT/full/<rec>-<k>.json       its ground truth (ECG-Image-Kit's schema)
    OUTPUT/masked/<rec>.hea/.dat     optional: NaN wherever no page plots the sample
    OUTPUT/hidden/<rec>.hea, *.png   optional: partial header and images, no signal

as the Challenge's own preparation does. Every page's random draws come from
``(seed, CRC32 of the record's relative path, page index)``, so the output does
not depend on the number of workers or on which other records are in the folder.
"""
from __future__ import annotations

import dataclasses
import logging
import os
import shutil
import zlib
from multiprocessing import get_context

import cv2
import numpy as np
import wfdb

from ..records import IMAGE_PREFIX, header_hide, header_load, records_find, signal_write, text_load, text_save
from .ground_truth import ground_truth_write
from .page import PageStyle, page_seconds
from .page_render import page_render
from .presets import Preset

__all__ = ["record_read", "page_windows", "record_render", "folder_render"]

logger = logging.getLogger(__name__)

_TO_MV = {"mv": 1.0, "uv": 1e-3, "µv": 1e-3, "μv": 1e-3, "v": 1e3, "nv": 1e-6}


def record_read(record: str) -> tuple[np.ndarray, float, list[str]]:
    """Signal (N, L) in mV (NaN where missing), fs in Hz and lead names of a WFDB record.

    Raises
    ------
    FileNotFoundError
        When the header or its signal file is missing.
    ValueError
        When the record has no samples or no leads, or a unit is not a voltage.
    """
    header = header_load(record)
    folder = os.path.dirname(record)
    if not header.signal_files or not all(os.path.isfile(os.path.join(folder, f)) for f in set(header.signal_files)):
        raise FileNotFoundError(f"{record}: the signal file named in the header is missing")
    rec = wfdb.rdrecord(record, physical=True)
    if rec.p_signal is None or rec.p_signal.size == 0 or rec.p_signal.ndim != 2:
        raise ValueError(f"{record}: the record has no samples to draw")
    scale = []
    for j, unit in enumerate(rec.units):
        key = (unit or "mV").strip().casefold()
        if key not in _TO_MV:
            raise ValueError(f"{record}: lead {rec.sig_name[j]} is in {unit!r}; expected a voltage (mV, uV, V)")
        scale.append(_TO_MV[key])
    return rec.p_signal * np.asarray(scale), float(rec.fs), list(rec.sig_name)


def page_windows(num_samples: int, fs: float, seconds: float = 10.0) -> list[int]:
    """First samples of the pages of a record: one per ``seconds``-long window.

    A last window shorter than a quarter page is dropped unless it is the only one.
    """
    step = round(seconds * fs)
    starts = list(range(0, max(num_samples, 1), step))
    if len(starts) > 1 and num_samples - starts[-1] < step / 4:
        starts.pop()
    return starts


def _comments_without_images(header) -> list[str]:
    return [c for c in header.comments if not "".join(c.split()).casefold().startswith("image:")]


def record_render(input_folder: str, output_folder: str, rel: str, *, preset: str | Preset = "clean",
                  seed: int = 0, layouts: tuple[str, ...] = ("3x4+1",), dpi: int | None = None,
                  masked: bool = False, hidden: bool = False) -> int:
    """Render every page of one record into ``output_folder``; return the number of pages."""
    src = os.path.join(input_folder, rel)
    signal, fs, names = record_read(src)
    header = header_load(src)
    header = dataclasses.replace(header, comments=_comments_without_images(header))
    seconds = page_seconds(PageStyle())
    full = os.path.join(output_folder, "full", rel)
    os.makedirs(os.path.dirname(full), exist_ok=True)
    base = os.path.basename(rel)
    key = zlib.crc32(rel.replace(os.sep, "/").encode())
    images, pages = [], []
    for k, start in enumerate(page_windows(len(signal), fs, seconds)):
        rng = np.random.default_rng([seed, key, k])
        layout = layouts[int(rng.integers(len(layouts)))]
        page = page_render(signal, fs, names, layout=layout, dpi=dpi, preset=preset, seed=rng, start_sample=start)
        png = f"{base}-{k}.png"
        if not cv2.imwrite(f"{full}-{k}.png", np.ascontiguousarray(page.image[..., ::-1])):
            raise OSError(f"{full}-{k}.png: OpenCV could not write the image")
        ground_truth_write(f"{full}-{k}.json", page.ground_truth)
        images.append(png)
        pages.append(page.ground_truth)
    image_comment = f"{IMAGE_PREFIX.lstrip('#').strip()} {', '.join(images)}"
    signal_write(full, _physical(signal, names, header), header, comments=[image_comment])
    if masked:
        keep = np.full(signal.shape, np.nan)
        index = {n: j for j, n in reversed(list(enumerate(names)))}
        for gt in pages:
            w0 = gt["window_start_sample"]
            for lead in gt["leads"]:
                j = index.get(lead["lead_name"])
                if j is None:   # drawn under its normalised name
                    j = next(j for j, n in enumerate(names) if n.casefold() == lead["lead_name"].casefold())
                s, e = w0 + lead["start_sample"], w0 + lead["end_sample"]
                keep[s:e, j] = signal[s:e, j]
        signal_write(os.path.join(output_folder, "masked", rel), _physical(keep, names, header), header,
                     comments=[image_comment])
    if hidden:
        dst = os.path.join(output_folder, "hidden", rel)
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        text_save(dst + ".hea", header_hide(text_load(full + ".hea")))
        for png in images:
            shutil.copyfile(os.path.join(os.path.dirname(full), png), os.path.join(os.path.dirname(dst), png))
    return len(images)


def _physical(signal_mv: np.ndarray, names: list[str], header) -> np.ndarray:
    """Back from mV to the header's units, so the written record equals the input."""
    scale = np.array([1.0 / _TO_MV[(u or "mV").strip().casefold()] for u in header.units])
    return signal_mv * scale


def _worker(args: tuple) -> tuple[str, int, str | None]:
    cv2.setNumThreads(1)
    input_folder, output_folder, rel, kwargs, allow_failures = args
    try:
        return rel, record_render(input_folder, output_folder, rel, **kwargs), None
    except (ValueError, FileNotFoundError, OSError) as e:
        if not allow_failures:
            raise ValueError(f"{os.path.join(input_folder, rel)}: cannot be rendered: {e}") from e
        return rel, 0, str(e)


def folder_render(input_folder: str, output_folder: str, *, preset: str | Preset = "clean", seed: int = 0,
                  layouts: tuple[str, ...] = ("3x4+1",), dpi: int | None = None, masked: bool = False,
                  hidden: bool = False, workers: int = 1, allow_failures: bool = False,
                  progress: bool = True) -> dict:
    """Render every record under ``input_folder`` into ``output_folder`` (see the module doc).

    Returns
    -------
    dict
        ``records``, ``pages`` and ``failures`` (list of ``(record, reason)``).

    Raises
    ------
    FileNotFoundError
        When ``input_folder`` does not exist or holds no record.
    ValueError
        When a record cannot be drawn and ``allow_failures`` is false.
    """
    from tqdm import tqdm

    rels = records_find(input_folder)
    if not rels:
        raise FileNotFoundError(f"{input_folder}: no WFDB records (.hea files) found")
    kwargs = dict(preset=preset, seed=seed, layouts=tuple(layouts), dpi=dpi, masked=masked, hidden=hidden)
    jobs = [(input_folder, output_folder, rel, kwargs, allow_failures) for rel in rels]
    pages, failures = 0, []
    bar = tqdm(total=len(jobs), unit="record", disable=not progress)
    if workers <= 1:
        results = map(_worker, jobs)
        pool = None
    else:
        pool = get_context("spawn").Pool(workers)
        results = pool.imap_unordered(_worker, jobs)
    try:
        for rel, n, error in results:
            pages += n
            if error:
                logger.warning("%s: skipped: %s", rel, error)
                failures.append((rel, error))
            bar.update(1)
    finally:
        bar.close()
        if pool is not None:
            pool.terminate()
    return {"records": len(rels), "pages": pages, "failures": failures}
