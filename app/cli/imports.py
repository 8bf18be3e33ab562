"""``patrolnet import``: a table into a workspace layer, every row checked, a backup first (a ``.gpkg``
file; a workspace in PostgreSQL is written in one transaction instead: nothing when it fails)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from app.cli.options import (
    JsonOpt,
    LangOpt,
    WorkspaceArg,
    console,
    fail,
    language,
    planner_errors,
    progress_bar,
    record_audit,
    say,
    writing_turn,
)

__all__ = ["import_", "show_import"]


def _pairs(values: list[str], option: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in values:
        src, sep, dst = item.partition("=")
        if not sep or not src.strip() or not dst.strip():
            fail(f"{option} {item!r}: write it as SOURCE=TARGET, e.g. {option} 发案时间=occurred_at")
        out[src.strip()] = dst.strip()
    return out


def _mapping_file(path: Path) -> list[str]:
    if not path.exists():
        fail(f"--mapping-file '{path}' does not exist")
    lines = []
    for number, line in enumerate(path.read_text(encoding="utf-8-sig").splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if "=" not in line and "," in line:
            line = line.replace(",", "=", 1)
        if "=" not in line:
            fail(f"--mapping-file '{path}', line {number}: write SOURCE=TARGET (got {line!r})")
        lines.append(line)
    return lines


def import_(
    workspace: WorkspaceArg,
    layer: Annotated[str, typer.Argument(help="incidents, cameras, stations, communities, neighborhoods, units or "
                                              "tracks.")],
    file: Annotated[Path, typer.Argument(help="CSV (UTF-8 or GBK), XLSX, GeoJSON, GeoPackage, Shapefile, GPX or KML.")],
    map_: Annotated[
        list[str] | None, typer.Option("--map", help="Column mapping SOURCE=TARGET, e.g. 发案时间=occurred_at (repeatable).")
    ] = None,
    mapping_file: Annotated[
        Path | None, typer.Option("--mapping-file", help="File of SOURCE=TARGET lines (or two-column CSV).")
    ] = None,
    coords: Annotated[
        str, typer.Option("--coords", help="Coordinates of the file: wgs84, gcj02, bd09, cgcs2000 or EPSG:NNNN.")
    ] = "wgs84",
    timezone: Annotated[
        str | None, typer.Option("--timezone", help="Time zone of times given without one (default: the workspace's).")
    ] = None,
    category: Annotated[
        list[str] | None, typer.Option("--category", help="Category mapping SOURCE=code, e.g. 拎包=other_theft (repeatable).")
    ] = None,
    strict: Annotated[bool, typer.Option("--strict", help="Refuse the whole file if any row is bad.")] = False,
    replace: Annotated[bool, typer.Option("--replace", help="Replace the layer instead of appending.")] = False,
    tolerance_m: Annotated[
        float, typer.Option("--tolerance-m", help="How far outside the boundary a point may lie (metres).", min=0)
    ] = 200.0,
    encoding: Annotated[str | None, typer.Option("--encoding", help="Text encoding of a CSV (default: detect).")] = None,
    sheet: Annotated[str | None, typer.Option("--sheet", help="Worksheet of an XLSX file (default: the first).")] = None,
    keep_duplicates: Annotated[
        bool, typer.Option("--keep-duplicates", help="Keep rows identical to an earlier row (when the file has no ids).")
    ] = False,
    set_: Annotated[
        list[str] | None, typer.Option("--set", help="Give a column one value for the whole file, COLUMN=VALUE, e.g. "
                                                     "--set unit_id=U0001 (repeatable).")
    ] = None,
    as_json: JsonOpt = False,
    lang: LangOpt = "zh-CN",
) -> None:
    """Import a table into a workspace layer, checking every row (report of rejected rows beside the file)."""
    from app.services.imports import check_layer, import_file

    lang = language(lang)
    with planner_errors(lang):
        check_layer(layer)
    pairs = (_mapping_file(mapping_file) if mapping_file else []) + list(map_ or [])
    column_map = _pairs(pairs, "--map")
    category_map = _pairs(list(category or []), "--category")
    set_values = _pairs(list(set_ or []), "--set")
    with planner_errors(lang):
        # an append reads the layer and writes it back with the new rows: it takes the turn of the
        # jobs that write the workspace (the web's imports run in it), so two imports at once, from
        # here or from the data page, follow each other and neither loses the other's rows
        with writing_turn(workspace) as ws, progress_bar(lang=lang) as report:
            new_ws, result, report_path = import_file(
                ws, layer, file, column_map=column_map, coords=coords, timezone=timezone,
                strict=strict, replace=replace, tolerance_m=tolerance_m, category_map=category_map,
                encoding=encoding, sheet=sheet, keep_duplicates=keep_duplicates, set_values=set_values,
                progress=report, lang=lang,
            )
    show_import(workspace, layer, file, new_ws, result, report_path, as_json=as_json, lang=lang)


def show_import(workspace: Path, layer: str, file: Path, new_ws: Any, result: Any, report_path: Path | None, *,
                as_json: bool, lang: str) -> None:
    """Audit an import and say how it went: rows taken, the report of the others and their commonest reasons."""
    from app.services.imports import reasons_in

    record_audit(workspace, "import", layer=layer, file=file, accepted=len(result.accepted),
                 rejected=result.rejected_rows)
    summary = result.summary() | {"report": str(report_path) if report_path else None,
                                  "layer_features": new_ws.count(layer)}
    if as_json:
        typer.echo(json.dumps(summary, ensure_ascii=False, indent=2))
        return
    console.print(say("cli.import.done", lang, accepted=len(result.accepted), rows=result.rows_read,
                      layer=layer, total=summary["layer_features"]), highlight=False)
    if report_path:
        console.print(say("cli.import.rejected", lang, rejected=result.rejected_rows, path=str(report_path)),
                      highlight=False)
        top = (reasons_in(result.rejected, lang).str.split("[;；]", regex=True).str[0]
               .str.replace(r"\d[\d,.]*", "N", regex=True).value_counts().head(5))
        for reason, n in top.items():
            console.print(f"  {n:>6,}  {reason}", highlight=False)
