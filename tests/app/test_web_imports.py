"""``POST /api/v1/imports``: the data page's upload, as the CLI's ``patrolnet import`` does it, with
a hard size limit (413), the per-row report and clear errors."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app.web import create_app
from app.storage.workspace import Workspace
from tests.app._fixtures import client_class

CSV = ("发案时间,案件类别,经度,纬度\n"
       "2025-06-01 21:00,入室盗窃,114.930,27.820\n"
       "2025-06-02 22:10,抢夺,114.925,27.815\n"
       "2025-06-03 10:00,盗窃电动车,1.0,0.5\n").encode("utf-8")


@pytest.fixture()
def api(ws_copy: Path, assets_ready: Path) -> Iterator[Any]:
    with client_class()(create_app(ws_copy, max_upload_bytes=10_000)) as c:
        yield c


def test_import_with_report(api: Any, ws_copy: Path) -> None:
    before = Workspace(ws_copy).count("incidents")
    r = api.post("/api/v1/imports", files={"file": ("警情 六月.csv", CSV, "text/csv")},
                 data={"layer": "incidents", "coords": "wgs84"})
    assert r.status_code == 200, r.text
    job = r.json()
    assert job["kind"] == "import" and job["status"] == "done"
    res = job["result"]
    assert (res["rows_read"], res["accepted"], res["rejected"]) == (3, 2, 1)
    assert res["layer_features"] == before + 2 == Workspace(ws_copy).count("incidents")
    assert res["source"] == "警情_六月.csv"
    bad = res["rejected_rows_table"]
    assert len(bad) == 1 and bad[0]["row"] == 4 and "outside the workspace boundary" in bad[0]["reason"]
    files = {f["name"]: f for f in job["files"]}
    assert res["report"] in files and res["report"].endswith("警情_六月-rejected.csv")
    assert "警情_六月.csv" not in files  # the upload itself is an input, not an output
    got = api.get(files[res["report"]]["href"])
    assert got.status_code == 200 and got.headers["content-type"] == "text/csv; charset=utf-8"
    assert "outside the workspace boundary" in got.content.decode("utf-8-sig")


def test_import_strict_refuses_and_still_reports(api: Any, ws_copy: Path) -> None:
    before = Workspace(ws_copy).count("incidents")
    r = api.post("/api/v1/imports", files={"file": ("x.csv", CSV, "text/csv")},
                 data={"layer": "incidents", "strict": "1"})
    assert r.status_code == 422
    job = r.json()
    assert job["status"] == "failed" and job["error_type"] == "InputError"
    assert "rows rejected" in job["error"] and "/tmp" not in job["error"]
    assert job["result"]["rejected"] == 1 and job["result"]["rejected_rows_table"][0]["row"] == "4"
    assert job["result"]["report"] in {f["name"] for f in job["files"]}
    assert Workspace(ws_copy).count("incidents") == before


def test_upload_too_large_is_413(api: Any) -> None:
    big = b"a,b\n" + b"1,2\n" * 20_000
    r = api.post("/api/v1/imports", files={"file": ("big.csv", big, "text/csv")}, data={"layer": "incidents"})
    assert r.status_code == 413
    body = r.json()
    assert body["error"] == "UploadTooLargeError" and body["limit_bytes"] == 10_000
    assert "0.0 MB" in body["detail"] or "MB" in body["detail"]
    en = api.post("/api/v1/imports?lang=en", files={"file": ("big.csv", big, "text/csv")}, data={"layer": "incidents"})
    assert en.status_code == 413 and "too large" in en.json()["detail"]


def test_upload_too_large_without_length_is_413(api: Any) -> None:
    boundary = "pnboundary"
    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"layer\"\r\n\r\nincidents\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.csv\"\r\n"
            f"Content-Type: text/csv\r\n\r\n").encode()

    def body() -> Iterator[bytes]:  # chunked: no Content-Length to refuse early
        yield head
        for _ in range(200):
            yield b"1,2\n" * 1000
        yield f"\r\n--{boundary}--\r\n".encode()

    r = api.post("/api/v1/imports", content=body(),
                 headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
    assert r.status_code == 413


@pytest.mark.parametrize("kwargs, fragment", [
    ({"data": {"layer": "incidents"}, "content": b"x", "headers": {"Content-Type": "text/plain"}}, "multipart"),
    ({"data": {"layer": "incidents"}}, "multipart"),
    ({"files": {"other": ("x.csv", CSV, "text/csv")}, "data": {"layer": "incidents"}}, "no file"),
    ({"files": {"file": ("x.csv", CSV, "text/csv")}, "data": {"layer": "parking_lots"}}, "layer"),
    ({"files": {"file": ("x.csv", CSV, "text/csv")}, "data": {"layer": "incidents", "coords": "mars"}}, "coords"),
    ({"files": {"file": ("x.csv", CSV, "text/csv")},
      "data": {"layer": "incidents", "column_map": "发案时间 occurred_at"}}, "SOURCE=TARGET"),
])
def test_bad_imports_are_422(api: Any, kwargs: dict[str, Any], fragment: str) -> None:
    if "content" in kwargs:
        r = api.post("/api/v1/imports?lang=en", content=kwargs["content"], headers=kwargs["headers"])
    else:
        r = api.post("/api/v1/imports?lang=en", **kwargs)
    assert r.status_code == 422, r.text
    assert fragment in r.json()["detail"]


def test_upload_names_that_climb_out_are_refused(api: Any, ws_copy: Path) -> None:
    before = ws_copy.read_bytes()
    r = api.post("/api/v1/imports", files={"file": ("../../etc/警情.csv", CSV, "text/csv")},
                 data={"layer": "incidents"})
    assert r.status_code == 422, r.text
    assert "'..'" in r.text
    assert ws_copy.read_bytes() == before


def test_upload_whose_content_lies_about_its_type_is_refused(api: Any, ws_copy: Path) -> None:
    r = api.post("/api/v1/imports", files={"file": ("警情.xlsx", CSV, "application/octet-stream")},
                 data={"layer": "incidents"})
    assert r.status_code == 422, r.text
    assert "not a ZIP archive" in r.text
