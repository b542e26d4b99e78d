"""WFDB records in and out: a fast reader for format-16 files, wfdb as the fallback, and a writer.

PTB-XL ``.dat`` and Chapman ``.mat`` files both hold little-endian int16 samples interleaved by
frame (a ``.mat`` is MATLAB v4 with a 24-byte header before the samples, ``16+24`` in the
header). Where the header allows it (format 16, one signal file, no skew, one sample per frame)
we read the bytes with numpy directly and convert them through a lookup table of all 65,536
sample values, which is ~20-50x faster than ``wfdb.rdsamp``; anything else goes through wfdb.
Both paths give the same physical values: ``(d - baseline) / gain`` in float64 as wfdb computes
it, NaN where the sample holds the format's invalid value (-32768), then float32 in mV.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

import numpy as np

from synecg.errors import RecordError

INVALID_16 = -32768  # WFDB's "no sample" value for format 16
DEFAULT_GAIN = 200.0  # WFDB: a gain of 0 or none means 200 ADC units per physical unit
UNIT_TO_MV = {"mv": 1.0, "uv": 1e-3, "μv": 1e-3, "µv": 1e-3, "v": 1e3}

_GAIN = re.compile(r"^(?P<gain>[-+0-9.eE]+)(?:\((?P<baseline>[-+0-9]+)\))?(?:/(?P<units>\S+))?$")
_FORMAT = re.compile(r"^(?P<fmt>\d+)(?:x(?P<spf>\d+))?(?::(?P<skew>\d+))?(?:\+(?P<offset>\d+))?$")


class Signal(NamedTuple):
    """One signal line of a WFDB header."""

    file: str
    fmt: str
    samples_per_frame: int
    skew: int
    byte_offset: int
    gain: float
    baseline: int
    units: str
    name: str


@dataclass(slots=True)
class Header:
    """The parts of a WFDB header (``.hea``) the readers need (``path`` as given, a string)."""

    path: str
    record: str
    n_sig: int
    fs: float
    n_samples: int
    signals: tuple[Signal, ...]
    comments: tuple[str, ...]

    @property
    def lead_names(self) -> list[str]:
        return [s.name for s in self.signals]

    def comment(self, key: str) -> str | None:
        """The value of a ``#Key: value`` comment line (case-insensitive key), or None."""
        prefix = key.lower() + ":"
        for line in self.comments:
            if line.lower().startswith(prefix):
                return line[len(prefix):].strip()
        return None

    @property
    def fast_readable(self) -> bool:
        """True where the samples can be read with numpy directly (format 16, one file, no skew)."""
        first = self.signals[0] if self.signals else None
        return first is not None and all(
            s.fmt == "16" and s.samples_per_frame == 1 and s.skew == 0
            and s.file == first.file and s.byte_offset == first.byte_offset
            for s in self.signals
        )


# A signal line with all nine fields (file, format, gain, resolution, ADC zero, initial value,
# checksum, block size, description): read by one findall in C, the common case.
_FULL_SIGNAL_LINE = re.compile(r"^([^#\s]\S*)[ \t]+(\S+)[ \t]+(\S+)[ \t]+\S+[ \t]+(\S+)[ \t]+\S+[ \t]+\S+[ \t]+\S+[ \t]+(\S[^\r\n]*?)[ \t]*\r?$", re.M)


def read_header(path: str | Path) -> Header:
    """Parse a WFDB header file; RecordError naming the file for anything malformed."""
    path = os.fspath(path)
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        raise RecordError(path, "header file not found") from None
    try:
        chunks = [os.read(fd, 8192)]
        while len(chunks[-1]) == 8192:
            chunks.append(os.read(fd, 8192))
    finally:
        os.close(fd)
    text = b"".join(chunks).decode("latin-1")
    body_start = text.lstrip()
    if "#" in text:
        lines = [ln.strip() for ln in text.splitlines()]
        comments = tuple(ln.lstrip("#").strip() for ln in lines if ln.startswith("#"))
        body = [ln for ln in lines if ln and not ln.startswith("#")]
    else:
        comments = ()
        body = [ln.strip() for ln in body_start.splitlines() if ln.strip()]
    if not body:
        raise RecordError(path, "empty header")
    head = body[0].split()
    if len(head) < 2:
        raise RecordError(path, f"record line {body[0]!r} has no signal count")
    try:
        record = head[0].split("/")[0]
        n_sig = int(head[1])
        fs = float(head[2].split("/")[0]) if len(head) > 2 else 250.0
        n_samples = int(head[3]) if len(head) > 3 else 0
    except ValueError:
        raise RecordError(path, f"unreadable record line {body[0]!r}") from None
    if len(body) - 1 < n_sig:
        raise RecordError(path, f"record line declares {n_sig} signals, header lists {len(body) - 1}")
    try:
        full = _FULL_SIGNAL_LINE.findall("\n".join(body[1 : 1 + n_sig]))
        if len(full) == n_sig:
            signals = tuple(Signal(f, *_signal_fields(fmt, gain, zero), name) for f, fmt, gain, zero, name in full)
        else:
            signals = tuple(_signal_from_parts(line.split(), line) for line in body[1 : 1 + n_sig])
    except ValueError as exc:
        raise RecordError(path, str(exc)) from None
    return Header(path, record, n_sig, fs, n_samples, signals, comments)


def _signal_from_parts(parts: list[str], line: str) -> Signal:
    """A signal line with optional fields left out (defaults as in the WFDB specification)."""
    if len(parts) < 2:
        raise ValueError(f"signal line {line!r} has no format")
    fields = _signal_fields(parts[1], parts[2] if len(parts) > 2 else "", parts[4] if len(parts) > 4 else "0")
    return Signal(parts[0], *fields, " ".join(parts[8:]))


@lru_cache(maxsize=1024)
def _signal_fields(fmt_field: str, gain_field: str, adc_zero: str) -> tuple:
    """(fmt, samples/frame, skew, byte offset, gain, baseline, units) of one signal line; cached,
    since the fields repeat across the records of a dataset."""
    fmt_match = _FORMAT.match(fmt_field)
    if not fmt_match:
        raise ValueError(f"unknown signal format {fmt_field!r}")
    gain, baseline, units = DEFAULT_GAIN, None, "mV"
    if gain_field:
        gain_match = _GAIN.match(gain_field)
        if not gain_match:
            raise ValueError(f"unreadable gain field {gain_field!r}")
        gain = float(gain_match["gain"]) or DEFAULT_GAIN
        baseline = int(gain_match["baseline"]) if gain_match["baseline"] else None
        units = gain_match["units"] or "mV"
    try:
        zero = int(adc_zero)
    except ValueError:
        raise ValueError(f"unreadable ADC zero {adc_zero!r}") from None
    return (fmt_match["fmt"], int(fmt_match["spf"] or 1), int(fmt_match["skew"] or 0),
            int(fmt_match["offset"] or 0), gain, zero if baseline is None else baseline, units)


def read_signal(header: Header) -> np.ndarray:
    """Samples of a record in mV, float32 (n_sig, n_samples), header order; NaN = invalid sample.

    Fast numpy path for format 16, wfdb otherwise. RecordError for missing, truncated or
    over-long signal files (the header's sample count is the contract).
    """
    if header.fast_readable:
        return _read_format16(header)
    return _read_with_wfdb(header)


def _read_format16(header: Header) -> np.ndarray:
    sig = header.signals[0]
    path = os.path.join(os.path.dirname(header.path), sig.file)
    expected = header.n_sig * header.n_samples * 2
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        raise RecordError(path, "signal file not found") from None
    try:  # one byte more than needed tells an over-long file from a complete one
        data = os.pread(fd, expected + 1, sig.byte_offset)
    finally:
        os.close(fd)
    if len(data) != expected:
        if len(data) < expected:
            what, held = "truncated", f"{len(data) // 2} values"
        else:
            what, held = "longer than its header", f"{(os.path.getsize(path) - sig.byte_offset) // 2} values"
        raise RecordError(
            path,
            f"{what}: header says {header.n_samples} samples x {header.n_sig} signals, "
            f"file holds {held} after byte {sig.byte_offset}",
        )
    raw = np.frombuffer(data, dtype="<i2")
    frames = raw.view(np.uint16).reshape(header.n_samples, header.n_sig)
    calibrations = [(s.gain, s.baseline, s.units) for s in header.signals]
    if all(c == calibrations[0] for c in calibrations):
        return _lookup_table(header, calibrations[0]).take(frames.T)
    out = np.empty((header.n_sig, header.n_samples), dtype=np.float32)
    for k, calibration in enumerate(calibrations):
        out[k] = _lookup_table(header, calibration).take(frames[:, k])
    return out


def _lookup_table(header: Header, calibration: tuple[float, int, str]) -> np.ndarray:
    """float32 mV of every 16-bit sample value (indexed by its uint16 bit pattern)."""
    gain, baseline, units = calibration
    if units.lower() not in UNIT_TO_MV:
        raise RecordError(header.path, f"signal units {units!r}, expected mV")
    return _table(gain, baseline, UNIT_TO_MV[units.lower()])


@lru_cache(maxsize=256)
def _table(gain: float, baseline: int, scale: float) -> np.ndarray:
    """wfdb's arithmetic, (d - baseline) / gain in float64 (then x unit scale), cast to float32,
    done once for all 65,536 values: the reader's output is identical to wfdb's by construction."""
    digital = np.arange(65536, dtype=np.uint16).view(np.int16).astype(np.float64)
    physical = (digital - baseline) / gain
    if scale != 1.0:
        physical = physical * scale
    physical[digital == INVALID_16] = np.nan
    table = physical.astype(np.float32)
    table.flags.writeable = False
    return table


def _read_with_wfdb(header: Header) -> np.ndarray:
    import wfdb

    folder = Path(header.path).parent
    for sig in header.signals:
        if not (folder / sig.file).exists():
            raise RecordError(folder / sig.file, "signal file not found")
    try:
        record = wfdb.rdrecord(str(Path(header.path).with_suffix("")))
    except Exception as exc:  # wfdb raises many kinds; the record is quarantined with the message
        raise RecordError(header.path, f"wfdb could not read the record: {exc}") from None
    if record.p_signal is None or record.p_signal.shape != (header.n_samples, header.n_sig):
        shape = None if record.p_signal is None else record.p_signal.shape
        raise RecordError(header.path, f"header says {header.n_samples} samples, wfdb read {shape}")
    scale = np.array([_unit_scale(header, s) for s in header.signals])[:, None]
    return (record.p_signal.T * scale).astype(np.float32)


def _unit_scale(header: Header, sig: Signal) -> float:
    try:
        return UNIT_TO_MV[sig.units.lower()]
    except KeyError:
        raise RecordError(header.path, f"signal {sig.name!r} has units {sig.units!r}, expected mV") from None


def read_wfdb_reference(header_path: str | Path) -> np.ndarray:
    """What a plain ``wfdb.rdsamp`` gives, as float32 (n_sig, n_samples): the reference the fast
    reader must reproduce (tests, benchmark)."""
    import wfdb

    signal, _ = wfdb.rdsamp(str(Path(header_path).with_suffix("")))
    return signal.T.astype(np.float32)


def _checksum(column: np.ndarray, signed: bool) -> int:
    total = int(column.astype(np.int64).sum()) & 0xFFFF
    return total - 0x10000 if signed and total >= 0x8000 else total


def write_record(
    folder: str | Path,
    name: str,
    digital: np.ndarray,
    fs: int,
    lead_names: list[str],
    gain: float = 1000.0,
    mat: bool = False,
    comments: list[str] | None = None,
    date: str | None = None,
) -> Path:
    """Write one WFDB record from int16 samples (n_sig, n_samples); returns the header path.

    ``mat=False``: PTB-XL style ``name.dat`` (format 16, gain written ``1000.0(0)/mV``).
    ``mat=True``: Chapman style ``name.mat``, MATLAB v4 (one int16 variable ``val``, 12 x N,
    column-major, i.e. interleaved by frame) behind its 24-byte header, format ``16+24``.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    digital = np.asarray(digital)
    if digital.dtype != np.int16:
        raise ValueError(f"write_record wants int16 samples, got {digital.dtype}")
    n_sig, n_samples = digital.shape
    frames = np.ascontiguousarray(digital.T).astype("<i2")
    if mat:
        sig_file = f"{name}.mat"
        # MATLAB v4 matrix header: type 30 (little-endian int16, full), rows, cols, imag flag,
        # name length incl. NUL, then the name: 20 + 4 bytes = the 24-byte offset.
        mat_header = np.array([30, n_sig, n_samples, 0, 4], dtype="<i4").tobytes() + b"val\x00"
        (folder / sig_file).write_bytes(mat_header + frames.tobytes())
        fmt, gain_field = "16+24", f"{gain:g}/mV"
    else:
        sig_file = f"{name}.dat"
        (folder / sig_file).write_bytes(frames.tobytes())
        fmt, gain_field = "16", f"{gain:.1f}(0)/mV"
    record_line = f"{name} {n_sig} {fs} {n_samples}" + (f" {date}" if date else "")
    lines = [record_line]
    for i, lead in enumerate(lead_names):
        init = int(digital[i, 0]) if n_samples else 0
        checksum = _checksum(digital[i], signed=mat)
        lines.append(f"{sig_file} {fmt} {gain_field} 16 0 {init} {checksum} 0 {lead}")
    lines += [f"#{c}" for c in comments or []]
    header_path = folder / f"{name}.hea"
    header_path.write_text("\n".join(lines) + "\n")
    return header_path
