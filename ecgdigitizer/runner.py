"""Running a digitizer over a folder of records, as a referee does.

For every record under the data folder (sorted, recursively), call a
``digitize(record) -> (signal, labels)`` function and write
``OUTPUTS/<same relative path>``: the input header's fields with the signal in
the header's units. Writes are atomic. A record that fails stops the run with
a message naming it, or, with ``allow_failures``, gets its header copied with
no signal and the run goes on.
"""
from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
from joblib import Parallel, delayed
from tqdm import tqdm

from .records import Header, header_load, header_parse, header_path, records_find, signal_write, text_load, text_save

__all__ = ["RunSummary", "records_run", "signal_to_units", "labels_append", "RecordError"]

log = logging.getLogger(__name__)

DigitizeFn = Callable[[str], "tuple[np.ndarray | None, list[str] | None]"]

# Multipliers from millivolts to the units a header may ask for.
_FROM_MV = {"mv": 1.0, "uv": 1e3, "µv": 1e3, "μv": 1e3, "v": 1e-3, "nv": 1e6}


class RecordError(RuntimeError):
    """A record could not be digitized; the message names the record and the reason."""


@dataclass
class RunSummary:
    """What a run did.

    Attributes
    ----------
    done, failed : int
        Records written with a signal, and records that failed.
    seconds : float
        Wall time of the whole run.
    failures : list of (record, reason)
    """
    done: int = 0
    failed: int = 0
    seconds: float = 0.0
    failures: list[tuple[str, str]] = field(default_factory=list)

    def describe(self) -> str:
        total = self.done + self.failed
        per = self.seconds / total if total else float("nan")
        text = (f"{self.done} of {total} records digitized, {self.failed} failed, "
                f"{self.seconds:.1f} s ({per:.2f} s per record)")
        for record, reason in self.failures:
            text += f"\n  failed: {record}: {reason}"
        return text


def signal_to_units(signal_mv: np.ndarray, header: Header) -> np.ndarray:
    """Convert a millivolt signal to each lead's unit in ``header``.

    Raises
    ------
    ValueError
        When a unit is not a voltage this module knows.
    """
    out = np.array(signal_mv, dtype=np.float64, copy=True)
    for j, unit in enumerate(header.units):
        factor = _FROM_MV.get(unit.strip().casefold())
        if factor is None:
            raise ValueError(f"{header.record_name}: lead {header.signal_names[j]} has unit "
                             f"{unit!r}; known units are mV, uV, V and nV")
        out[:, j] *= factor
    return out


def labels_append(header_text: str, labels: list[str]) -> str:
    """The header with a ``# Labels:`` line added (as the official helper writes it)."""
    text = header_text if header_text.endswith("\n") else header_text + "\n"
    return text + "# Labels: " + ", ".join(labels) + "\n"


def records_run(data_folder: str, output_folder: str, digitize: DigitizeFn, *,
                allow_failures: bool = False, verbose: bool = False, progress: bool = True,
                jobs: int = 1) -> RunSummary:
    """Digitize every record of ``data_folder`` into ``output_folder``.

    Parameters
    ----------
    jobs : int
        Worker processes (joblib); each gets its own copy of ``digitize``
        (and so of the models). Records are reported in sorted order either way.

    Raises
    ------
    FileNotFoundError
        When ``data_folder`` does not exist or holds no records.
    RecordError
        When a record fails and ``allow_failures`` is False.
    """
    records = records_find(data_folder)
    if not records:
        raise FileNotFoundError(f"{data_folder}: no records (.hea files) found")
    os.makedirs(output_folder, exist_ok=True)
    pairs = [(os.path.join(data_folder, r), os.path.join(output_folder, r)) for r in records]
    if jobs > 1:
        results = Parallel(n_jobs=jobs, return_as="generator")(
            delayed(_record_attempt)(source, target, digitize) for source, target in pairs)
    else:
        results = (_record_attempt(source, target, digitize) for source, target in pairs)
    summary = RunSummary()
    start = time.perf_counter()
    width = len(str(len(records)))
    bar = tqdm(zip(records, pairs, results), total=len(records), desc="digitizing", unit="record",
               disable=not progress)
    for i, (record, (source, target), (error, seconds)) in enumerate(bar):
        if error is None:
            summary.done += 1
            if verbose:
                tqdm.write(f"{i + 1:>{width}}/{len(records)} {record}: {seconds:.2f} s")
            continue
        reason = f"{type(error).__name__}: {error}"
        if not allow_failures:
            raise RecordError(f"record {record} failed: {reason}") from error
        summary.failed += 1
        summary.failures.append((record, reason))
        _header_only_write(source, target)
        tqdm.write(f"{i + 1:>{width}}/{len(records)} {record}: FAILED ({reason})")
    summary.seconds = time.perf_counter() - start
    return summary


def _record_attempt(source: str, target: str, digitize: DigitizeFn) -> tuple[Exception | None, float]:
    """Run one record; (the error or None, seconds). One bad record must not stop a folder of thousands."""
    t0 = time.perf_counter()
    try:
        _record_run(source, target, digitize)
    except Exception as error:  # reported, with the record's name, by the caller
        return error, time.perf_counter() - t0
    return None, time.perf_counter() - t0


def _record_run(source: str, target: str, digitize: DigitizeFn) -> None:
    header = header_load(source)
    if header.num_samples <= 0:
        raise ValueError(f"{header_path(source)}: the header declares {header.num_samples} samples")
    signal, labels = digitize(source)
    os.makedirs(os.path.dirname(os.path.abspath(target)), exist_ok=True)
    if labels:
        header = _header_with_labels(header, labels)
    if signal is None:
        text_save(header_path(target), header.text)
        return
    signal_write(target, signal_to_units(signal, header), header)


def _header_with_labels(header: Header, labels: list[str]) -> Header:
    return header_parse(labels_append(header.text, labels), source=header.record_name)


def _header_only_write(source: str, target: str) -> None:
    """Copy the input header (no signal), as the official entry does for failures.

    A signal file left in the output folder by an earlier run is removed, so
    that a scorer does not read a stale signal for a record that failed now.
    """
    os.makedirs(os.path.dirname(os.path.abspath(target)), exist_ok=True)
    try:
        text = text_load(header_path(source))
        text_save(header_path(target), text)
        files = header_parse(text, source=header_path(source)).signal_files
    except (OSError, ValueError) as error:
        log.error("could not copy the header of %s: %s", source, error)
        return
    for name in set(files):
        stale = os.path.join(os.path.dirname(os.path.abspath(target)), name)
        if os.path.isfile(stale):
            os.remove(stale)
