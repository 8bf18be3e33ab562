"""Local assets and the off-host URL guard."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.assets import (
    ASSETS,
    ENV_ASSETS_DIR,
    AssetsMissingError,
    OffHostURLError,
    assert_offline_html,
    asset_path,
    asset_url,
    assets_dir,
    check_assets,
    find_off_host_urls,
)
from geo.errors import PlannerError

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    "html",
    [
        '<script src="https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.js"></script>',
        "<link rel='stylesheet' href='https://cdn.jsdelivr.net/npm/bootstrap@5.2.2/dist/css/bootstrap.min.css'>",
        '<link rel="stylesheet" href="//netdna.bootstrapcdn.com/bootstrap/3.0.0/css/x.css">',
        "<script src=http://code.jquery.com/jquery-3.7.1.min.js></script>",
        "<style>.a { background: url(https://unpkg.com/leaflet/dist/images/layers.png) }</style>",
        '<style>@import "https://fonts.googleapis.com/css?family=Noto+Sans+SC";</style>',
        '<img srcset="a.png 1x, https://cdn.example.com/b.png 2x">',
        '<script>L.tileLayer("https://{s}.tile.openstreetmap.org/{z}/{x}/{y}.png").addTo(m);</script>',
        "<script>fetch('https://api.example.com/data.json')</script>",
        '<script>img.src = "http://evil.example/x.png";</script>',
        '<LINK HREF="HTTPS://CDN.EXAMPLE.COM/A.CSS">',
    ],
)
def test_guard_catches_off_host_urls(html: str) -> None:
    assert find_off_host_urls(html)
    with pytest.raises(OffHostURLError, match="off-host") as err:
        assert_offline_html(html, what="test page")
    assert isinstance(err.value, PlannerError)


@pytest.mark.parametrize(
    "html",
    [
        '<script src="/assets/leaflet/dist/leaflet.js"></script>',
        "<link href='assets/x.css' rel=stylesheet><img src=\"data:image/png;base64,AAAA\">",
        "<style>.a { background: url(images/layers.png) } .b { background: url('data:image/svg+xml,<svg/>') }</style>",
        "<script>// a comment with http://example.com in it\nvar a = 'https://example.com is text';</script>",
        '<a href="#top">top</a><a href="?lang=en">English</a>',
        '<script>L.tileLayer("/tiles/{z}/{x}/{y}.png")</script>',
    ],
)
def test_guard_accepts_local_urls(html: str) -> None:
    assert find_off_host_urls(html) == []
    assert assert_offline_html(html) == html


def test_guard_allowed_hosts() -> None:
    html = '<script src="http://127.0.0.1:8000/assets/a.js"></script>'
    assert find_off_host_urls(html) == ["http://127.0.0.1:8000/assets/a.js"]
    assert find_off_host_urls(html, allowed_hosts=["127.0.0.1"]) == []


def test_guard_catches_folium_cdn_defaults() -> None:
    """An untouched folium map loads jQuery/Bootstrap/Leaflet from CDNs: the guard must see it."""
    import folium

    html = folium.Map(tiles=None).get_root().render()
    bad = find_off_host_urls(html)
    assert any("cdn.jsdelivr.net" in u for u in bad)
    assert any("jquery" in u for u in bad)


def test_asset_table_points_to_installed_files(assets_ready: Path) -> None:
    for name in ASSETS:
        assert asset_path(name).is_file(), name
        assert asset_url(name).startswith("/assets/")
    assert asset_url("leaflet_js", "/static/") == "/static/leaflet/dist/leaflet.js"


def test_pinned_versions_installed(assets_ready: Path) -> None:
    pkg = json.loads((REPO / "assets" / "package.json").read_text())
    lock = json.loads((REPO / "assets" / "package-lock.json").read_text())
    for name, version in pkg["dependencies"].items():
        assert version[0].isdigit(), f"{name} must be pinned to an exact version, not {version}"
        assert lock["packages"][f"node_modules/{name}"]["version"] == version
        installed = json.loads((assets_ready / name / "package.json").read_text())["version"]
        assert installed == version, f"{name}: installed {installed}, pinned {version}; run make assets"
    assert pkg["dependencies"]["leaflet"] == "1.9.4"


def test_missing_assets_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(AssetsMissingError, match=r"run `make assets` \(npm ci in assets/\)"):
        check_assets(tmp_path)
    monkeypatch.setenv(ENV_ASSETS_DIR, str(tmp_path / "elsewhere"))
    assert assets_dir() == tmp_path / "elsewhere"
    with pytest.raises(AssetsMissingError, match=ENV_ASSETS_DIR):
        check_assets()
    with pytest.raises(AssetsMissingError, match="unknown asset"):
        asset_url("jquery")
