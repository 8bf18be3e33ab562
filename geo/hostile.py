"""Hostile-file checks: what a file must pass before any reader (pandas, openpyxl, GDAL, pyosmium) sees it.

Files reach patrolnet from commanders' PCs, USB sticks and the web upload form. The checks here
refuse what could hurt the machine or mislead the reader, each with an
:class:`~geo.errors.InputError` naming the file and the fix:

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

``defusedxml`` is not a dependency: :func:`check_xml` drives the standard library's expat parser
itself and stops it at the first entity declaration, external DTD or the root element.

Spreadsheet-safe writers are in :mod:`geo.writers`, geometry repair in :mod:`geo.repair`.
"""

from __future__ import annotations

import bz2
import gzip
import lzma
import os
import re
import stat
import unicodedata
import xml.parsers.expat as expat
import zipfile
from collections.abc import Callable, Collection
from pathlib import Path
from typing import IO, Any

from geo.errors import InputError

__all__ = [
    "DEFAULT_MAX_UNCOMPRESSED",
    "DEFAULT_MAX_RATIO",
    "DEFAULT_MAX_MEMBERS",
    "DEFAULT_MAX_PROLOG",
    "safe_name",
    "file_suffix",
    "sniff_kind",
    "check_upload",
    "check_zip",
    "bounded_decompress_size",
    "check_xml",
]

#: Default ceiling on what an archive or compressed file may unpack to (1 GiB).
DEFAULT_MAX_UNCOMPRESSED = 1 << 30
#: Default ceiling on a ZIP member's uncompressed/compressed size ratio (members over 1 MiB).
DEFAULT_MAX_RATIO = 200.0
#: Default ceiling on the number of members of a ZIP archive.
DEFAULT_MAX_MEMBERS = 10_000
#: Default ceiling on the XML prolog (everything before the root element), in bytes.
DEFAULT_MAX_PROLOG = 1 << 20

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
            f"rename the file with plain letters, digits or Chinese characters",
            code="file.name_characters", name=shown, chars=codes,
        )
    name = unicodedata.normalize("NFC", name).strip()
    if name.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", name):
        raise InputError(
            f"file name '{shown}' is an absolute path; send the file by its name only (e.g. 警情.csv)",
            code="file.name_path", name=shown,
        )
    parts = re.split(r"[/\\]+", name)
    if any(re.fullmatch(r"\s*\.{2,}\s*", p) for p in parts):
        raise InputError(
            f"file name '{shown}' contains '..' (a path that climbs out of its folder); "
            f"send the file by its name only",
            code="file.name_climbs", name=shown,
        )
    base = parts[-1].strip().lstrip(". ").rstrip(". ")
    if not base:
        raise InputError(f"file name '{shown}' has no name left once folders and dots are removed; rename it",
                         code="file.name_empty", name=shown)
    reserved = sorted(set(base) & _WINDOWS_RESERVED)
    if reserved:
        raise InputError(
            f"file name '{shown}' contains {' '.join(reserved)}, which file systems reserve; "
            f"rename the file without them",
            code="file.name_reserved", name=shown, chars=" ".join(reserved),
        )
    device = base.split(".", 1)[0].strip().upper()
    if device in _WINDOWS_DEVICES:
        raise InputError(
            f"file name '{shown}' is the Windows device name {device}; rename the file "
            f"(e.g. {device.lower()}_data{Path(base).suffix})",
            code="file.name_device", name=shown, device=device,
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
        raise InputError(f"'{label}' does not exist; check the path", code="import.missing", name=label) from None
    except OSError as exc:
        raise InputError(f"'{label}' cannot be read ({exc.strerror}); check its permissions", code="import.unreadable",
                         name=label, reason=str(exc.strerror)) from exc
    if not stat.S_ISREG(st.st_mode):
        raise InputError(f"'{label}' is not a regular file (a folder or device?); pass the file itself",
                         code="file.not_a_file", name=label)
    if st.st_size > max_bytes:
        raise InputError(
            f"'{label}' is {_size(st.st_size)}, over the limit of {_size(max_bytes)}; "
            f"split it (e.g. one year of incidents per file) or ask the administrator to raise the limit",
            code="file.too_large", name=label, size=_size(st.st_size), limit=_size(max_bytes),
        )
    suffix = file_suffix(label)
    allowed = {s.lower() for s in allowed_suffixes}
    if suffix not in allowed:
        raise InputError(
            f"'{label}': files of type '{suffix or '(no suffix)'}' are not accepted here; "
            f"use one of {', '.join(sorted(allowed))}",
            code="file.type", name=label, suffix=suffix or "-", allowed=", ".join(sorted(allowed)),
        )
    with open(path, "rb") as fh:
        head = fh.read(8192)
    kind = sniff_kind(head)
    if kind == "empty":
        raise InputError(f"'{label}' is empty (0 bytes); export the file again", code="file.empty", name=label)
    accepts = _ACCEPTS.get(suffix)
    if accepts is not None and kind not in accepts:
        wanted = " or ".join(sorted({_KIND_TEXT[k].split(" (")[0] for k in accepts}))
        fix = _FIX_BY_KIND.get(kind, f"export the file again as a real {suffix} file")
        raise InputError(
            f"'{label}' is named {suffix} but its content is {_KIND_TEXT[kind]}, not {wanted}; {fix}",
            code="file.content", name=label, suffix=suffix, content=_KIND_TEXT[kind], wanted=wanted,
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
                f"open it in Excel and save it as .xlsx, or send the CSV",
                code="file.zip_not_xlsx", name=label,
            )
    elif suffix == ".kmz":
        if not any(n.endswith(".kml") for n in lower):
            raise InputError(f"'{label}' is a ZIP archive without a .kml inside; export the KMZ again",
                             code="file.kmz", name=label)
    elif suffix == ".zip":
        geo = (".shp", ".geojson", ".json", ".gpkg", ".kml", ".gml")
        if not any(n.endswith(geo) for n in lower):
            raise InputError(
                f"'{label}' holds no geodata (no .shp, .geojson, .gpkg or .kml inside); zip the shapefile's "
                f".shp, .shx, .dbf and .prj together, or send the GeoJSON/GeoPackage itself",
                code="file.zip_no_geodata", name=label,
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
                        f"'{label}': member '{info.filename}' is damaged ({exc}); export or zip the file again",
                        code="file.damaged", name=label, reason=f"{info.filename}: {exc}",
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
        raise InputError(f"'{label}' is a damaged GeoPackage/SQLite file ({exc}); export it again",
                         code="file.damaged", name=label, reason=str(exc)) from exc
    if result != [("ok",)]:
        raise InputError(
            f"'{label}' is a damaged GeoPackage/SQLite file ({'; '.join(str(r[0]) for r in result[:3])}); "
            f"export it again",
            code="file.damaged", name=label, reason="; ".join(str(r[0]) for r in result[:3]),
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
        raise InputError(f"'{label}' is not a readable ZIP archive ({exc}); export or zip it again",
                         code="file.damaged", name=label, reason=str(exc)) from exc
    with zf:
        infos = zf.infolist()
        if len(infos) > max_members:
            raise InputError(
                f"'{label}' has {len(infos):,} members, over the limit of {max_members:,}; "
                f"this is not a normal workbook or shapefile archive (a zip bomb?); send the data itself",
                code="file.bomb", name=label,
            )
        total = 0
        for info in infos:
            member = info.filename
            if info.flag_bits & 0x1:
                raise InputError(f"'{label}': member '{member}' is encrypted; send the archive without a password",
                                 code="file.encrypted", name=label, member=member)
            if _climbs(member):
                raise InputError(
                    f"'{label}': member name '{member}' points outside the archive ('..' or an absolute "
                    f"path; a zip-slip attempt?); zip the files again from their folder",
                    code="file.member_outside", name=label, member=member,
                )
            if stat.S_ISLNK(info.external_attr >> 16):
                raise InputError(f"'{label}': member '{member}' is a symbolic link; zip the files themselves",
                                 code="file.member_outside", name=label, member=member)
            total += info.file_size
            if total > max_total_uncompressed:
                raise InputError(
                    f"'{label}' would unpack to more than {_size(max_total_uncompressed)} "
                    f"(declared {_size(sum(i.file_size for i in infos))}); refused before unpacking "
                    f"(a zip bomb?); send a smaller file or split it",
                    code="file.bomb", name=label,
                )
            if info.file_size > _RATIO_FLOOR:
                ratio = info.file_size / max(info.compress_size, 1)
                if ratio > max_ratio:
                    raise InputError(
                        f"'{label}': member '{member}' unpacks {ratio:,.0f} times larger than it is stored "
                        f"({_size(info.compress_size)} -> {_size(info.file_size)}, limit {max_ratio:g}:1); "
                        f"refused before unpacking (a zip bomb?); export the file again",
                        code="file.bomb", name=label,
                    )
        spans = sorted((i.header_offset, i.header_offset + 30 + len(i.orig_filename.encode("utf-8", "replace"))
                        + i.compress_size, i.filename) for i in infos)
        for (_, end, first), (start, _, second) in zip(spans, spans[1:]):
            if start < end:
                raise InputError(
                    f"'{label}': members '{first}' and '{second}' share their compressed data "
                    f"(an overlapping-member zip bomb); refused before unpacking; zip the files again",
                    code="file.bomb", name=label,
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
                                    f"'{label}' unpacks to more than {_size(max_total_uncompressed)}; refused",
                                    code="file.bomb", name=label,
                                )
                except (zipfile.BadZipFile, OSError, EOFError, _zlib_error()) as exc:
                    raise InputError(
                        f"'{label}': member '{info.filename}' is damaged or its sizes are forged ({exc}); "
                        f"export or zip the file again",
                        code="file.damaged", name=label, reason=f"{info.filename}: {exc}",
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
        raise InputError(f"'{label}' is not gzip, bzip2 or xz compressed (it is {_KIND_TEXT[kind]}); check the file",
                         code="file.not_compressed", name=label)
    total = 0
    try:
        with _open_compressed(path, kind) as stream:
            while chunk := stream.read(_CHUNK):
                total += len(chunk)
                if total > limit:
                    raise InputError(
                        f"'{label}' unpacks to more than {_size(limit)} (stopped there; it is "
                        f"{_size(path.stat().st_size)} packed); refused (a compression bomb?); "
                        f"send a smaller extract or the uncompressed file",
                        code="file.bomb", name=label,
                    )
    except InputError:
        raise
    except (OSError, EOFError, ValueError, lzma.LZMAError, _zlib_error()) as exc:
        raise InputError(
            f"'{label}' is a damaged or truncated {kind} file ({exc}); download or export it again",
            code="file.damaged", name=label, reason=str(exc),
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
            raise InputError(f"'{label}' is a damaged {kind} file ({exc}); download or export it again",
                             code="file.damaged", name=label, reason=str(exc)) from exc
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
            raise InputError(str(exc).replace("{name}", name), code="file.xml_refused", name=name) from None
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
                    raise InputError(str(again).replace("{name}", name), code="file.xml_refused", name=name) from None
                except expat.ExpatError as again:
                    raise _not_xml(name, again) from None
            else:
                raise _not_xml(name, exc) from None
        if final:
            raise InputError(f"'{name}' has no root element (an empty or cut-off XML file); export it again",
                             code="file.xml_empty", name=name)
        if len(seen) > max_prolog:
            raise InputError(
                f"'{name}': no root element within the first {_size(max_prolog)} (an oversized XML "
                f"prolog or DOCTYPE); refused; export the file again",
                code="file.xml_refused", name=name,
            )


def _not_xml(name: str, exc: Exception) -> InputError:
    if getattr(exc, "code", None) == expat.errors.codes[expat.errors.XML_ERROR_NO_ELEMENTS]:
        return InputError(f"'{name}' has no root element (an empty or cut-off XML file); export it again",
                          code="file.xml_empty", name=name)
    where = f" at line {exc.lineno}, column {exc.offset}" if hasattr(exc, "lineno") else ""
    msg = expat.errors.messages.get(getattr(exc, "code", -1), str(exc))
    return InputError(f"'{name}' is not well-formed XML ({msg}{where}); check that it is the right file or export it again",
                      code="file.not_xml", name=name, reason=f"{msg}{where}")


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

