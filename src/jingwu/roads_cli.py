"""``jingwu roads …``: import an OpenStreetMap extract into a road graph, show a graph's summary.

No Django here: importing a city's streets must work on a machine without a database. The
graph goes to ``<JINGWU_DATA_DIR or ./var>/roads/<name>.npz``; nothing is written on error.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from jingwu.engine.roads import (
    MODE_NAMES,
    ImportSummary,
    RoadError,
    RoadGraph,
    default_name,
    load_osm,
)

app = typer.Typer(help="道路网络 / road network", no_args_is_help=True)
_NAME = re.compile(r"^[\w\-]{1,64}$")


def roads_dir() -> Path:
    """Where road graphs live: ``$JINGWU_DATA_DIR/roads`` (default ``./var/roads``)."""
    return Path(os.environ.get("JINGWU_DATA_DIR") or "var") / "roads"


def _fail(msg: str) -> typer.Exit:
    Console(stderr=True).print(f"[red]error:[/red] {msg}", highlight=False)
    return typer.Exit(code=1)


@app.command("import")
def import_(
    file: Annotated[Path, typer.Argument(help="OSM 文件：.osm.pbf / .osm / .osm.bz2")],
    name: Annotated[str | None, typer.Option("--name", help="路网名称（默认取文件名）")] = None,
) -> None:
    """读取 OpenStreetMap 数据，生成汽车、电动车、步行三种方式的路网。"""
    graph_name = name or default_name(file)
    if not _NAME.match(graph_name):
        raise _fail(f"路网名称只能包含字母、数字、下划线和连字符：{graph_name!r}")
    target = roads_dir() / f"{graph_name}.npz"
    console = Console()
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.completed:,.0f}/{task.total}"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=not console.is_terminal,
    ) as bar:
        task = bar.add_task(f"读取 {file.name}", total=None)

        def progress(done: int, total: int | None) -> None:
            description = "读取道路" if total is None else "构建路网"
            bar.update(task, completed=done, total=total, description=description)

        try:
            graph, summary = load_osm(file, name=graph_name, progress=progress)
            graph.save(target)
        except RoadError as exc:
            raise _fail(exc.msg) from None
    console.print(summary_table(summary))
    console.print(f"已写入 {target}", highlight=False)


@app.command("info")
def info(name: Annotated[str, typer.Argument(help="路网名称，或 .npz 文件路径")]) -> None:
    """显示已导入路网的摘要。"""
    path = Path(name) if name.endswith(".npz") else roads_dir() / f"{name}.npz"
    if not path.is_file():
        raise _fail(f"找不到路网 {path}")
    try:
        graph = RoadGraph.load(path)
    except RoadError as exc:
        raise _fail(exc.msg) from None
    console = Console()
    console.print(
        f"{graph.name}：{graph.n_nodes:,} 节点，{graph.n_edges:,} 条有向边"
        + ("（示意路网）" if graph.illustrative else ""),
        highlight=False,
    )
    modes = graph.meta.get("summary", {}).get("modes", [])
    table = Table("方式", "节点", "有向边", "道路公里", "最大强连通占比", "剔除")
    for m in modes:
        table.add_row(
            MODE_NAMES.get(m["mode"], m["mode"]), f"{m['nodes']:,}", f"{m['edges']:,}", f"{m['km']:,.1f}",
            f"{m['lscc_share']:.1%}", f"{m['dropped_nodes']:,} 节点 / {m['dropped_km']:,.2f} km",
        )  # fmt: skip
    console.print(table)


def summary_table(summary: ImportSummary) -> Table:
    """The import's figures: one row per travel mode."""
    table = Table(
        "方式", "节点", "有向边", "道路公里", "最大强连通占比", "剔除",
        title=(
            f"{summary.name}：{summary.nodes:,} 节点，{summary.edges:,} 条有向边，"
            f"{summary.ways:,} 条道路，用时 {summary.seconds:.2f} 秒"
        ),
    )  # fmt: skip
    for row in summary.rows():
        table.add_row(*row)
    if summary.missing_locations:
        table.caption = f"{summary.missing_locations:,} 个节点缺少坐标（数据裁切），相关路段已略去"
    return table


if __name__ == "__main__":  # pragma: no cover
    sys.exit(app())
