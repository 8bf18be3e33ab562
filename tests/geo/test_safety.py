"""Hostile files are refused with a message naming the file and the fix; CSV cells are made
spreadsheet-safe; faulty geometries are repaired or refused, never crash."""

from __future__ import annotations

import bz2
import csv
import gzip
import io
import re
import struct
import time
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geo.errors import CRSError, InputError
from geo.hostile import (
    bounded_decompress_size,
    check_upload,
    check_xml,
    check_zip,
    file_suffix,
    safe_name,
    sniff_kind,
)
from geo.repair import repair_geometries
from geo.writers import FORMULA_PREFIXES, csv_safe, csv_safe_frame, write_safe_csv

DATA = Path(__file__).resolve().parents[1] / "data"
CRS = "EPSG:4547"
X0, Y0 = 591_000.0, 3_078_000.0  # near Xinyu's centre in EPSG:4547
MB = 1 << 20
TABLES = {".csv", ".csv.gz", ".xlsx", ".geojson", ".gpkg", ".zip"}
OSM = {".osm", ".osm.pbf", ".osm.bz2", ".osm.gz"}
GEO = {".kml", ".kmz", ".gpx", ".geojson"}

OSM_BODY = (
    '<osm version="0.6" generator="test">'
    '<node id="1" version="1" lat="27.80" lon="114.90"><tag k="name" v="{name}"/></node>'
    '<node id="2" version="1" lat="27.81" lon="114.91"/>'
    '<way id="3" version="1"><nd ref="1"/><nd ref="2"/><tag k="highway" v="residential"/></way>'
    "</osm>\n"
)


def billion_laughs(root: str = "osm") -> str:
    """The classic: ten levels of ten references each, 10**9 'lol's once expanded."""
    decls = ['<!ENTITY lol "lol">'] + [
        f'<!ENTITY lol{i} "' + ("&lol;" if i == 1 else f"&lol{i - 1};") * 10 + '">' for i in range(1, 10)
    ]
    return '<?xml version="1.0"?>\n<!DOCTYPE ' + root + " [\n " + "\n ".join(decls) + "\n]>\n"


def xxe(root: str, target: str = "file:///etc/passwd") -> str:
    return f'<?xml version="1.0"?>\n<!DOCTYPE {root} [<!ENTITY xxe SYSTEM "{target}">]>\n'


def gpx(name: str) -> str:
    return ('<gpx version="1.1" creator="t" xmlns="http://www.topografix.com/GPX/1/1">'
            f'<wpt lat="27.8" lon="114.9"><name>{name}</name></wpt></gpx>\n')


# -- names ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given_name", "expected"),
    [
        ("警情 2025年1月.csv", "警情 2025年1月.csv"),
        ("incidents/2025/北湖路派出所.xlsx", "北湖路派出所.xlsx"),
        ("folder\\sub\\渝水区.geojson", "渝水区.geojson"),
        ("  .hidden.csv. ", "hidden.csv"),
        ("cafe\u0301.csv", "caf\u00e9.csv"),  # NFD (macOS) -> NFC
    ],
)
def test_safe_name_keeps_plain_and_chinese_names(given_name, expected):
    assert safe_name(given_name) == expected


@pytest.mark.parametrize(
    ("given_name", "message"),
    [
        ("../../etc/passwd", "contains '..'"),
        ("data/../../x.csv", "contains '..'"),
        ("..\\..\\windows\\system32\\x.csv", "contains '..'"),
        ("/etc/passwd", "absolute path"),
        ("\\\\server\\share\\x.csv", "absolute path"),
        ("C:\\Users\\x.csv", "absolute path"),
        ("x\x00.csv", "control or invisible characters (U+0000)"),
        ("x\n.csv", "control or invisible characters (U+000A)"),
        ("\u202eslx.exe", "U+202E"),  # right-to-left override, shows as 'exe.xls'
        ("CON", "Windows device name CON"),
        ("nul.csv", "Windows device name NUL"),
        ("Com1.xlsx", "Windows device name COM1"),
        ("lpt9.txt", "Windows device name LPT9"),
        ("x.csv:Zone.Identifier", "reserve"),
        ("...", "contains '..'"),
        ("   ", "no name left"),
    ],
)
def test_safe_name_refuses_hostile_names(given_name, message):
    with pytest.raises(InputError, match=re.escape(message)):
        safe_name(given_name)


def test_safe_name_shortens_long_names_keeping_the_suffix():
    name = safe_name("派出所" * 100 + ".csv.gz")
    assert name.endswith(".csv.gz") and len(name.encode()) <= 200


@given(st.text(max_size=60))
@settings(max_examples=300, deadline=None)
def test_safe_name_never_returns_a_path(name):
    try:
        out = safe_name(name)
    except InputError:
        return
    assert out and "/" not in out and "\\" not in out and "\x00" not in out
    assert out not in (".", "..") and not out.startswith(".")
    assert Path(out).name == out


def test_file_suffix_knows_compound_types():
    assert file_suffix("a.OSM.PBF") == ".osm.pbf"
    assert file_suffix("警情.csv.gz") == ".csv.gz"
    assert file_suffix("x.tar.gz") == ".gz"
    assert file_suffix("x") == ""


# -- uploads: size and type -------------------------------------------------------------------------


def test_oversized_file_is_refused_with_the_limit_and_the_size(tmp_path):
    path = tmp_path / "警情.csv"
    path.write_bytes(b"a,b\n" + b"1,2\n" * 300_000)
    with pytest.raises(InputError) as err:
        check_upload(path, max_bytes=1 * MB, allowed_suffixes=TABLES)
    message = str(err.value)
    assert "'警情.csv' is 1.1 MB (1,200,004 bytes), over the limit of 1.0 MB (1,048,576 bytes)" in message
    assert "split it" in message


def test_csv_renamed_xlsx_is_refused(tmp_path):
    path = tmp_path / "upload-7f3a"  # uploads are stored under a random name; the user's name is given
    path.write_text("发案时间,案件类别,经度,纬度\n2025-03-01 20:15,抢劫,114.9,27.8\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"'警情\.xlsx' is named \.xlsx but its content is plain text .*"
                                         r"not a ZIP archive.*rename it to \.csv"):
        check_upload(path, name="警情.xlsx", max_bytes=MB, allowed_suffixes=TABLES)


def test_xlsx_renamed_csv_is_refused(tmp_path):
    book = tmp_path / "book.xlsx"
    pd.DataFrame({"a": [1, 2]}).to_excel(book, index=False)
    assert check_upload(book, max_bytes=MB, allowed_suffixes=TABLES) == "zip"
    renamed = tmp_path / "book.csv"
    renamed.write_bytes(book.read_bytes())
    with pytest.raises(InputError, match=r"'book\.csv' is named \.csv but its content is a ZIP archive.*"
                                         r"rename it to \.xlsx"):
        check_upload(renamed, max_bytes=MB, allowed_suffixes=TABLES)


def test_old_xls_and_zip_without_workbook_are_refused(tmp_path):
    xls = tmp_path / "old.xlsx"
    xls.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600)
    with pytest.raises(InputError, match="old Excel 97-2003.*save it as .xlsx"):
        check_upload(xls, max_bytes=MB, allowed_suffixes=TABLES)
    fake = tmp_path / "fake.xlsx"
    with zipfile.ZipFile(fake, "w") as zf:
        zf.writestr("readme.txt", "hello")
    with pytest.raises(InputError, match="ZIP archive but not an Excel workbook"):
        check_upload(fake, max_bytes=MB, allowed_suffixes=TABLES)


def test_osm_that_is_not_xml_or_pbf_is_refused(tmp_path):
    path = tmp_path / "district.osm"
    path.write_text("id,lon,lat\n1,114.9,27.8\n")
    with pytest.raises(InputError, match=r"'district\.osm' is named \.osm but its content is plain text.*"
                                         r"not (?=.*OSM PBF data)(?=.*XML text)"):
        check_upload(path, max_bytes=MB, allowed_suffixes=OSM)
    pbf = tmp_path / "x.osm.pbf"
    pbf.write_text('<osm version="0.6"></osm>')
    with pytest.raises(InputError, match=r"named \.osm\.pbf but its content is XML text, not OSM PBF data"):
        check_upload(pbf, max_bytes=MB, allowed_suffixes=OSM)


def test_suffix_not_allowed_empty_file_and_folder_are_refused(tmp_path):
    exe = tmp_path / "tool.exe"
    exe.write_bytes(b"MZ\x90\x00")
    with pytest.raises(InputError, match=r"type '\.exe' are not accepted here; use one of \.csv"):
        check_upload(exe, max_bytes=MB, allowed_suffixes=TABLES)
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    with pytest.raises(InputError, match="is empty"):
        check_upload(empty, max_bytes=MB, allowed_suffixes=TABLES)
    with pytest.raises(InputError, match="not a regular file"):
        check_upload(tmp_path, name="x.csv", max_bytes=MB, allowed_suffixes=TABLES)
    with pytest.raises(InputError, match="does not exist"):
        check_upload(tmp_path / "missing.csv", max_bytes=MB, allowed_suffixes=TABLES)


@pytest.mark.parametrize(
    ("relative", "allowed"),
    [
        ("osm/shanghai_huangpu.osm", OSM),
        ("osm/san_francisco_mission.osm.bz2", OSM),
        ("osm/helsinki_centre.osm.pbf", OSM),
        ("osm_faults/tags_and_clipping.osm", OSM),
        ("incidents/san_francisco_robbery_2019.csv", TABLES),
        ("incidents/vancouver_thefts_2020.csv.gz", TABLES),
        ("boundary/xinyu_360500.geojson", TABLES),
        ("cameras/helsinki_osm_surveillance.geojson", GEO),
    ],
)
def test_real_files_pass(relative, allowed):
    """No false alarm on the real extracts and tables the project reads."""
    assert check_upload(DATA / relative, max_bytes=20 * MB, allowed_suffixes=allowed) in {
        "xml", "bzip2", "pbf", "text", "gzip", "json"}


def test_real_xlsx_gpkg_gpx_and_zipped_shapefile_pass(tmp_path):
    frame = gpd.GeoDataFrame({"name": ["北湖路派出所", "抱石路派出所"]},
                             geometry=[shapely.Point(114.9, 27.8), shapely.Point(114.95, 27.82)], crs="EPSG:4326")
    pd.DataFrame(frame.drop(columns="geometry")).to_excel(tmp_path / "t.xlsx", index=False)
    frame.to_file(tmp_path / "t.gpkg", layer="stations")
    frame.to_file(tmp_path / "t.shp", encoding="utf-8")
    with zipfile.ZipFile(tmp_path / "t.zip", "w", zipfile.ZIP_DEFLATED) as zf:
        for part in tmp_path.glob("t.*"):
            if part.suffix in (".shp", ".shx", ".dbf", ".prj", ".cpg"):
                zf.write(part, part.name)
    (tmp_path / "t.gpx").write_text('<?xml version="1.0" encoding="UTF-8"?>\n' + gpx("北湖"), encoding="utf-8")
    allowed = TABLES | GEO | {".shp"}
    kinds = {name: check_upload(tmp_path / name, max_bytes=MB, allowed_suffixes=allowed)
             for name in ("t.xlsx", "t.gpkg", "t.shp", "t.zip", "t.gpx")}
    assert kinds == {"t.xlsx": "zip", "t.gpkg": "sqlite", "t.shp": "shp", "t.zip": "zip", "t.gpx": "xml"}


# -- zip bombs ------------------------------------------------------------------------------------


def _zeros_member(zf: zipfile.ZipFile, name: str, size: int) -> None:
    block = bytes(MB)
    with zf.open(zipfile.ZipInfo(name), "w", force_zip64=True) as member:
        for _ in range(size // MB):
            member.write(block)


def _make_zip(path: Path, members: dict[str, int], *, deflate: bool = True) -> Path:
    method = zipfile.ZIP_DEFLATED if deflate else zipfile.ZIP_STORED
    with zipfile.ZipFile(path, "w", method, compresslevel=9) as zf:
        for name, size in members.items():
            if size >= MB:
                info = zipfile.ZipInfo(name)
                info.compress_type = method
                with zf.open(info, "w", force_zip64=True) as member:
                    for _ in range(size // MB):
                        member.write(bytes(MB))
            else:
                zf.writestr(name, b"<x/>" if name.endswith(".xml") else b"x" * size)
    return path


def test_zip_bomb_is_refused_from_the_directory_before_extracting(tmp_path):
    """A workbook whose sheet is 256 MiB of zeros packed into ~250 KB: refused in milliseconds."""
    bomb = _make_zip(tmp_path / "bomb.xlsx", {"[Content_Types].xml": 10, "xl/workbook.xml": 10,
                                              "xl/worksheets/sheet1.xml": 256 * MB})
    assert bomb.stat().st_size < 1 * MB
    t0 = time.perf_counter()
    with pytest.raises(InputError) as err:
        check_upload(bomb, max_bytes=5 * MB, allowed_suffixes=TABLES, max_uncompressed=100 * MB)
    assert time.perf_counter() - t0 < 1.0
    message = str(err.value)
    assert "'bomb.xlsx' would unpack to more than 100.0 MB" in message
    assert "refused before unpacking (a zip bomb?)" in message
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bomb.xlsx"]  # nothing extracted


def test_zip_member_ratio_and_member_count_limits(tmp_path):
    ratio = _make_zip(tmp_path / "ratio.zip", {"roads.shp": 10, "roads.dbf": 32 * MB})
    with pytest.raises(InputError, match=r"member 'roads\.dbf' unpacks [\d,]+ times larger than it is stored"
                                         r".*limit 200:1"):
        check_zip(ratio)
    # the same member stored (no compression) is fine
    check_zip(_make_zip(tmp_path / "stored.zip", {"roads.shp": 10, "roads.dbf": 2 * MB}, deflate=False))
    many = tmp_path / "many.zip"
    with zipfile.ZipFile(many, "w") as zf:
        for i in range(60):
            zf.writestr(f"p{i}.txt", "x")
    with pytest.raises(InputError, match="has 60 members, over the limit of 50"):
        check_zip(many, max_members=50)


def test_overlapping_members_bomb_is_refused(tmp_path):
    """Several directory entries pointing at one compressed block (Fifield's non-recursive bomb)."""
    path = tmp_path / "overlap.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("a.shp", b"0" * 1000)
        zf.writestr("b.shp", b"0" * 1000)
    raw = bytearray(path.read_bytes())
    second = raw.find(b"PK\x01\x02", raw.find(b"PK\x01\x02") + 4)
    raw[second + 42: second + 46] = struct.pack("<I", 0)  # b's local header offset -> a's
    path.write_bytes(bytes(raw))
    with pytest.raises(InputError, match="members 'a.shp' and 'b.shp' share their compressed data"):
        check_zip(path)


def test_forged_sizes_are_caught_when_verifying(tmp_path):
    path = _make_zip(tmp_path / "forged.zip", {"x.shp": 4 * MB})
    raw = bytearray(path.read_bytes())
    central = raw.find(b"PK\x01\x02")
    raw[central + 24: central + 28] = struct.pack("<I", 1000)  # declare 1,000 bytes for 4 MiB
    path.write_bytes(bytes(raw))
    check_zip(path)  # the directory alone looks harmless (and readers stop at the declared size)
    with pytest.raises(InputError, match="'x.shp' is damaged or its sizes are forged"):
        check_zip(path, verify=True)


def test_zip_slip_member_names_are_refused(tmp_path):
    path = tmp_path / "slip.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("roads.shp", "x")
        zf.writestr("../../etc/cron.d/evil", "x")
    with pytest.raises(InputError, match=r"member name '\.\./\.\./etc/cron\.d/evil' points outside the archive"):
        check_upload(path, max_bytes=MB, allowed_suffixes=TABLES)


def test_zipped_upload_without_geodata_and_kmz_without_kml(tmp_path):
    path = _make_zip(tmp_path / "x.zip", {"notes.txt": 10})
    with pytest.raises(InputError, match=r"holds no geodata.*zip the shapefile's \.shp, \.shx, \.dbf and \.prj"):
        check_upload(path, max_bytes=MB, allowed_suffixes=TABLES)
    kmz = _make_zip(tmp_path / "x.kmz", {"notes.txt": 10})
    with pytest.raises(InputError, match="without a .kml inside"):
        check_upload(kmz, max_bytes=MB, allowed_suffixes=GEO)


def test_xxe_inside_an_xlsx_and_a_kmz_is_refused(tmp_path):
    book = tmp_path / "evil.xlsx"
    with zipfile.ZipFile(book, "w") as zf:
        zf.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        zf.writestr("xl/workbook.xml", xxe("workbook") + "<workbook>&xxe;</workbook>")
    with pytest.raises(InputError, match=r"'evil\.xlsx:xl/workbook\.xml' declares an external entity 'xxe'"):
        check_upload(book, max_bytes=MB, allowed_suffixes=TABLES)
    kmz = tmp_path / "evil.kmz"
    with zipfile.ZipFile(kmz, "w") as zf:
        zf.writestr("doc.kml", billion_laughs("kml") + "<kml>&lol9;</kml>")
    with pytest.raises(InputError, match=r"'evil\.kmz:doc\.kml' declares the entity 'lol'.*billion laughs"):
        check_upload(kmz, max_bytes=MB, allowed_suffixes=GEO)


# -- compressed bombs -------------------------------------------------------------------------------


def test_gzip_bomb_stops_at_the_limit(tmp_path):
    path = tmp_path / "警情.csv.gz"
    with gzip.open(path, "wb", compresslevel=9) as fh:
        fh.write(b"a,b\n")
        for _ in range(64):
            fh.write(bytes(MB))
    assert path.stat().st_size < 200_000
    t0 = time.perf_counter()
    with pytest.raises(InputError, match=r"'警情\.csv\.gz' unpacks to more than 10\.0 MB .*\(stopped there; "
                                         r"it is [\d.]+ KB .* packed\); refused \(a compression bomb\?\)"):
        check_upload(path, max_bytes=MB, allowed_suffixes=TABLES, max_uncompressed=10 * MB)
    assert time.perf_counter() - t0 < 1.0
    assert bounded_decompress_size(path, 100 * MB) == 64 * MB + 4


def test_bz2_osm_bomb_is_refused(tmp_path):
    path = tmp_path / "district.osm.bz2"
    comp = bz2.BZ2Compressor(9)
    data = comp.compress(b'<?xml version="1.0"?>\n<osm version="0.6">\n')
    filler = b"<!-- " + b"x" * (MB - 10) + b" -->\n"
    for _ in range(24):
        data += comp.compress(filler)
    path.write_bytes(data + comp.flush())
    with pytest.raises(InputError, match=r"'district\.osm\.bz2' unpacks to more than 16\.0 MB"):
        check_upload(path, max_bytes=MB, allowed_suffixes=OSM, max_uncompressed=16 * MB)


def test_truncated_and_fake_compressed_files_are_refused(tmp_path):
    good = gzip.compress(b"a,b\n1,2\n" * 10_000)
    cut = tmp_path / "cut.csv.gz"
    cut.write_bytes(good[: len(good) // 2])
    with pytest.raises(InputError, match="'cut.csv.gz' is a damaged or truncated gzip file"):
        bounded_decompress_size(cut, MB)
    plain = tmp_path / "plain.csv.gz"
    plain.write_text("a,b\n")
    with pytest.raises(InputError, match=r"named \.csv\.gz but its content is plain text"):
        check_upload(plain, max_bytes=MB, allowed_suffixes=TABLES)
    with pytest.raises(InputError, match="is not gzip, bzip2 or xz compressed"):
        bounded_decompress_size(plain, MB)


# -- XML entities -----------------------------------------------------------------------------------


def test_billion_laughs_osm_is_refused_before_any_parser_expands_it(tmp_path):
    import osmium

    path = tmp_path / "laughs.osm"
    path.write_text(billion_laughs() + OSM_BODY.format(name="&lol9;"), encoding="utf-8")
    t0 = time.perf_counter()
    with pytest.raises(InputError) as err:
        check_upload(path, max_bytes=MB, allowed_suffixes=OSM)
    assert time.perf_counter() - t0 < 0.5
    message = str(err.value)
    assert "'laughs.osm' declares the entity 'lol'" in message
    assert "billion laughs" in message and "export the file again" in message
    # What pyosmium (libosmium 2.23, expat) does with it unguarded: it refuses entity declarations
    # itself, so it would not have expanded them either; our check answers first and says why.
    with pytest.raises(RuntimeError, match="XML entities are not supported"):
        for _ in osmium.FileProcessor(str(path)):
            pass
    from geo.osm import read_osm

    # read_osm runs the same check first, so the user gets the clear reason, not libosmium's
    with pytest.raises(InputError, match="declares the entity 'lol'.*billion laughs"):
        read_osm(path)


def test_compressed_billion_laughs_is_refused(tmp_path):
    path = tmp_path / "laughs.osm.gz"
    path.write_bytes(gzip.compress((billion_laughs() + OSM_BODY.format(name="&lol9;")).encode()))
    with pytest.raises(InputError, match="'laughs.osm.gz' declares the entity 'lol'"):
        check_upload(path, max_bytes=MB, allowed_suffixes=OSM)


def test_xxe_gpx_is_refused(tmp_path):
    path = tmp_path / "track.gpx"
    path.write_text(xxe("gpx") + gpx("&xxe;"), encoding="utf-8")
    with pytest.raises(InputError, match=r"'track\.gpx' declares an external entity 'xxe' -> file:///etc/passwd "
                                         r"\(XXE: it would read a local file or URL\)"):
        check_upload(path, max_bytes=MB, allowed_suffixes=GEO)
    # GDAL's GPX reader (3.12) leaves the entity unexpanded rather than reading the file
    import pyogrio

    frame = pyogrio.read_dataframe(path, layer="waypoints")
    assert frame["name"].isna().all() or "root:" not in str(frame["name"].iloc[0])


@pytest.mark.parametrize(
    ("prolog", "message"),
    [
        ('<!DOCTYPE osm SYSTEM "http://evil.example/osm.dtd">\n', "refers to an external DTD"),
        ('<!DOCTYPE osm PUBLIC "-//x//y" "osm.dtd">\n', "refers to an external DTD"),
        ('<!DOCTYPE osm [<!ENTITY % p SYSTEM "file:///etc/passwd"> %p;]>\n', "external entity 'p'"),
        ('<!DOCTYPE osm [<!ENTITY pic SYSTEM "x.png" NDATA png>]>\n', "entity 'pic'"),
        ("<!-- " + "padding " * 200_000 + "-->\n<!DOCTYPE osm [<!ENTITY a 'b'>]>\n", "no root element within"),
    ],
)
def test_other_doctype_tricks_are_refused(tmp_path, prolog, message):
    path = tmp_path / "x.osm"
    path.write_text('<?xml version="1.0"?>\n' + prolog + OSM_BODY.format(name="n"), encoding="utf-8")
    with pytest.raises(InputError, match=message):
        check_xml(path)


def test_utf16_entities_are_refused_and_plain_xml_passes(tmp_path):
    laughs = tmp_path / "u16.kml"
    laughs.write_bytes((billion_laughs("kml") + "<kml>&lol9;</kml>").replace(
        '<?xml version="1.0"?>', '<?xml version="1.0" encoding="UTF-16"?>').encode("utf-16"))
    with pytest.raises(InputError, match="declares the entity 'lol'"):
        check_xml(laughs)
    ok = tmp_path / "ok.osm"
    ok.write_text('<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE osm>\n<!-- 北湖 -->\n'
                  + OSM_BODY.format(name="北湖路"), encoding="utf-8")
    check_xml(ok)
    gbk = tmp_path / "gbk.kml"  # a multi-byte encoding expat does not know: still checked
    gbk.write_bytes('<?xml version="1.0" encoding="GBK"?>\n<kml><name>渝水区</name></kml>'.encode("gbk"))
    check_xml(gbk)
    gbk.write_bytes(('<?xml version="1.0" encoding="GBK"?>\n<!DOCTYPE kml [<!ENTITY a "渝水">]>\n'
                     '<kml>&a;</kml>').encode("gbk"))
    with pytest.raises(InputError, match="declares the entity 'a'"):
        check_xml(gbk)


def test_not_xml_and_empty_xml_are_refused(tmp_path):
    path = tmp_path / "x.kml"
    path.write_text("<kml attr='unclosed >")  # the root's start tag never ends
    with pytest.raises(InputError, match=r"'x\.kml' is not well-formed XML \(.*line 1"):
        check_xml(path)
    path.write_text('<?xml version="1.0"?>\n<!-- nothing -->\n')
    with pytest.raises(InputError, match="has no root element"):
        check_xml(path)


# -- CSV formula injection ---------------------------------------------------------------------------


def test_csv_safe_neutralises_formulas_and_leaves_other_values():
    assert csv_safe('=HYPERLINK("http://evil","点我")') == '\'=HYPERLINK("http://evil","点我")'
    assert csv_safe("=cmd|' /C calc'!A0") == "'=cmd|' /C calc'!A0"
    for prefix in FORMULA_PREFIXES:
        assert csv_safe(prefix + "1+1") == "'" + prefix + "1+1"
    assert csv_safe("北湖路 = 1") == "北湖路 = 1"
    assert csv_safe(-5) == -5 and csv_safe(None) is None and csv_safe(2.5) == 2.5


@given(st.one_of(st.text(max_size=8), st.integers(), st.floats(allow_nan=False), st.none()))
@settings(max_examples=300, deadline=None)
def test_csv_safe_matches_the_camera_exporter(value):
    from geo.cameras.export import csv_safe as export_csv_safe

    assert csv_safe(value) == export_csv_safe(value)


def test_csv_safe_frame_is_vectorised_over_text_columns_and_keeps_the_input(tmp_path):
    frame = pd.DataFrame({
        "name": ["北湖路派出所", "=1+1", None, "@SUM(A1)"],
        "mixed": ["-2+3", 7, np.nan, "+86 138"],
        "text": pd.array(["\tx", "ok", pd.NA, "\r=x"], dtype="string"),
        "kind": pd.Categorical(["=a", "b", "=a", "b"]),
        "count": [-1, 2, 3, -4],
        "when": pd.to_datetime(["2025-01-01"] * 4),
        "=HYPERLINK(\"x\")": ["a", "b", "c", "d"],
    })
    before = frame.copy()
    safe = csv_safe_frame(frame)
    pd.testing.assert_frame_equal(frame, before)
    assert safe["name"].tolist()[:2] == ["北湖路派出所", "'=1+1"] and pd.isna(safe["name"].iloc[2])
    assert safe["name"].iloc[3] == "'@SUM(A1)" and safe["name"].dtype == frame["name"].dtype
    assert safe["mixed"].tolist()[:2] == ["'-2+3", 7] and pd.isna(safe["mixed"].iloc[2])
    assert safe["text"].tolist()[:2] == ["'\tx", "ok"] and safe["text"].dtype == frame["text"].dtype
    assert list(safe["kind"].astype(str)) == ["'=a", "b", "'=a", "b"]
    assert list(safe["count"]) == [-1, 2, 3, -4]
    assert "'=HYPERLINK(\"x\")" in safe.columns
    out = write_safe_csv(frame, tmp_path / "x.csv")
    with open(out, newline="", encoding="utf-8-sig") as fh:
        rows = list(csv.reader(fh))
    assert len(rows) == 5
    count = rows[0].index("count")
    cells = [c for row in rows for j, c in enumerate(row) if j != count]
    assert not [c for c in cells if c.startswith(FORMULA_PREFIXES)]


@given(st.lists(st.text(max_size=6), min_size=1, max_size=20))
@settings(max_examples=200, deadline=None)
def test_csv_safe_frame_agrees_with_csv_safe(values):
    frame = pd.DataFrame({"v": values})
    assert list(csv_safe_frame(frame)["v"]) == [csv_safe(v) for v in values]


# -- geometry repair -------------------------------------------------------------------------------


def _frame(geoms, crs=CRS, **cols):
    return gpd.GeoDataFrame({"name": [f"g{i}" for i in range(len(geoms))], **cols},
                            geometry=gpd.GeoSeries(list(geoms), crs=crs), crs=crs)


BOX = shapely.box(X0, Y0, X0 + 2000, Y0 + 2000)


def test_repair_covers_each_fault_with_its_action():
    bow_tie = shapely.Polygon([(X0, Y0), (X0 + 100, Y0 + 100), (X0 + 100, Y0), (X0, Y0 + 100)])
    spike = shapely.Polygon([(X0, Y0), (X0 + 100, Y0), (X0 + 100, Y0 + 100), (X0 + 50, Y0 + 100),
                             (X0 + 50, Y0 + 300), (X0 + 50, Y0 + 100), (X0, Y0 + 100)])
    dup = shapely.Polygon([(X0, Y0), (X0, Y0), (X0 + 10, Y0), (X0 + 10, Y0 + 10), (X0 + 10, Y0 + 10), (X0, Y0)])
    sliver = shapely.Polygon([(X0, Y0), (X0 + 100, Y0), (X0 + 200, Y0), (X0, Y0)])
    with_sliver = shapely.MultiPolygon([shapely.box(X0, Y0, X0 + 50, Y0 + 50),
                                        shapely.box(X0 + 100, Y0, X0 + 100.001, Y0 + 0.001)])
    frame = _frame([
        shapely.box(X0, Y0, X0 + 10, Y0 + 10),  # 0 fine
        bow_tie,  # 1 repaired
        spike,  # 2 repaired (spike dropped)
        dup,  # 3 cleaned
        None,  # 4 refused
        shapely.Polygon(),  # 5 refused
        shapely.LineString([(X0, Y0), (X0 + 5, Y0)]),  # 6 wrong type
        shapely.box(114.90, 27.80, 114.91, 27.81),  # 7 degrees
        shapely.box(X0 + 50_000, Y0, X0 + 50_100, Y0 + 100),  # 8 out of district
        sliver,  # 9 zero area
        with_sliver,  # 10 sliver part dropped
        shapely.GeometryCollection([shapely.box(X0, Y0, X0 + 5, Y0 + 5), shapely.Point(X0, Y0)]),  # 11
        shapely.box(X0 + 38_000_000, Y0, X0 + 38_000_100, Y0 + 100),  # 12 zone prefix on X
    ])
    frame.index = frame.index + 100  # labels, not positions, are reported
    before = frame.copy()
    out, problems = repair_geometries(frame, layer="neighborhoods", expected="Polygon", crs=CRS,
                                      boundary=BOX, tolerance_m=200)
    pd.testing.assert_frame_equal(frame, before)  # input untouched
    assert list(out.index) == [100, 101, 102, 103, 110, 111]
    assert out.is_valid.all() and set(out.geom_type) <= {"Polygon", "MultiPolygon"}
    by_row = {row: list(zip(g["action"], g["reason"])) for row, g in problems.groupby("row")}
    assert 100 not in by_row
    assert by_row[101][0][0] == "repaired" and "Self-intersection" in by_row[101][0][1]
    assert out.loc[101].geometry.area == pytest.approx(5000)
    assert out.loc[102].geometry.equals(shapely.box(X0, Y0, X0 + 100, Y0 + 100))
    assert by_row[103] == [("cleaned", "layer 'neighborhoods': 2 duplicate vertice(s) removed")]
    assert by_row[104] == [("refused", "layer 'neighborhoods': no geometry; give the row its coordinates or drop it")]
    assert by_row[105][0][0] == "refused" and "empty geometry" in by_row[105][0][1]
    assert "geometry type LineString where Polygon is expected" in by_row[106][0][1]
    assert ("look like longitude/latitude in degrees, not metres of EPSG:4547; import the file with "
            "--coords wgs84") in by_row[107][0][1] and ".to_crs('EPSG:4547')" in by_row[107][0][1]
    assert "outside the district boundary by 48,000 m (tolerance 200 m)" in by_row[108][0][1]
    assert by_row[109][-1][0] == "refused" and "zero-area polygon" in by_row[109][-1][1]
    assert by_row[110] == [("cleaned", "layer 'neighborhoods': dropped 1 sliver part(s) of at most 0.01 m²")]
    assert out.loc[110].geometry.equals(shapely.box(X0, Y0, X0 + 50, Y0 + 50))
    assert by_row[111][0][0] == "cleaned" and out.loc[111].geometry.geom_type == "Polygon"
    assert "far outside the area where EPSG:4547 is used" in by_row[112][0][1]
    assert set(problems.columns) == {"row", "reason", "action"}


def test_repair_points_and_lines():
    pts = _frame([shapely.Point(X0 + 1, Y0 + 1), shapely.MultiPoint([(X0 + 2, Y0 + 2)]),
                  shapely.MultiPoint([(X0, Y0), (X0 + 5, Y0)]), shapely.Point(np.nan, np.nan),
                  shapely.Point(X0, np.inf), shapely.box(X0, Y0, X0 + 1, Y0 + 1)],
                 __row__=[2, 3, 4, 5, 6, 7])
    out, problems = repair_geometries(pts, layer="cameras", expected="Point", crs=CRS, boundary=BOX)
    assert list(out["__row__"]) == [2, 3] and set(out.geom_type) == {"Point"}
    assert dict(zip(problems["row"], problems["action"])) == {3: "cleaned", 4: "refused", 5: "refused",
                                                              6: "refused", 7: "refused"}
    assert "non-finite coordinates" in problems.set_index("row").loc[6, "reason"]
    lines = _frame([shapely.LineString([(X0, Y0), (X0, Y0), (X0 + 10, Y0)]),
                    shapely.LineString([(X0, Y0), (X0, Y0)]),
                    shapely.MultiLineString([[(X0, Y0), (X0 + 10, Y0)], [(X0 + 20, Y0), (X0 + 20, Y0)]])])
    out, problems = repair_geometries(lines, layer="road_edges", expected="LineString", crs=CRS)
    assert list(out.index) == [0, 2] and out.is_valid.all()
    assert out.loc[2].geometry.length == pytest.approx(10)
    assert problems.set_index("row").loc[1, "action"].tolist()[-1] == "refused"


def test_repair_refuses_a_frame_in_another_crs_and_metres_in_a_degree_layer():
    frame = _frame([shapely.Point(114.9, 27.8)], crs="EPSG:4326")
    with pytest.raises(CRSError, match=r"CRS EPSG:4326 differs from EPSG:4547; reproject it with \.to_crs"):
        repair_geometries(frame, layer="cameras", expected="Point", crs=CRS)
    metres = _frame([shapely.Point(X0, Y0), shapely.Point(114.9, 27.8)], crs=None)
    out, problems = repair_geometries(metres, layer="boundary", expected="Point", crs="EPSG:4326")
    assert list(out.index) == [1] and out.crs.to_string() == "EPSG:4326"
    assert "are not degrees of EPSG:4326 (metres of a projected CRS?); import the file with --coords EPSG:NNNN" \
        in problems["reason"].iloc[0]
    with pytest.raises(InputError, match="use 'Point', 'Polygon' or 'LineString'"):
        repair_geometries(metres, layer="x", expected="Circle", crs=CRS)


def test_repair_of_200k_points_is_fast():
    rng = np.random.default_rng(7)
    xs, ys = X0 + rng.random(200_000) * 2400 - 200, Y0 + rng.random(200_000) * 2000
    frame = _frame(shapely.points(xs, ys))
    t0 = time.perf_counter()
    out, problems = repair_geometries(frame, layer="incidents", expected="Point", crs=CRS, boundary=BOX,
                                      tolerance_m=100)
    assert time.perf_counter() - t0 < 5.0
    assert len(out) + len(problems) == 200_000
    assert len(problems) == int(((xs < X0 - 100) | (xs > X0 + 2100)).sum())


# property tests: random bow-ties, spikes, duplicate vertices and collapsed rings -----------------------

coord = st.floats(min_value=0, max_value=1000, allow_nan=False, allow_infinity=False)
ring = st.lists(st.tuples(coord, coord), min_size=3, max_size=9)


@st.composite
def faulty_polygon(draw):
    pts = draw(ring)
    kind = draw(st.sampled_from(["random", "bow_tie", "spike", "dup", "collapsed", "hole", "multi"]))
    if kind == "bow_tie":
        a, b = draw(coord), draw(coord)
        pts = [(0, 0), (a + 1, b + 1), (a + 1, 0), (0, b + 1)]
    elif kind == "spike":
        i = draw(st.integers(0, len(pts) - 1))
        tip = (draw(coord), draw(coord))
        pts = pts[: i + 1] + [tip, pts[i]] + pts[i + 1:]
    elif kind == "dup":
        i = draw(st.integers(0, len(pts) - 1))
        pts = pts[: i + 1] + [pts[i]] * draw(st.integers(1, 3)) + pts[i + 1:]
    elif kind == "collapsed":
        pts = [pts[0]] * 4
    shell = [(X0 + x, Y0 + y) for x, y in pts]
    if kind == "hole":
        hole = [(X0 + x, Y0 + y) for x, y in draw(ring)]
        return shapely.Polygon(shell, [hole])
    if kind == "multi":
        other = [(X0 + 500 + x, Y0 + y) for x, y in draw(ring)]
        return shapely.MultiPolygon([shapely.Polygon(shell), shapely.Polygon(other)])
    return shapely.Polygon(shell)


@given(st.lists(st.one_of(faulty_polygon(), st.none(),
                          st.builds(lambda x, y: shapely.LineString([(X0 + x, Y0 + y), (X0, Y0)]), coord, coord)),
                min_size=1, max_size=12))
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_polygon_repair_output_is_always_valid_and_of_the_right_type(geoms):
    frame = _frame(geoms)
    wkb_before = [None if g is None else shapely.to_wkb(g) for g in geoms]
    out, problems = repair_geometries(frame, layer="neighborhoods", expected="Polygon", crs=CRS,
                                      boundary=BOX, tolerance_m=200)
    assert [None if g is None else shapely.to_wkb(g) for g in frame.geometry] == wkb_before
    assert out.is_valid.all()
    assert (~out.is_empty).all()
    assert set(out.geom_type) <= {"Polygon", "MultiPolygon"}
    assert (out.area > 0.01).all()
    refused = set(problems.loc[problems["action"] == "refused", "row"])
    assert refused.isdisjoint(out.index) and refused | set(out.index) == set(frame.index)
    assert set(problems["action"]) <= {"refused", "repaired", "cleaned"}
    again, problems_again = repair_geometries(out, layer="neighborhoods", expected="Polygon", crs=CRS,
                                              boundary=BOX, tolerance_m=200)
    assert problems_again.empty  # idempotent
    assert all(a.equals_exact(b, 0) for a, b in zip(again.geometry, out.geometry))


@given(st.lists(st.lists(st.tuples(coord, coord), min_size=1, max_size=6), min_size=1, max_size=8))
@settings(max_examples=200, deadline=None)
def test_line_repair_output_is_always_valid(parts):
    geoms = [shapely.LineString([(X0 + x, Y0 + y) for x, y in p]) if len(p) >= 2 else shapely.Point(X0 + p[0][0], Y0)
             for p in parts]
    out, problems = repair_geometries(_frame(geoms), layer="road_edges", expected="LineString", crs=CRS)
    assert out.is_valid.all() and (out.length > 0).all()
    assert set(out.geom_type) <= {"LineString", "MultiLineString"}
    assert len(set(out.index) | set(problems.loc[problems["action"] == "refused", "row"])) == len(geoms)


def test_sniff_kind_of_heads():
    assert sniff_kind(b"") == "empty"
    assert sniff_kind("\ufeff发案时间,类别\n".encode()) == "text"
    assert sniff_kind("发案时间,类别\n".encode("gb18030")) == "text"
    assert sniff_kind(b"  <?xml") == "xml"
    assert sniff_kind(b'{"type": "FeatureCollection"') == "json"
    assert sniff_kind(b"\x00\x01\x02\x03binary") == "binary"
    assert sniff_kind(io.BytesIO(gzip.compress(b"x")).read()) == "gzip"


def test_a_carriage_return_inside_a_cell_cannot_start_a_new_row(tmp_path):
    """pandas' default line end leaves a bare CR unquoted; Excel would start a row (and a formula) there."""
    frame = pd.DataFrame({"address": ["北湖路1号\r=1+1", "ok"], "n": [1, 2]})
    naive = tmp_path / "naive.csv"
    frame.to_csv(naive, index=False)
    assert "北湖路1号\r=1+1,1".encode() in naive.read_bytes()  # unquoted: Excel sees a row "=1+1"
    out = write_safe_csv(frame, tmp_path / "safe.csv")
    with open(out, newline="", encoding="utf-8-sig") as fh:
        rows = list(csv.reader(fh))
    assert rows == [["address", "n"], ["北湖路1号\r=1+1", "1"], ["ok", "2"]]
    assert "\"北湖路1号\r=1+1\",1\r\n".encode() in out.read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["naive.csv", "safe.csv"]


def test_damaged_geopackage_and_damaged_zip_member_are_refused(tmp_path):
    gpkg = tmp_path / "stations.gpkg"
    gpd.GeoDataFrame({"name": ["北湖"]}, geometry=[shapely.Point(114.9, 27.8)], crs="EPSG:4326").to_file(gpkg)
    raw = bytearray(gpkg.read_bytes())
    raw[100:4096] = b"\xff" * (4096 - 100)  # the first page's b-tree
    gpkg.write_bytes(bytes(raw))
    with pytest.raises(InputError, match="'stations.gpkg' is a damaged GeoPackage/SQLite file"):
        check_upload(gpkg, max_bytes=MB, allowed_suffixes=TABLES)
    book = tmp_path / "book.xlsx"
    with zipfile.ZipFile(book, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", "<Types>" + "<x/>" * 500 + "</Types>")
        zf.writestr("xl/workbook.xml", "<workbook/>")
    raw = bytearray(book.read_bytes())
    start = raw.find(b"[Content_Types].xml") + len("[Content_Types].xml")
    raw[start: start + 20] = b"\x00" * 20  # break the deflate stream of the first member
    book.write_bytes(bytes(raw))
    with pytest.raises(InputError, match=r"member '\[Content_Types\]\.xml' is damaged"):
        check_upload(book, max_bytes=MB, allowed_suffixes=TABLES)


def test_a_long_workbook_says_how_far_its_rows_are(tmp_path):
    """A gap list of 20,000 rows takes seconds in openpyxl: the writer reports its rows as they go in
    (the web's bar moves through them), and the file is the same with or without the reports."""
    import openpyxl

    from geo.writers import write_safe_xlsx

    table = pd.DataFrame({"rank": np.arange(1, 2_501), "road": ["北湖路"] * 2_500, "note": ["=1+1"] * 2_500})
    seen: list[float] = []
    a = write_safe_xlsx([("gaps", table)], tmp_path / "a.xlsx", rows_done=seen.append)
    b = write_safe_xlsx([("gaps", table)], tmp_path / "b.xlsx")
    assert seen == [0.4, 0.8]
    assert a.read_bytes() == b.read_bytes()
    cell = openpyxl.load_workbook(a)["gaps"]["C2"]
    assert cell.value == "=1+1" and cell.data_type == "s"  # still text, never a formula
