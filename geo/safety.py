"""Hostile-file checks, spreadsheet-safe CSV cells and geometry repair.

Files reach patrolnet from commanders' PCs, USB sticks and the web upload form. Before any reader
(pandas, openpyxl, GDAL, pyosmium) sees a file, the checks here refuse what could hurt the machine
or mislead the reader, each with an :class:`~geo.errors.InputError` naming the file and the fix:

* :func:`safe_name`: an uploaded file name reduced to a plain name (no folders, ``..``, absolute
  paths, control characters or Windows device names; Chinese characters kept);
* :func:`check_upload`: size limit, suffix, content sniffed against the suffix (a ``.csv`` that is
  really an Excel workbook, an ``.xlsx`` that is plain text, an ``.osm`` that is neither XML nor
  PBF), then the deep checks below by type;
* :func:`check_zip`: zip bombs (XLSX, zipped shapefiles, KMZ are ZIP archives), refused from the
  central directory alone, before anything is extracted;
* :func:`bounded_decompress_size`: ``.osm.bz2``/``.osm.gz``/``.csv.gz`` bombs, decompressed as a
  stream that stops at a limit;
* :func:`check_xml`: XML entity expansion ("billion laughs") and external entities (XXE) in OSM
  XML, KML, GPX and the XML inside XLSX/KMZ, refused from the prolog before any parser expands
  anything.

:func:`csv_safe` and :func:`csv_safe_frame` neutralise spreadsheet formulas in exported CSV cells.
:func:`repair_geometries` repairs or refuses faulty geometries of a layer, row by row, with a
report of what was done.

``defusedxml`` is not a dependency: :func:`check_xml` drives the standard library's expat parser
itself and stops it at the first entity declaration, external DTD or the root element.
"""

from __future__ import annotations

import bz2
import functools
import gzip
import lzma
import os
import re
import stat
import tempfile
import unicodedata
import xml.parsers.expat as expat
import zipfile
from collections.abc import Callable, Collection, Iterable, Sequence
from pathlib import Path
from typing import IO, Any

import numpy as np
import pandas as pd

from geo.errors import CRSError, InputError

__all__ = [
    "DEFAULT_MAX_UNCOMPRESSED",
    "DEFAULT_MAX_RATIO",
    "DEFAULT_MAX_MEMBERS",
    "DEFAULT_MAX_PROLOG",
    "FORMULA_PREFIXES",
    "PROBLEM_COLUMNS",
    "safe_name",
    "file_suffix",
    "sniff_kind",
    "check_upload",
    "check_zip",
    "bounded_decompress_size",
    "check_xml",
    "csv_safe",
    "csv_safe_frame",
    "write_safe_csv",
    "repair_geometries",
]

#: Default ceiling on what an archive or compressed file may unpack to (1 GiB).
DEFAULT_MAX_UNCOMPRESSED = 1 << 30
#: Default ceiling on a ZIP member's uncompressed/compressed size ratio (members over 1 MiB).
DEFAULT_MAX_RATIO = 200.0
#: Default ceiling on the number of members of a ZIP archive.
DEFAULT_MAX_MEMBERS = 10_000
#: Default ceiling on the XML prolog (everything before the root element), in bytes.
DEFAULT_MAX_PROLOG = 1 << 20
#: Cell starts a spreadsheet runs as a formula (the same set as :func:`geo.cameras.export.csv_safe`).
FORMULA_PREFIXES: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r")
#: Columns of the problem report of :func:`repair_geometries`.
PROBLEM_COLUMNS = ["row", "reason", "action"]

_RATIO_FLOOR = 1 << 20  # members smaller than this may have any ratio (tiny XML parts compress well)
_CHUNK = 1 << 20


def _size(n: int) -> str:
    """``12.3 MB (12,345,678 bytes)``."""
    for unit, scale in (("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
        if n >= scale:
            return f"{n / scale:.1f} {unit} ({n:,} bytes)"
    return f"{n:,} bytes"


# ---------------------------------------------------------------------------------------------
# names

_WINDOWS_DEVICES = frozenset(
    {"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$", "CLOCK$"}
    | {f"{p}{d}" for p in ("COM", "LPT") for d in "123456789\u00b9\u00b2\u00b3"}
)
_WINDOWS_RESERVED = set('<>:"|?*')
_MAX_NAME_BYTES = 200


def safe_name(name: str) -> str:
    """A file name safe to store and show: the last path component of ``name``, NFC-normalised.

    Folder parts (``incidents/2025.csv`` -> ``2025.csv``) are stripped; leading dots and trailing
    dots and spaces are dropped (Windows ignores trailing ones); an over-long stem is shortened so
    the name fits 200 UTF-8 bytes, keeping the suffix. Chinese characters are kept.

    Parameters
    ----------
    name
        The name as the client sent it.

    Returns
    -------
    str
        The plain file name.

    Raises
    ------
    InputError
        ``..`` components, absolute paths (``/x``, ``\\\\server\\x``, ``C:\\x``), NUL or other
        control or invisible formatting characters (such as right-to-left overrides), the
        characters ``< > : " | ? *``, Windows device names (``CON``, ``NUL``, ``COM1``, ...,
        with any suffix) or nothing left.
    """
    if not isinstance(name, str):
        raise InputError(f"file name {name!r} is not text; send the file with its name")
    shown = "".join(ch if ch.isprintable() else f"\\x{ord(ch):02x}" if ord(ch) < 256 else f"\\u{ord(ch):04x}"
                    for ch in name[:120])
    bad = [ch for ch in name if unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Zl", "Zp")]
    if bad:
        codes = ", ".join(sorted({f"U+{ord(ch):04X}" for ch in bad}))
        raise InputError(
            f"file name '{shown}' contains control or invisible characters ({codes}); "
            f"rename the file with plain letters, digits or Chinese characters"
        )
    name = unicodedata.normalize("NFC", name).strip()
    if name.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", name):
        raise InputError(
            f"file name '{shown}' is an absolute path; send the file by its name only (e.g. 警情.csv)"
        )
    parts = re.split(r"[/\\]+", name)
    if any(re.fullmatch(r"\s*\.{2,}\s*", p) for p in parts):
        raise InputError(
            f"file name '{shown}' contains '..' (a path that climbs out of its folder); "
            f"send the file by its name only"
        )
    base = parts[-1].strip().lstrip(". ").rstrip(". ")
    if not base:
        raise InputError(f"file name '{shown}' has no name left once folders and dots are removed; rename it")
    reserved = sorted(set(base) & _WINDOWS_RESERVED)
    if reserved:
        raise InputError(
            f"file name '{shown}' contains {' '.join(reserved)}, which file systems reserve; "
            f"rename the file without them"
        )
    device = base.split(".", 1)[0].strip().upper()
    if device in _WINDOWS_DEVICES:
        raise InputError(
            f"file name '{shown}' is the Windows device name {device}; rename the file "
            f"(e.g. {device.lower()}_data{Path(base).suffix})"
        )
    if len(base.encode("utf-8")) > _MAX_NAME_BYTES:
        suffix = "".join(Path(base).suffixes[-2:]) if len("".join(Path(base).suffixes[-2:])) <= 16 else ""
        stem = base[: len(base) - len(suffix)]
        while len((stem + suffix).encode("utf-8")) > _MAX_NAME_BYTES:
            stem = stem[:-1]
        base = stem.rstrip(". ") + suffix
    return base


_COMPOUND = {(".osm", ".pbf"), (".osm", ".bz2"), (".osm", ".gz"), (".csv", ".gz"), (".osm", ".xz")}


def file_suffix(name: str | os.PathLike[str]) -> str:
    """The lower-cased type suffix of a file name: ``.csv``, ``.xlsx``, ``.osm.pbf``, ``.csv.gz``..."""
    suffixes = [s.lower() for s in Path(name).suffixes]
    if len(suffixes) >= 2 and (suffixes[-2], suffixes[-1]) in _COMPOUND:
        return suffixes[-2] + suffixes[-1]
    return suffixes[-1] if suffixes else ""


# ---------------------------------------------------------------------------------------------
# content sniffing

_KIND_TEXT = {
    "zip": "a ZIP archive (an Excel .xlsx workbook, a zipped shapefile or a KMZ)",
    "gzip": "gzip-compressed data",
    "bzip2": "bzip2-compressed data",
    "xz": "xz-compressed data",
    "sqlite": "an SQLite database (a GeoPackage)",
    "pbf": "OSM PBF data",
    "shp": "a shapefile (.shp)",
    "ole2": "an old Excel 97-2003 (.xls) or other Office file",
    "pdf": "a PDF document",
    "image": "an image",
    "xml": "XML text",
    "json": "JSON text",
    "text": "plain text (a CSV table?)",
    "binary": "binary data of an unknown kind",
    "empty": "nothing (0 bytes)",
}
_TEXTUAL = {"text", "xml", "json"}


def sniff_kind(head: bytes) -> str:
    """What the first bytes of a file are: ``zip``, ``gzip``, ``bzip2``, ``xz``, ``sqlite``,
    ``pbf``, ``shp``, ``ole2``, ``pdf``, ``image``, ``xml``, ``json``, ``text``, ``binary`` or
    ``empty``. Give at least the first 4 KiB."""
    if not head:
        return "empty"
    if head[:4] in (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08"):
        return "zip"
    if head[:2] == b"\x1f\x8b":
        return "gzip"
    if head[:3] == b"BZh":
        return "bzip2"
    if head[:6] == b"\xfd7zXZ\x00":
        return "xz"
    if head[:16] == b"SQLite format 3\x00":
        return "sqlite"
    if b"OSMHeader" in head[:32]:
        return "pbf"
    if head[:4] == b"\x00\x00\x27\x0a":
        return "shp"
    if head[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        return "ole2"
    if head[:5] == b"%PDF-":
        return "pdf"
    if head[:8] == b"\x89PNG\r\n\x1a\n" or head[:3] == b"\xff\xd8\xff" or head[:6] in (b"GIF87a", b"GIF89a"):
        return "image"
    text = _decode_head(head)
    if text is None:
        return "binary"
    stripped = text.lstrip("\ufeff \t\r\n")
    if stripped.startswith("<"):
        return "xml"
    if stripped.startswith(("{", "[")):
        return "json"
    return "text"


def _decode_head(head: bytes) -> str | None:
    """The head as text when it looks like text (UTF-8, GB18030 or UTF-16 with a BOM), else None."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return head[2 : len(head) - (len(head) % 2)].decode("utf-16-le" if head[0] == 0xFF else "utf-16-be", "replace")
    if b"\x00" in head:
        return None
    for enc in ("utf-8", "gb18030"):
        try:
            return head.decode(enc)
        except UnicodeDecodeError as exc:
            if exc.start >= len(head) - 4:  # a character cut at the end of the head
                return head[: exc.start].decode(enc, "replace")
    controls = sum(1 for b in head if b < 9 or 13 < b < 32)
    return None if controls else head.decode("latin-1")


# Suffix -> content kinds accepted for it.
_ACCEPTS: dict[str, frozenset[str]] = {
    ".csv": frozenset(_TEXTUAL),
    ".txt": frozenset(_TEXTUAL),
    ".tsv": frozenset(_TEXTUAL),
    ".csv.gz": frozenset({"gzip"}),
    ".xlsx": frozenset({"zip"}),
    ".xlsm": frozenset({"zip"}),
    ".zip": frozenset({"zip"}),
    ".kmz": frozenset({"zip"}),
    ".geojson": frozenset({"json"}),
    ".json": frozenset({"json"}),
    ".gpkg": frozenset({"sqlite"}),
    ".shp": frozenset({"shp"}),
    ".osm": frozenset({"xml", "pbf", "gzip", "bzip2"}),  # geo.osm.read_osm reads by content
    ".osm.pbf": frozenset({"pbf"}),
    ".pbf": frozenset({"pbf"}),
    ".osm.bz2": frozenset({"bzip2"}),
    ".osm.gz": frozenset({"gzip"}),
    ".kml": frozenset({"xml"}),
    ".gpx": frozenset({"xml"}),
}
_FIX_BY_KIND = {
    "zip": "if it is an Excel workbook, rename it to .xlsx (or save it from Excel as CSV UTF-8)",
    "text": "if it is a CSV table, rename it to .csv (or open it in Excel and save it as .xlsx)",
    "ole2": "open it in Excel and save it as .xlsx (Excel Workbook) or CSV UTF-8",
    "sqlite": "if it is a GeoPackage, rename it to .gpkg",
    "pbf": "if it is an OSM extract, rename it to .osm.pbf",
}


def check_upload(
    path: str | os.PathLike[str],
    *,
    max_bytes: int,
    allowed_suffixes: Collection[str],
    name: str | None = None,
    max_uncompressed: int = DEFAULT_MAX_UNCOMPRESSED,
    max_ratio: float = DEFAULT_MAX_RATIO,
    max_members: int = DEFAULT_MAX_MEMBERS,
) -> str:
    """Refuse a file that is too big, of a type not allowed, not what its suffix says, or hostile.

    Checks, in order: the file exists and is a regular file; its size is at most ``max_bytes``;
    its suffix (of ``name``, else of ``path``) is in ``allowed_suffixes``; its first bytes match the
    suffix (:func:`sniff_kind`); then by type: ZIP archives (``.xlsx``, ``.zip``, ``.kmz``) with
    :func:`check_zip` (and an XLSX must hold a workbook, a ``.zip`` geodata, a KMZ a ``.kml``) and
    :func:`check_xml` on their XML members; compressed files with :func:`bounded_decompress_size`;
    XML (``.osm``, ``.kml``, ``.gpx`` and compressed OSM XML) with :func:`check_xml`; GeoPackages
    with SQLite's ``PRAGMA quick_check`` (read-only, ``trusted_schema=OFF``).

    Parameters
    ----------
    path
        The file on disk (for an upload: where it was saved, under any name).
    max_bytes
        Largest accepted file size in bytes.
    allowed_suffixes
        Accepted type suffixes, lower case with the dot: ``{".csv", ".xlsx", ".osm.pbf"}``.
    name
        The name the user knows the file by (the upload's file name), used for the suffix and in
        messages. Default: ``path``'s name.
    max_uncompressed, max_ratio, max_members
        Limits for archives and compressed files (see :func:`check_zip`).

    Returns
    -------
    str
        The content kind found (see :func:`sniff_kind`).

    Raises
    ------
    InputError
        The first problem found, naming the file, the limit or the expected type, and the fix.
    """
    path = Path(path)
    label = name if name is not None else path.name
    try:
        st = path.stat()
    except FileNotFoundError:
        raise InputError(f"'{label}' does not exist; check the path") from None
    except OSError as exc:
        raise InputError(f"'{label}' cannot be read ({exc.strerror}); check its permissions") from exc
    if not stat.S_ISREG(st.st_mode):
        raise InputError(f"'{label}' is not a regular file (a folder or device?); pass the file itself")
    if st.st_size > max_bytes:
        raise InputError(
            f"'{label}' is {_size(st.st_size)}, over the limit of {_size(max_bytes)}; "
            f"split it (e.g. one year of incidents per file) or ask the administrator to raise the limit"
        )
    suffix = file_suffix(label)
    allowed = {s.lower() for s in allowed_suffixes}
    if suffix not in allowed:
        raise InputError(
            f"'{label}': files of type '{suffix or '(no suffix)'}' are not accepted here; "
            f"use one of {', '.join(sorted(allowed))}"
        )
    with open(path, "rb") as fh:
        head = fh.read(8192)
    kind = sniff_kind(head)
    if kind == "empty":
        raise InputError(f"'{label}' is empty (0 bytes); export the file again")
    accepts = _ACCEPTS.get(suffix)
    if accepts is not None and kind not in accepts:
        wanted = " or ".join(sorted({_KIND_TEXT[k].split(" (")[0] for k in accepts}))
        fix = _FIX_BY_KIND.get(kind, f"export the file again as a real {suffix} file")
        raise InputError(
            f"'{label}' is named {suffix} but its content is {_KIND_TEXT[kind]}, not {wanted}; {fix}"
        )
    limits = {"max_total_uncompressed": max_uncompressed, "max_ratio": max_ratio, "max_members": max_members}
    if kind == "zip":
        infos = check_zip(path, name=label, **limits)
        _check_zip_contents(path, label, suffix, infos, max_prolog=DEFAULT_MAX_PROLOG)
    elif kind in ("gzip", "bzip2", "xz"):
        bounded_decompress_size(path, max_uncompressed, name=label)
        if suffix.startswith(".osm"):
            check_xml(path, name=label)
    elif kind == "xml" and suffix in (".osm", ".kml", ".gpx"):
        check_xml(path, name=label)
    elif kind == "sqlite":
        _check_sqlite(path, label)
    return kind


def _check_zip_contents(path: Path, label: str, suffix: str, infos: list[zipfile.ZipInfo], *, max_prolog: int) -> None:
    names = [i.filename for i in infos]
    lower = [n.lower() for n in names]
    if suffix in (".xlsx", ".xlsm"):
        if "[content_types].xml" not in lower or not any(n.startswith("xl/") for n in lower):
            raise InputError(
                f"'{label}' is a ZIP archive but not an Excel workbook (no xl/ part); "
                f"open it in Excel and save it as .xlsx, or send the CSV"
            )
    elif suffix == ".kmz":
        if not any(n.endswith(".kml") for n in lower):
            raise InputError(f"'{label}' is a ZIP archive without a .kml inside; export the KMZ again")
    elif suffix == ".zip":
        geo = (".shp", ".geojson", ".json", ".gpkg", ".kml", ".gml")
        if not any(n.endswith(geo) for n in lower):
            raise InputError(
                f"'{label}' holds no geodata (no .shp, .geojson, .gpkg or .kml inside); zip the shapefile's "
                f".shp, .shx, .dbf and .prj together, or send the GeoJSON/GeoPackage itself"
            )
    xml_like = (".xml", ".rels", ".vml", ".kml", ".gpx")
    with zipfile.ZipFile(path) as zf:
        for info in infos:
            if info.filename.lower().endswith(xml_like) and not info.is_dir():
                try:
                    with zf.open(info) as member:
                        _check_xml_stream(member.read, name=f"{label}:{info.filename}", max_prolog=max_prolog)
                except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError, _zlib_error()) as exc:
                    raise InputError(
                        f"'{label}': member '{info.filename}' is damaged ({exc}); export or zip the file again"
                    ) from exc


def _check_sqlite(path: Path, label: str) -> None:
    """A GeoPackage upload must be a sound SQLite file (checked read-only, schema code not trusted)."""
    import sqlite3

    try:
        con = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=5)
        try:
            con.execute("PRAGMA trusted_schema=OFF")
            con.execute("PRAGMA cell_size_check=ON")
            result = con.execute("PRAGMA quick_check").fetchall()
        finally:
            con.close()
    except sqlite3.DatabaseError as exc:
        raise InputError(f"'{label}' is a damaged GeoPackage/SQLite file ({exc}); export it again") from exc
    if result != [("ok",)]:
        raise InputError(
            f"'{label}' is a damaged GeoPackage/SQLite file ({'; '.join(str(r[0]) for r in result[:3])}); "
            f"export it again"
        )


# ---------------------------------------------------------------------------------------------
# zip bombs


def check_zip(
    path: str | os.PathLike[str],
    *,
    max_total_uncompressed: int = DEFAULT_MAX_UNCOMPRESSED,
    max_ratio: float = DEFAULT_MAX_RATIO,
    max_members: int = DEFAULT_MAX_MEMBERS,
    name: str | None = None,
    verify: bool = False,
) -> list[zipfile.ZipInfo]:
    """Refuse a ZIP archive that would unpack to too much, from its central directory alone.

    Nothing is extracted: the member list (``zipfile.ZipFile.infolist``) gives each member's
    declared sizes. Refused: more than ``max_members`` members; a total uncompressed size over
    ``max_total_uncompressed``; a member over 1 MiB whose uncompressed/compressed ratio exceeds
    ``max_ratio`` (deflate reaches about 1000:1 on filler; real XLSX sheets stay under 30:1);
    members whose data overlap (the "overlapping files" bomb, which reuses one compressed block
    for many members); encrypted members; member names that climb out of the archive (``..``,
    absolute paths) or are symbolic links.

    Parameters
    ----------
    path
        The archive.
    max_total_uncompressed, max_ratio, max_members
        The limits.
    name
        The name shown in messages (default: ``path``'s name).
    verify
        Also decompress every member as a stream and check its CRC, which catches an archive
        whose directory lies about the sizes (the reading stops at the declared size anyway).

    Returns
    -------
    list of zipfile.ZipInfo
        The members.

    Raises
    ------
    InputError
        Naming the limit broken, the member and the fix.
    """
    path = Path(path)
    label = name if name is not None else path.name
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise InputError(f"'{label}' is not a readable ZIP archive ({exc}); export or zip it again") from exc
    with zf:
        infos = zf.infolist()
        if len(infos) > max_members:
            raise InputError(
                f"'{label}' has {len(infos):,} members, over the limit of {max_members:,}; "
                f"this is not a normal workbook or shapefile archive (a zip bomb?); send the data itself"
            )
        total = 0
        for info in infos:
            member = info.filename
            if info.flag_bits & 0x1:
                raise InputError(f"'{label}': member '{member}' is encrypted; send the archive without a password")
            if _climbs(member):
                raise InputError(
                    f"'{label}': member name '{member}' points outside the archive ('..' or an absolute "
                    f"path; a zip-slip attempt?); zip the files again from their folder"
                )
            if stat.S_ISLNK(info.external_attr >> 16):
                raise InputError(f"'{label}': member '{member}' is a symbolic link; zip the files themselves")
            total += info.file_size
            if total > max_total_uncompressed:
                raise InputError(
                    f"'{label}' would unpack to more than {_size(max_total_uncompressed)} "
                    f"(declared {_size(sum(i.file_size for i in infos))}); refused before unpacking "
                    f"(a zip bomb?); send a smaller file or split it"
                )
            if info.file_size > _RATIO_FLOOR:
                ratio = info.file_size / max(info.compress_size, 1)
                if ratio > max_ratio:
                    raise InputError(
                        f"'{label}': member '{member}' unpacks {ratio:,.0f} times larger than it is stored "
                        f"({_size(info.compress_size)} -> {_size(info.file_size)}, limit {max_ratio:g}:1); "
                        f"refused before unpacking (a zip bomb?); export the file again"
                    )
        spans = sorted((i.header_offset, i.header_offset + 30 + len(i.orig_filename.encode("utf-8", "replace"))
                        + i.compress_size, i.filename) for i in infos)
        for (_, end, first), (start, _, second) in zip(spans, spans[1:]):
            if start < end:
                raise InputError(
                    f"'{label}': members '{first}' and '{second}' share their compressed data "
                    f"(an overlapping-member zip bomb); refused before unpacking; zip the files again"
                )
        if verify:
            budget = max_total_uncompressed
            for info in infos:
                try:
                    with zf.open(info) as fh:
                        while chunk := fh.read(_CHUNK):
                            budget -= len(chunk)
                            if budget < 0:
                                raise InputError(
                                    f"'{label}' unpacks to more than {_size(max_total_uncompressed)}; refused"
                                )
                except (zipfile.BadZipFile, OSError, EOFError, _zlib_error()) as exc:
                    raise InputError(
                        f"'{label}': member '{info.filename}' is damaged or its sizes are forged ({exc}); "
                        f"export or zip the file again"
                    ) from exc
    return infos


def _zlib_error() -> type[Exception]:
    import zlib

    return zlib.error


def _climbs(member: str) -> bool:
    if "\x00" in member or member.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", member):
        return True
    return ".." in re.split(r"[/\\]+", member)


# ---------------------------------------------------------------------------------------------
# compressed bombs


def _open_compressed(path: Path, kind: str) -> IO[bytes]:
    opener: dict[str, Callable[..., Any]] = {"gzip": gzip.open, "bzip2": bz2.open, "xz": lzma.open}
    return opener[kind](path, "rb")


def bounded_decompress_size(path: str | os.PathLike[str], limit: int, *, name: str | None = None) -> int:
    """Decompress a gzip, bzip2 or xz file as a stream, stopping as soon as it exceeds ``limit``.

    Memory stays at one 1 MiB chunk whatever the file holds; nothing is written.

    Parameters
    ----------
    path
        The compressed file (the format is taken from its first bytes).
    limit
        Largest accepted decompressed size in bytes.
    name
        The name shown in messages (default: ``path``'s name).

    Returns
    -------
    int
        The decompressed size.

    Raises
    ------
    InputError
        Not a gzip/bzip2/xz file, damaged or truncated, or larger than ``limit`` once unpacked.
    """
    path = Path(path)
    label = name if name is not None else path.name
    with open(path, "rb") as fh:
        kind = sniff_kind(fh.read(16))
    if kind not in ("gzip", "bzip2", "xz"):
        raise InputError(f"'{label}' is not gzip, bzip2 or xz compressed (it is {_KIND_TEXT[kind]}); check the file")
    total = 0
    try:
        with _open_compressed(path, kind) as stream:
            while chunk := stream.read(_CHUNK):
                total += len(chunk)
                if total > limit:
                    raise InputError(
                        f"'{label}' unpacks to more than {_size(limit)} (stopped there; it is "
                        f"{_size(path.stat().st_size)} packed); refused (a compression bomb?); "
                        f"send a smaller extract or the uncompressed file"
                    )
    except InputError:
        raise
    except (OSError, EOFError, ValueError, lzma.LZMAError, _zlib_error()) as exc:
        raise InputError(
            f"'{label}' is a damaged or truncated {kind} file ({exc}); download or export it again"
        ) from exc
    return total


# ---------------------------------------------------------------------------------------------
# XML entity expansion


class _RootReached(Exception):
    pass


class _Refused(Exception):
    pass


def check_xml(
    path: str | os.PathLike[str],
    *,
    name: str | None = None,
    max_prolog_bytes: int = DEFAULT_MAX_PROLOG,
) -> None:
    """Refuse an XML file whose DOCTYPE declares entities or names an external DTD.

    Only the prolog (everything before the root element) is parsed, with expat handlers that stop
    at the first entity declaration (before anything is expanded) or at the root element. gzip and
    bzip2 compressed XML (``.osm.gz``, ``.osm.bz2``) is read through the decompressor. A plain
    ``<!DOCTYPE osm>`` without declarations passes.

    What the readers would do without this check (observed with pyosmium 4.3 / libosmium 2.23
    and GDAL 3.12): libosmium refuses any entity declaration ("XML entities are not supported"),
    GDAL's GPX reader aborts a billion-laughs file ("million laugh pattern") and leaves an external
    entity unexpanded, its KML reader aborts both. This check refuses them first, with a message
    that says why, and covers readers that might not.

    Parameters
    ----------
    path
        The XML file (plain, gzip or bzip2).
    name
        The name shown in messages (default: ``path``'s name).
    max_prolog_bytes
        Refuse a file whose root element does not start within this many bytes.

    Raises
    ------
    InputError
        Entity declarations (billion laughs, XXE), an external DTD, a prolog over the limit, or
        content that is not well-formed XML.
    """
    path = Path(path)
    label = name if name is not None else path.name
    with open(path, "rb") as fh:
        kind = sniff_kind(fh.read(16))
    if kind in ("gzip", "bzip2", "xz"):
        try:
            with _open_compressed(path, kind) as stream:
                _check_xml_stream(stream.read, name=label, max_prolog=max_prolog_bytes)
        except (OSError, EOFError, lzma.LZMAError, _zlib_error()) as exc:
            raise InputError(f"'{label}' is a damaged {kind} file ({exc}); download or export it again") from exc
        return
    with open(path, "rb") as fh:
        _check_xml_stream(fh.read, name=label, max_prolog=max_prolog_bytes)


def _check_xml_stream(read: Callable[[int], bytes], *, name: str, max_prolog: int) -> None:
    seen = bytearray()
    chunk_size = 64 * 1024
    encoding: str | None = None
    parser = _prolog_parser(encoding)
    while True:
        chunk = read(chunk_size)
        final = not chunk
        seen += chunk
        try:
            parser.Parse(chunk, final)
        except _RootReached:
            return
        except _Refused as exc:
            raise InputError(str(exc).replace("{name}", name)) from None
        except (expat.ExpatError, ValueError) as exc:
            code = getattr(exc, "code", None)
            unknown = isinstance(exc, ValueError) or code == expat.errors.codes[expat.errors.XML_ERROR_UNKNOWN_ENCODING]
            if unknown and encoding is None:
                # a multi-byte encoding expat lacks (GBK...): ASCII markup reads the same as Latin-1
                encoding = "ISO-8859-1"
                parser = _prolog_parser(encoding)
                try:
                    parser.Parse(bytes(seen), final)
                except _RootReached:
                    return
                except _Refused as again:
                    raise InputError(str(again).replace("{name}", name)) from None
                except expat.ExpatError as again:
                    raise _not_xml(name, again) from None
            else:
                raise _not_xml(name, exc) from None
        if final:
            raise InputError(f"'{name}' has no root element (an empty or cut-off XML file); export it again")
        if len(seen) > max_prolog:
            raise InputError(
                f"'{name}': no root element within the first {_size(max_prolog)} (an oversized XML "
                f"prolog or DOCTYPE); refused; export the file again"
            )


def _not_xml(name: str, exc: Exception) -> InputError:
    if getattr(exc, "code", None) == expat.errors.codes[expat.errors.XML_ERROR_NO_ELEMENTS]:
        return InputError(f"'{name}' has no root element (an empty or cut-off XML file); export it again")
    where = f" at line {exc.lineno}, column {exc.offset}" if hasattr(exc, "lineno") else ""
    msg = expat.errors.messages.get(getattr(exc, "code", -1), str(exc))
    return InputError(f"'{name}' is not well-formed XML ({msg}{where}); check that it is the right file or export it again")


def _prolog_parser(encoding: str | None) -> Any:
    parser = expat.ParserCreate(encoding)
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)

    def doctype(doctype_name: str, system_id: str | None, public_id: str | None, has_internal: int) -> None:
        if system_id or public_id:
            raise _Refused(
                f"'{{name}}' refers to an external DTD ({system_id or public_id!s}) in <!DOCTYPE {doctype_name} ...>; "
                f"refused because reading it could fetch local files or URLs (XXE); remove the DOCTYPE line "
                f"or export the file again (OSM, KML and GPX files do not need one)"
            )

    def entity(entity_name: str, is_parameter: int, value: str | None, base: str | None,
               system_id: str | None, public_id: str | None, notation: str | None) -> None:
        what = (f"an external entity '{entity_name}' -> {system_id or public_id} (XXE: it would read a local "
                f"file or URL)" if (system_id or public_id) else
                f"the entity '{entity_name}' (entities can expand to gigabytes: 'billion laughs')")
        raise _Refused(
            f"'{{name}}' declares {what} in its DOCTYPE (line {parser.CurrentLineNumber}); XML with entity "
            f"declarations is refused; OSM, KML and GPX files never need them: export the file again from "
            f"JOSM, QGIS or the GPS tool"
        )

    def unparsed(entity_name: str, *args: Any) -> None:
        entity(entity_name, 0, None, None, "(unparsed)", None, None)

    def external_ref(*args: Any) -> int:
        raise _Refused("'{name}' refers to an external entity (XXE); refused; export the file again")

    def root(*args: Any) -> None:
        raise _RootReached

    parser.StartDoctypeDeclHandler = doctype
    parser.EntityDeclHandler = entity
    parser.UnparsedEntityDeclHandler = unparsed
    parser.ExternalEntityRefHandler = external_ref
    parser.StartElementHandler = root
    return parser


# ---------------------------------------------------------------------------------------------
# CSV formula injection


def csv_safe(value: object) -> object:
    """Prefix text a spreadsheet would run as a formula with ``'`` (other values pass unchanged).

    Cells starting with ``= + - @``, a tab or a carriage return are neutralised (OWASP's list);
    numbers, None and NaN are returned as they are. Behaves exactly as
    :func:`geo.cameras.export.csv_safe`.
    """
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def csv_safe_frame(frame: pd.DataFrame, *, headers: bool = True) -> pd.DataFrame:
    """A copy of ``frame`` with every text cell made spreadsheet-safe by :func:`csv_safe`.

    Vectorised over text columns (object, string and categorical); numeric, datetime and geometry
    columns are left alone. With ``headers`` the column names are made safe too (they may come from
    a user's file). The input is not changed.
    """
    out = frame.copy()
    for i, col in enumerate(frame.columns):
        values = out.iloc[:, i]
        if isinstance(values.dtype, pd.CategoricalDtype):
            cats = values.cat.categories
            if pd.api.types.is_object_dtype(cats) or pd.api.types.is_string_dtype(cats):
                out.isetitem(i, values.cat.rename_categories([csv_safe(c) for c in cats])
                             if len(set(map(csv_safe, cats))) == len(cats) else values.astype(object).map(csv_safe))
            continue
        if not (pd.api.types.is_object_dtype(values.dtype) or pd.api.types.is_string_dtype(values.dtype)):
            continue
        if values.dtype.name == "geometry":
            continue
        is_text = values.map(lambda v: isinstance(v, str), na_action="ignore").fillna(False).astype(bool)
        if not is_text.any():
            continue
        text = values[is_text].astype(str)
        hit = text.str.startswith(FORMULA_PREFIXES).to_numpy(dtype=bool)
        if hit.any():
            cells = values.to_numpy(dtype=object, copy=True)
            where = np.flatnonzero(is_text.to_numpy())[hit]
            cells[where] = ("'" + text[hit]).to_numpy(dtype=object)
            out.isetitem(i, pd.Series(cells, index=values.index, name=values.name).astype(values.dtype))
    if headers:
        out.columns = [csv_safe(c) for c in out.columns]
    return out


def write_safe_csv(frame: pd.DataFrame, path: str | os.PathLike[str], *, encoding: str = "utf-8-sig") -> Path:
    """Write ``frame`` as a spreadsheet-safe CSV, atomically; return the path.

    Cells and headers go through :func:`csv_safe_frame`; lines end in CRLF so that every cell
    holding a line break (``\\r`` or ``\\n``) is quoted: with pandas' default ``\\n`` a bare
    ``\\r`` inside a cell is written unquoted, and Excel starts a new row there, whose first cell
    may then be a live formula. UTF-8 with BOM (opens in Excel with Chinese intact). The file is
    written to a temporary name beside ``path``, flushed to disk and moved over ``path``.
    """
    path = Path(path)
    safe = csv_safe_frame(pd.DataFrame(frame))
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "w", encoding=encoding, newline="") as fh:
            safe.to_csv(fh, index=False, lineterminator="\r\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return path


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


# ---------------------------------------------------------------------------------------------
# geometry repair

_FAMILIES = {
    "Point": ("Point",),
    "Polygon": ("Polygon", "MultiPolygon"),
    "LineString": ("LineString", "MultiLineString"),
}


def repair_geometries(
    gdf: Any,
    *,
    layer: str,
    expected: str,
    crs: Any,
    boundary: Any = None,
    tolerance_m: float = 200.0,
    min_area_m2: float = 0.01,
    min_length_m: float = 0.001,
) -> tuple[Any, pd.DataFrame]:
    """Repair what can be repaired in a layer's geometries and refuse the rest, row by row.

    =============================================  ==========  ====================================
    fault                                          action      how
    =============================================  ==========  ====================================
    None / empty geometry                          refused
    non-finite coordinates (NaN, inf)              refused
    wrong type (a line where polygons belong)      refused     collections keep the right parts
    degrees in a projected layer (or metres in     refused     message names ``--coords`` and
    a geographic one); far outside the CRS's                   ``.to_crs``
    area of use (a zone prefix on X?)
    duplicate consecutive vertices                 cleaned     ``shapely.remove_repeated_points``
    invalid polygon (bow-tie, spike, bad ring)     repaired    ``shapely.make_valid``; the
                                                               polygonal part is kept
    zero-area slivers / zero-length line parts     cleaned     dropped (refused when nothing is
                                                               left)
    outside the boundary beyond ``tolerance_m``    refused     distance named
    single-part MultiPoint in a Point layer        cleaned     the point taken
    =============================================  ==========  ====================================

    Every kept geometry is valid, non-empty and of the expected type (``Polygon`` layers may hold
    MultiPolygons, ``LineString`` layers MultiLineStrings). Repairing the output again changes
    nothing.

    Parameters
    ----------
    gdf
        The layer (GeoDataFrame). Its CRS, when set, must be ``crs``; unset it is taken as ``crs``.
        Not changed.
    layer
        Layer name, for messages.
    expected
        ``"Point"``, ``"Polygon"`` or ``"LineString"`` (``Multi...`` is read as the same).
    crs
        The CRS the coordinates should be in (the workspace's working CRS).
    boundary
        The district: a shapely geometry in ``crs``, or a GeoSeries/GeoDataFrame (reprojected to
        ``crs``). Rows farther than ``tolerance_m`` from it are refused.
    tolerance_m
        How far outside the boundary a geometry may lie (metres; CRS units).
    min_area_m2, min_length_m
        Polygon parts smaller than ``min_area_m2`` and line parts shorter than ``min_length_m``
        are slivers, dropped (CRS units; only for a projected ``crs``).

    Returns
    -------
    (GeoDataFrame, DataFrame)
        The kept rows (original index and columns, geometry repaired, CRS ``crs``) and the
        problems: ``row`` (the ``__row__`` column when there is one, else the index label),
        ``reason`` (what was wrong and the fix) and ``action`` (``refused``, ``repaired`` or
        ``cleaned``). A row may have several problems.

    Raises
    ------
    InputError
        ``expected`` unknown, or ``gdf`` not a GeoDataFrame.
    CRSError
        ``gdf`` declares a CRS other than ``crs``.
    """
    import geopandas as gpd
    import shapely
    from pyproj import CRS
    from shapely.errors import GEOSException

    kind = expected.removeprefix("Multi") if isinstance(expected, str) else expected
    if kind not in _FAMILIES:
        raise InputError(f"expected={expected!r}: use 'Point', 'Polygon' or 'LineString'")
    if not isinstance(gdf, gpd.GeoDataFrame):
        raise InputError(f"layer '{layer}': needs a GeoDataFrame with a geometry column, got {type(gdf).__name__}")
    crs_obj = CRS.from_user_input(crs)
    if gdf.crs is not None and not CRS.from_user_input(gdf.crs).equals(crs_obj):
        raise CRSError(
            f"layer '{layer}': CRS {gdf.crs.to_string()} differs from {crs_obj.to_string()}; reproject it with "
            f".to_crs('{crs_obj.to_string()}') (or import it with the right --coords)"
        )
    n = len(gdf)
    labels = gdf["__row__"].to_numpy() if "__row__" in gdf.columns else gdf.index.to_numpy()
    geoms = np.array(gdf.geometry.to_numpy(), dtype=object, copy=True)
    keep = np.ones(n, dtype=bool)
    problems: list[tuple[Any, str, str]] = []
    family = _FAMILIES[kind]

    def refuse(mask: np.ndarray, reasons: Iterable[str] | str) -> None:
        idx = np.flatnonzero(mask & keep)
        texts = [reasons] * len(idx) if isinstance(reasons, str) else list(reasons)
        for i, text in zip(idx, texts):
            problems.append((labels[i], f"layer '{layer}': {text}", "refused"))
        keep[idx] = False

    def note(i: int, text: str, action: str) -> None:
        problems.append((labels[i], f"layer '{layer}': {text}", action))

    missing = shapely.is_missing(geoms)
    refuse(missing, "no geometry; give the row its coordinates or drop it")
    empty = ~missing & shapely.is_empty(np.where(missing, None, geoms))
    refuse(empty, "empty geometry; give the row its coordinates or drop it")

    if keep.any():
        coords, owner = shapely.get_coordinates(geoms[keep], return_index=True)
        finite = np.isfinite(coords).all(axis=1)
        bad_local = np.unique(owner[~finite])
        bad = np.zeros(n, dtype=bool)
        bad[np.flatnonzero(keep)[bad_local]] = True
        refuse(bad, "non-finite coordinates (NaN or infinity); fix the coordinates or drop the row")

    # types: collections keep their parts of the right kind; a one-point MultiPoint is a Point
    single = {"Point": "Point", "Polygon": "Polygon", "LineString": "LineString"}[kind]
    type_names = np.array(["Point", "LineString", "LinearRing", "Polygon", "MultiPoint", "MultiLineString",
                           "MultiPolygon", "GeometryCollection"])
    types = shapely.get_type_id(np.where(keep, geoms, None))
    odd = keep & ~np.isin(type_names[np.clip(types, 0, 7)], family)
    for i in np.flatnonzero(odd):
        tname = str(type_names[types[i]])
        g = geoms[i]
        if tname in ("GeometryCollection", "MultiPoint"):
            flat = _flat_parts(g)
            parts = [p for p in flat if p.geom_type == single]
            if kind == "Point" and len(parts) == 1:
                geoms[i] = parts[0]
                note(i, f"{tname} with one point taken as a Point", "cleaned")
                continue
            if kind != "Point" and parts:
                geoms[i] = _assemble(parts, kind)
                note(i, f"{tname}: kept its {kind.lower()} part(s), dropped {len(flat) - len(parts)} other "
                        f"part(s)", "cleaned")
                continue
        hint = {"Polygon": "draw it as a polygon (in QGIS: Polygonize) or put it in a point or line layer",
                "LineString": "give lines (road centre lines), not points or areas",
                "Point": "give one point per row (the centroid of an area if that is meant)"}[kind]
        refuse(np.arange(n) == i, f"geometry type {tname} where {kind} is expected; {hint}")

    # coordinates that cannot be in this CRS
    if keep.any():
        bounds = shapely.bounds(np.where(keep, geoms, None))
        in_degrees = ((np.abs(bounds[:, [0, 2]]) <= 180).all(axis=1)
                      & (np.abs(bounds[:, [1, 3]]) <= 90).all(axis=1))
        area = _projected_area_of_use(crs_obj)
        crs_name = crs_obj.to_string()
        if crs_obj.is_projected:
            looks = in_degrees.copy()
            if area is not None:
                x0, y0, x1, y1 = area
                looks &= ~((bounds[:, 2] >= x0) & (bounds[:, 0] <= x1) & (bounds[:, 3] >= y0) & (bounds[:, 1] <= y1))
            rows = np.flatnonzero(looks & keep)
            refuse(looks, [f"coordinates ({bounds[i, 0]:.6f}, {bounds[i, 1]:.6f}) look like longitude/latitude "
                           f"in degrees, not metres of {crs_name}; import the file with --coords wgs84 "
                           f"(or gcj02/bd09) or reproject it with .to_crs('{crs_name}')" for i in rows])
            if area is not None:
                x0, y0, x1, y1 = area
                margin = 200_000.0
                far = ((bounds[:, 0] > x1 + margin) | (bounds[:, 2] < x0 - margin)
                       | (bounds[:, 1] > y1 + margin) | (bounds[:, 3] < y0 - margin))
                rows = np.flatnonzero(far & keep)
                refuse(far, [f"coordinates ({bounds[i, 0]:,.0f}, {bounds[i, 1]:,.0f}) lie far outside the area "
                             f"where {crs_name} is used; check the coordinate system (--coords EPSG:NNNN; "
                             f"a zone number in front of X?) or reproject with .to_crs('{crs_name}')"
                             for i in rows])
        else:
            looks = ~in_degrees
            rows = np.flatnonzero(looks & keep)
            refuse(looks, [f"coordinates ({bounds[i, 0]:,.1f}, {bounds[i, 1]:,.1f}) are not degrees of "
                           f"{crs_name} (metres of a projected CRS?); import the file with --coords EPSG:NNNN "
                           f"or reproject it with .to_crs('{crs_name}')" for i in rows])

    # cleaning and repair (lines and polygons)
    if kind != "Point":
        metric = crs_obj.is_projected
        size = shapely.area if kind == "Polygon" else shapely.length
        floor = (min_area_m2 if kind == "Polygon" else min_length_m) if metric else 0.0
        unit = "m²" if kind == "Polygon" else "m"
        for i in np.flatnonzero(keep):
            original = geoms[i]
            try:
                g = shapely.remove_repeated_points(original, 0.0)
            except GEOSException:
                g = None  # a ring of fewer than three distinct corners
            if g is None or g.is_empty:
                g = shapely.make_valid(original)
            removed = int(shapely.get_num_coordinates(original) - shapely.get_num_coordinates(g))
            if removed > 0:
                note(i, f"{removed} duplicate vertice(s) removed", "cleaned")
            if not g.is_valid:
                why = shapely.is_valid_reason(g)
                g = shapely.make_valid(g)
                note(i, f"invalid geometry ({why}) repaired with make_valid; kept the {kind.lower()} part",
                     "repaired")
            flat = _flat_parts(g)
            parts = [p for p in flat if p.geom_type == single and not p.is_empty]
            big = [p for p in parts if size(p) > floor] if kind == "Polygon" or metric else parts
            if not big:
                what = ("zero-area polygon (a sliver, or a line drawn as a polygon)" if kind == "Polygon"
                        else "zero-length line")
                refuse(np.arange(n) == i, f"{what}; nothing is left after repair; redraw it or drop the row")
                continue
            if len(big) < len(parts):
                note(i, f"dropped {len(parts) - len(big)} sliver part(s) of at most {floor:g} {unit}", "cleaned")
            if len(big) < len(flat) or not g.is_valid or g.geom_type not in family:
                g = _assemble(big, kind)
            if g is None or g.is_empty or not g.is_valid or g.geom_type not in family:
                refuse(np.arange(n) == i, "invalid geometry that could not be repaired; redraw it or drop the row")
                continue
            geoms[i] = g

    # outside the district
    if boundary is not None and keep.any():
        district = _boundary_geometry(boundary, crs_obj)
        shapely.prepare(district)
        idx = np.flatnonzero(keep)
        near = shapely.dwithin(district, geoms[idx], tolerance_m)
        far_idx = idx[~near]
        if len(far_idx):
            dist = shapely.distance(district, geoms[far_idx])
            mask = np.zeros(n, dtype=bool)
            mask[far_idx] = True
            refuse(mask, [f"outside the district boundary by {d:,.0f} m (tolerance {tolerance_m:g} m); check the "
                          f"coordinate system (--coords) or drop the row" for d in dist])

    out = gdf.iloc[np.flatnonzero(keep)].copy()
    geom_col = gdf.geometry.name
    out[geom_col] = gpd.GeoSeries(list(geoms[keep]), index=out.index, crs=crs_obj)
    out = out.set_geometry(geom_col, crs=crs_obj)
    report = pd.DataFrame(problems, columns=PROBLEM_COLUMNS)
    if len(report):
        order = {label: k for k, label in enumerate(labels)}
        report = (report.assign(_o=report["row"].map(order)).sort_values("_o", kind="stable")
                  .drop(columns="_o").reset_index(drop=True))
    return out, report


def _flat_parts(geom: Any) -> list[Any]:
    """Single-part pieces of a geometry, collections and multi-geometries opened all the way down."""
    import shapely

    out: list[Any] = []
    stack = [geom]
    while stack:
        g = stack.pop()
        if g is None or g.is_empty:
            continue
        if g.geom_type in ("GeometryCollection", "MultiPolygon", "MultiLineString", "MultiPoint"):
            stack.extend(reversed(list(shapely.get_parts(g))))
        else:
            out.append(g)
    return out


def _assemble(parts: list[Any], kind: str) -> Any:
    """One valid geometry of ``kind``'s family from single parts (None when none survives)."""
    import shapely

    if len(parts) == 1 and parts[0].is_valid:
        return parts[0]
    if kind == "Polygon":
        multi = shapely.multipolygons(parts)
        if multi.is_valid:
            return multi
        merged = shapely.make_valid(shapely.union_all(parts))
        pieces = [p for p in _flat_parts(merged) if p.geom_type == "Polygon" and p.area > 0]
        if not pieces:
            return None
        return pieces[0] if len(pieces) == 1 else shapely.multipolygons(pieces)
    if kind == "LineString":
        return parts[0] if len(parts) == 1 else shapely.multilinestrings(parts)
    return parts[0]


def _boundary_geometry(boundary: Any, crs: Any) -> Any:
    import geopandas as gpd
    import shapely

    if isinstance(boundary, gpd.GeoDataFrame | gpd.GeoSeries):
        series = boundary.geometry if isinstance(boundary, gpd.GeoDataFrame) else boundary
        if series.crs is not None:
            series = series.to_crs(crs)
        return shapely.union_all(series.to_numpy())
    return boundary


def _projected_area_of_use(crs: Any) -> tuple[float, float, float, float] | None:
    """The CRS's area of use, in its own coordinates (None when unknown or not projected)."""
    return _area_of_use_cached(crs.to_wkt())


@functools.lru_cache(maxsize=32)
def _area_of_use_cached(wkt: str) -> tuple[float, float, float, float] | None:
    from pyproj import CRS, Transformer

    crs = CRS.from_wkt(wkt)
    area = crs.area_of_use
    if area is None or not crs.is_projected:
        return None
    try:
        tr = Transformer.from_crs("EPSG:4326", crs, always_xy=True)
        x0, y0, x1, y1 = tr.transform_bounds(area.west, area.south, area.east, area.north)
    except Exception:
        return None
    if not all(np.isfinite([x0, y0, x1, y1])):
        return None
    return float(x0), float(y0), float(x1), float(y1)


def _xlsx_width(value: object) -> int:
    """Display width of a cell's first line (CJK characters count double)."""
    s = "" if value is None else str(value).split("\n")[0]
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in s)


def _xlsx_value(v: Any) -> Any:
    if v is None or v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, float) and not np.isfinite(v):
        return None
    return v


def write_safe_xlsx(sheets: Sequence[tuple[str, pd.DataFrame]], path: str | os.PathLike[str]) -> Path:
    """Write tables as an Excel workbook, one sheet each, atomically.

    Headers bold with the first row frozen, columns sized to their content (CJK counted double),
    text stored as text (never run as a formula), multi-line text wrapped, dates formatted, missing
    values left empty and numbers kept as numbers.
    """
    import datetime as dt

    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    path = Path(path)
    wb = Workbook(write_only=True)
    bold = Font(bold=True)
    wrap = Alignment(wrap_text=True, vertical="top")
    for title, table in sheets:
        ws = wb.create_sheet(title=str(title)[:31])
        ws.freeze_panes = "A2"
        cols = [str(c) for c in table.columns]
        values = table.to_numpy(dtype=object)
        widths = [_xlsx_width(c) for c in cols]
        for j in range(len(cols)):
            if len(values):
                widths[j] = max(widths[j], max(_xlsx_width(v) for v in values[:2000, j]))
        for j, w in enumerate(widths):
            ws.column_dimensions[get_column_letter(j + 1)].width = min(60, max(8, w + 2))
        header = []
        for c in cols:
            cell = WriteOnlyCell(ws, value=c)
            cell.font = bold
            header.append(cell)
        ws.append(header)
        for row in values:
            cells: list[Any] = []
            for v in row:
                v = _xlsx_value(v)
                if isinstance(v, str):
                    cell = WriteOnlyCell(ws, value=v)
                    cell.data_type = "s"  # text, never a formula
                    if "\n" in v:
                        cell.alignment = wrap
                    cells.append(cell)
                elif isinstance(v, dt.date) and not isinstance(v, dt.datetime):
                    cell = WriteOnlyCell(ws, value=v)
                    cell.number_format = "yyyy-mm-dd"
                    cells.append(cell)
                else:
                    cells.append(v)
            ws.append(cells)
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        wb.save(tmp)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return path
