"""Challenge records on disk: WFDB headers, signals, image lists and labels.

A *record* is a path without extension, e.g. ``data/00001_hr``; its header is
``data/00001_hr.hea``. Headers come in two shapes:

* full (training data): every WFDB field, a signal file, ``# Image:`` and
  optionally ``# Labels:`` comments;
* hidden (what a digitizer receives at a referee): the record line, signal
  lines without initial values or checksums, and only the ``# Image:`` comment.

``Header`` parses both and raises ``ValueError`` naming the file and the field
when a number is not a number. ``signal_write`` writes a WFDB record
atomically, so that a crash never leaves a half-written ``.dat`` behind.
The top-level ``helper_code.py`` re-exports the functions here under the
official challenge names.
"""
from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass

import numpy as np
import wfdb

__all__ = [
    "Header", "header_parse", "header_hide", "records_find", "header_load",
    "signal_load", "signal_write", "header_path", "text_load", "text_save", "labels_from_header",
    "image_files_from_header", "variable_get", "variables_get",
]

IMAGE_PREFIX = "# Image:"
LABELS_PREFIX = "# Labels:"


# --------------------------------------------------------------------------- text

def text_load(path: str) -> str:
    """Read a text file (UTF-8) and return its content."""
    with open(path, "r", encoding="utf-8") as f:
        return f.read()


def _new_file_mode() -> int:
    """The mode ``open()`` gives a new file: 0o666 less the process's umask (read once, at import)."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


_NEW_FILE_MODE = _new_file_mode()


def text_save(path: str, text: str) -> None:
    """Write ``text`` to ``path`` (UTF-8), replacing the file atomically."""
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".tmp-", suffix=os.path.basename(path))
    try:
        os.fchmod(fd, _NEW_FILE_MODE)   # mkstemp's file is private (0600); a header is not
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def variable_get(text: str, name: str) -> tuple[str, bool]:
    """Value after the last line starting with ``name``, and whether one exists.

    The comparison ignores spaces after ``#`` so that ``#Image:`` and
    ``# Image:`` are the same variable.
    """
    values, found = _variable_lines(text, name)
    return (values[-1] if found else ""), found


def variables_get(text: str, name: str, sep: str = ",") -> tuple[list[str], bool]:
    """Comma-separated values of every line starting with ``name``."""
    lines, found = _variable_lines(text, name)
    values = [v.strip() for line in lines for v in line.split(sep) if v.strip()]
    return values, found


def _variable_lines(text: str, name: str) -> tuple[list[str], bool]:
    key = _squash(name)
    lines = []
    for line in text.splitlines():
        squashed = _squash(line)
        if squashed.startswith(key):
            # Cut the same number of non-space characters from the raw line.
            lines.append(_strip_key(line, len(key)).strip())
    return lines, bool(lines)


def _squash(s: str) -> str:
    return "".join(s.split()).casefold()


def _strip_key(line: str, n_chars: int) -> str:
    seen = 0
    for i, ch in enumerate(line):
        if not ch.isspace():
            seen += 1
            if seen == n_chars:
                return line[i + 1:]
    return ""


def image_files_from_header(text: str) -> list[str]:
    """Image files named on ``# Image:`` lines, in order (may be empty)."""
    return variables_get(text, IMAGE_PREFIX)[0]


def labels_from_header(text: str) -> list[str]:
    """Labels named on ``# Labels:`` lines (may be empty)."""
    return variables_get(text, LABELS_PREFIX)[0]


# ------------------------------------------------------------------------ headers

@dataclass(frozen=True)
class Header:
    """The fields of a WFDB header that a digitizer needs.

    Attributes
    ----------
    record_name : str
    num_signals : int
    fs : float
        Sampling frequency in Hz.
    num_samples : int
    signal_files, formats, units, signal_names : list of str, one per signal
    adc_gains : list of float
        Digital units per physical unit.
    baselines : list of int
    comments : list of str
        The ``#`` lines, without the ``#``.
    text : str
        The header as read.
    """
    record_name: str
    num_signals: int
    fs: float
    num_samples: int
    signal_files: list[str]
    formats: list[str]
    adc_gains: list[float]
    baselines: list[int]
    units: list[str]
    signal_names: list[str]
    comments: list[str]
    text: str

    @property
    def image_files(self) -> list[str]:
        return image_files_from_header(self.text)

    @property
    def labels(self) -> list[str]:
        return labels_from_header(self.text)


def header_parse(text: str, source: str = "<header>") -> Header:
    """Parse a full or hidden WFDB header.

    Raises
    ------
    ValueError
        Naming ``source`` and the field, when the record line or a signal line
        is missing or holds something that is not a number where one is due.
    """
    lines = [ln.strip() for ln in text.splitlines()]
    body = [ln for ln in lines if ln and not ln.startswith("#")]
    comments = [ln[1:].strip() for ln in lines if ln.startswith("#")]
    if not body:
        raise ValueError(f"{source}: the header has no record line")
    fields = body[0].split()
    if len(fields) < 2:
        raise ValueError(f"{source}: record line {body[0]!r} needs at least a name and a number of signals")
    name = fields[0].split("/")[0]
    num_signals = _parse_int(fields[1], "number of signals", source)
    fs = _parse_float(fields[2].split("/")[0].split("(")[0], "sampling frequency", source) if len(fields) > 2 else 250.0
    num_samples = _parse_int(fields[3], "number of samples", source) if len(fields) > 3 else 0
    if fs <= 0:
        raise ValueError(f"{source}: sampling frequency must be positive, got {fs}")
    if num_samples < 0:
        raise ValueError(f"{source}: number of samples must not be negative, got {num_samples}")
    if len(body) - 1 < num_signals:
        raise ValueError(f"{source}: the record line announces {num_signals} signals, "
                         f"but only {len(body) - 1} signal lines follow")

    files, formats, gains, baselines, units, names = [], [], [], [], [], []
    for i, line in enumerate(body[1:1 + num_signals]):
        parts = line.split()
        if len(parts) < 2:
            raise ValueError(f"{source}: signal line {i + 1} {line!r} has no format")
        files.append(parts[0])
        formats.append(parts[1].split("x")[0].split(":")[0].split("+")[0])
        gain, baseline, unit = _parse_gain_field(parts[2] if len(parts) > 2 else "", source, i + 1)
        gains.append(gain)
        baselines.append(baseline)
        units.append(unit)
        # Name is the 9th field in a full line; hidden lines keep it last too.
        names.append(parts[8] if len(parts) > 8 else (parts[-1] if len(parts) > 5 else f"sig{i}"))
    return Header(name, num_signals, fs, num_samples, files, formats, gains, baselines,
                  units, names, comments, text)


def _parse_gain_field(field: str, source: str, line_no: int) -> tuple[float, int, str]:
    """Split ``gain(baseline)/units`` into its parts (WFDB defaults 200, 0, mV)."""
    if not field:
        return 200.0, 0, "mV"
    unit = field.split("/", 1)[1] if "/" in field else "mV"
    head = field.split("/", 1)[0]
    baseline = 0
    if "(" in head:
        head, rest = head.split("(", 1)
        baseline = _parse_int(rest.rstrip(")"), f"baseline of signal {line_no}", source)
    gain = _parse_float(head, f"ADC gain of signal {line_no}", source)
    if gain == 0:
        gain = 200.0  # WFDB: a zero gain means "uncalibrated, use the default".
    return gain, baseline, unit


def _parse_float(value: str, what: str, source: str) -> float:
    try:
        out = float(value)
    except ValueError:
        raise ValueError(f"{source}: {what} is {value!r}, not a number") from None
    if not np.isfinite(out):
        raise ValueError(f"{source}: {what} is {value!r}, not a finite number")
    return out


def _parse_int(value: str, what: str, source: str) -> int:
    out = _parse_float(value, what, source)
    if not out.is_integer():
        raise ValueError(f"{source}: {what} is {value!r}, not an integer")
    return int(out)


def header_hide(text: str) -> str:
    """The hidden form of a full header, as the challenge gives it to a digitizer.

    Keeps name, number of signals, fs and number of samples on the record line;
    file, format, gain(baseline)/units, ADC resolution, ADC zero and name on
    each signal line (initial value, checksum and block size become blank);
    and only the ``# Image:`` comment.
    """
    h = header_parse(text)
    record_line = f"{h.record_name} {h.num_signals} {h.fs:g} {h.num_samples}"
    body = [ln.split() for ln in text.splitlines() if ln.strip() and not ln.strip().startswith("#")]
    out = [record_line]
    for i, parts in enumerate(body[1:1 + h.num_signals]):
        gain_field = parts[2] if len(parts) > 2 else f"{h.adc_gains[i]:g}({h.baselines[i]})/{h.units[i]}"
        resolution = parts[3] if len(parts) > 3 else "16"
        zero = parts[4] if len(parts) > 4 else "0"
        out.append(f"{parts[0]} {parts[1]} {gain_field} {resolution} {zero}    {h.signal_names[i]}")
    images = h.image_files
    if images:
        out.append(f"{IMAGE_PREFIX} {', '.join(images)}")
    return "\n".join(out) + "\n"


# ------------------------------------------------------------------------ folders

def records_find(folder: str) -> list[str]:
    """All records under ``folder``, recursively: sorted relative paths without ``.hea``."""
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"{folder}: no such folder")
    found = set()
    for root, _, files in os.walk(folder):
        for file in files:
            if file.endswith(".hea") and not file.startswith(".tmp-"):
                found.add(os.path.relpath(os.path.join(root, file), folder)[:-4])
    return sorted(found)


def header_path(record: str) -> str:
    return record if record.endswith(".hea") else record + ".hea"


def header_load(record: str) -> Header:
    """Read and parse the header of ``record`` (path without extension)."""
    path = header_path(record)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"{path}: header not found")
    return header_parse(text_load(path), source=path)


def signal_load(record: str) -> tuple[np.ndarray | None, dict | None]:
    """Physical signal (num_samples, num_signals) and wfdb fields, or (None, None).

    Returns (None, None) when the header names no signal file that exists, as
    in hidden folders.
    """
    header = header_load(record)
    folder = os.path.dirname(record)
    if not header.signal_files or not all(
            os.path.isfile(os.path.join(folder, f)) for f in set(header.signal_files)):
        return None, None
    signal, fields = wfdb.rdsamp(record)
    return signal, fields


# ------------------------------------------------------------------------ writing

def signal_write(record: str, signal: np.ndarray, header: Header,
                 comments: list[str] | None = None) -> None:
    """Write ``signal`` (num_samples, num_signals) in physical units as a WFDB record.

    The output keeps the input header's fs, number of samples, gains,
    baselines, units, lead names and ``#`` comments (plus ``comments``). NaN
    samples are stored as WFDB's missing-value code. The ``.dat`` and ``.hea``
    are written to a temporary folder beside the target and renamed into place,
    the header last, so an interrupted write leaves no partial record.

    Raises
    ------
    ValueError
        When the shape of ``signal`` does not match the header.
    """
    signal = np.asarray(signal, dtype=np.float64)
    expected = (header.num_samples, header.num_signals)
    if signal.shape != expected:
        raise ValueError(f"{record}: signal has shape {signal.shape}, the header expects {expected}")
    formats = [f if f in ("16", "32", "212", "80", "24", "8") else "16" for f in header.formats]
    folder = os.path.dirname(os.path.abspath(record))
    name = os.path.basename(record)
    os.makedirs(folder, exist_ok=True)
    all_comments = list(header.comments) + [c.lstrip("#").strip() for c in (comments or [])]
    with tempfile.TemporaryDirectory(dir=folder, prefix=".tmp-") as tmp:
        d_signal = _to_digital(signal, header.adc_gains, header.baselines, formats)
        wfdb.wrsamp(name, fs=header.fs, units=header.units, sig_name=header.signal_names,
                    d_signal=d_signal, fmt=formats, adc_gain=header.adc_gains,
                    baseline=header.baselines, comments=all_comments, write_dir=tmp)
        dat_name = f"{name}.dat"
        if os.path.exists(os.path.join(tmp, dat_name)):
            os.replace(os.path.join(tmp, dat_name), os.path.join(folder, dat_name))
        os.replace(os.path.join(tmp, f"{name}.hea"), os.path.join(folder, f"{name}.hea"))


_FORMAT_RANGE = {"8": 8, "16": 16, "80": 8, "212": 12, "24": 24, "32": 32}


def _to_digital(signal: np.ndarray, gains: list[float], baselines: list[int],
                formats: list[str]) -> np.ndarray:
    """Physical to digital units, clipped to each format's range; NaN -> missing code."""
    out = np.empty(signal.shape, dtype=np.int32)
    for j in range(signal.shape[1]):
        bits = _FORMAT_RANGE[formats[j]]
        lo, hi = -2 ** (bits - 1), 2 ** (bits - 1) - 1
        x = signal[:, j] * gains[j] + baselines[j]
        missing = ~np.isfinite(x)
        x = np.clip(np.round(np.where(missing, 0, x)), lo + 1, hi)
        out[:, j] = np.where(missing, lo, x).astype(np.int32)  # lo is WFDB's NaN code
    return out
