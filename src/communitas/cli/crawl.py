"""``communitas crawl discourse``: save a Discourse site's public JSON API, politely."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated
from urllib.parse import urlsplit

import typer
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from communitas.cli.common import (
    ContactOpt,
    JsonOpt,
    MaxPagesOpt,
    RateOpt,
    RawOpt,
    console,
    err_console,
    new_folder,
    new_typer,
    print_json,
)

if TYPE_CHECKING:  # httpx is imported only when a crawl runs
    from communitas.sources.discourse_crawler import CrawlReport

crawl_app = new_typer(
    help="Save a live community's public data for `communitas ingest`.\n\n"
         "Example: communitas crawl discourse https://forum.example.org forum-dump",
    no_args_is_help=True)


def _web_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise typer.BadParameter(f"{value!r} is not a web address; write it as https://forum.example.org")
    return value


@crawl_app.command("discourse")
def discourse(
    base_url: Annotated[str, typer.Argument(
        callback=_web_url, help="The forum's home URL, e.g. https://forum.example.org")],
    out_dir: Annotated[Path, typer.Argument(
        callback=new_folder, help="Folder to save into (and to resume from).")],
    rate: RateOpt = 1.0,
    max_pages: MaxPagesOpt = None,
    contact: ContactOpt = None,
    raw: RawOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Crawl a Discourse forum's public JSON API into OUT_DIR; run again to resume or update.

    Only new or changed topics are fetched on a second run. Then: communitas ingest OUT_DIR.

    Example: communitas crawl discourse https://forum.example.org forum-dump --rate 0.5
    """
    progress = Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                        console=err_console, transient=True, disable=as_json)
    with progress:
        task = progress.add_task(f"crawling {base_url}", total=None)
        saved = 0

        def on_topic(topic_id: int, posts: int) -> None:
            nonlocal saved
            saved += 1
            progress.update(task, description=f"crawling {base_url}: {saved} topics saved "
                                              f"(last: topic {topic_id}, {posts} posts)")

        from communitas.sources.discourse_crawler import crawl

        report = crawl(base_url, out_dir, rate=rate, max_pages=max_pages, contact=contact, raw=raw,
                       on_topic=on_topic)
    if as_json:
        print_json(report.to_dict())
        return
    _print_report(report)


def _print_report(report: CrawlReport) -> None:
    state = "complete" if report.complete else "stopped before the end (run again to continue)"
    console.print(f"{report.base_url} → {report.out_dir}: {state}")
    console.print(f"  {report.topics_saved:,} topics saved, {report.topics_unchanged:,} unchanged, "
                  f"{report.posts_fetched:,} new posts; {report.requests:,} requests "
                  f"({report.pages:,} listing pages, {report.retries:,} retries, "
                  f"{report.waited_s:,.0f} s waited)")
    for reason, n in report.skipped.items():
        console.print(f"  skipped {n:,}: {reason}")
    console.print(f"next: communitas ingest {report.out_dir}")


def register(app: typer.Typer) -> None:
    app.add_typer(crawl_app, name="crawl")
