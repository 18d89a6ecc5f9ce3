"""Options, checks and output helpers shared by every command.

Every option is checked while the command line is parsed, before a store is opened or a file
read: a bad value is a usage error (one ``error: ...`` line, exit status 2, see
:func:`communitas.cli.app.main`). Every option of every command is declared here, once (one
name, one check, one help text wherever it appears); ``tools/check_cli_options.py`` (``make
lint``) fails when a ``typer.Option`` is declared in any other module, and
``tests/test_cli_options.py`` when a command's option does not come from here.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console

from communitas.engines import (
    ENGINES,
    REMOTE_MEMORY,
    SPARK_MEMORY_ENV,
    SPARK_REMOTE_ENV,
    spark_conf,
    spark_memory,
)
from communitas.errors import UsageError
from communitas.metrics.periods import PERIODS
from communitas.sources.registry import SOURCES
from communitas.store import STORE_ENV

console = Console()
err_console = Console(stderr=True)

N = TypeVar("N", int, float)


def new_typer(**kw: Any) -> typer.Typer:
    """A typer app (or command group) whose help text is printed as written: no terminal markup
    is read in it, so ``communitas[embeddings]`` or ``[default]`` cannot be eaten as a style tag."""
    return typer.Typer(rich_markup_mode=None, **kw)


def words(choices: Sequence[str]) -> str:
    """``a, b or c``.

    >>> words(("week", "month", "year"))
    'week, month or year'
    """
    return ", ".join(choices[:-1]) + f" or {choices[-1]}" if len(choices) > 1 else "".join(choices)


def one_of(choices: Sequence[str]) -> Callable[[str | None], str | None]:
    """A check that the value is one of ``choices`` (None passes: the option was not given)."""

    def check(value: str | None) -> str | None:
        if value is not None and value not in choices:
            raise typer.BadParameter(f"{value!r} is not one of {words(choices)}.")
        return value

    return check


def at_least(minimum: N, unit: str = "") -> Callable[[N | None], N | None]:
    """A check that a number is at least ``minimum`` (None passes)."""

    def check(value: N | None) -> N | None:
        if value is not None and value < minimum:
            raise typer.BadParameter(f"must be at least {minimum}{' ' + unit if unit else ''}, not {value}.")
        return value

    return check


def positive(value: float | None) -> float | None:
    if value is not None and not value > 0:
        raise typer.BadParameter(f"must be more than 0, not {value}.")
    return value


def not_blank(value: str | None) -> str | None:
    """Free text must say something: an empty or blank value is a mistake (a shell variable
    that was not set), not a filter that matches nothing."""
    if value is not None and not value.strip():
        raise typer.BadParameter("is empty; give a value or leave the option out.")
    return value


def check_date(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        datetime.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a date; write it as YYYY-MM-DD.") from None
    return value


def _utc(value: str) -> datetime:
    t = datetime.fromisoformat(value)
    return t.replace(tzinfo=UTC) if t.tzinfo is None else t


def check_window(since: str | None, until: str | None) -> None:
    """``--since`` must come before ``--until`` (each already checked to be a date; naive is UTC)."""
    if since is not None and until is not None and _utc(since) >= _utc(until):
        raise UsageError(f"--since {since} is not before --until {until}; the window would be empty.")


def new_file(suffixes: Sequence[str] = ()) -> Callable[[Path | None], Path | None]:
    """A check for a file the command will write: its folder exists, it is not a folder, and it
    ends in one of ``suffixes`` (when given)."""

    def check(value: Path | None) -> Path | None:
        if value is None:
            return None
        if suffixes and value.suffix.lower() not in suffixes:
            raise typer.BadParameter(f"{str(value)!r} must end in {words(suffixes)}.")
        if value.is_dir():
            raise typer.BadParameter(f"{str(value)!r} is a folder; give a file name.")
        if not value.resolve().parent.is_dir():
            raise typer.BadParameter(f"{str(value)!r}: no folder {str(value.parent)!r} to write into.")
        return value

    return check


def new_folder(value: Path | None) -> Path | None:
    """A folder the command will write into: it may exist (as a folder) or not yet."""
    if value is not None and value.exists() and not value.is_dir():
        raise typer.BadParameter(f"{str(value)!r} is a file, not a folder.")
    return value


def store_file(value: Path | None) -> Path | None:
    if value is not None and value.is_dir():
        raise typer.BadParameter(f"{str(value)!r} is a folder; give the store file (e.g. communitas.duckdb).")
    return value


check_period = one_of(PERIODS)


def check_every(value: str | None) -> str | None:
    """A step between backtest dates: days or weeks (``30d``, ``4w``)."""
    if value is None:
        return None
    from communitas.brief.backtest import every_days  # the one definition of the syntax

    try:
        every_days(value)
    except UsageError:
        raise typer.BadParameter(f"{value!r} is not a step; write days or weeks like 30d or 4w.") from None
    return value


def check_port(value: int) -> int:
    if not 1 <= value <= 65535:
        raise typer.BadParameter(f"{value} is not a port; give a number from 1 to 65535.")
    return value


def check_window_choice(value: str) -> str:
    if value != "last" and not value.lstrip("-").isdigit():
        raise typer.BadParameter(f"{value!r}: give a window number or 'last'.")
    return value


def parse_topics(value: str) -> int | str:
    """``auto`` or a number of topics (at least 1)."""
    if value == "auto":
        return value
    if value.isdigit() and int(value) >= 1:
        return int(value)
    raise typer.BadParameter(f"{value!r}: give a number of topics (e.g. 10) or auto.")


def check_topics(value: str) -> str:
    parse_topics(value)
    return value


def check_platform(value: str | None) -> str | None:
    return one_of(tuple(SOURCES.names()))(value)


def check_kinds(values: list[str] | None) -> list[str] | None:
    """Each ``--kind`` must name a kind the brief has (built-in or registered)."""
    if not values:
        return values
    from communitas.brief import KINDS  # importing the package registers every kind

    known = tuple(KINDS)
    unknown = [v for v in values if v not in known]
    if unknown:
        raise typer.BadParameter(f"{unknown[0]!r} is not one of {words(known)}.")
    return values


def check_sections(value: list[str] | None) -> list[str] | None:
    from communitas.report.sections import registered_sections  # the report stack loads only when run

    known = {s.key for s in registered_sections()}
    unknown = sorted(set(value or ()) - known)
    if unknown:
        raise UsageError(f"--skip {unknown[0]!r}: no such section; choose from {', '.join(sorted(known))}.")
    return value


def deprecated_top(value: int | None) -> int | None:
    """``--top N``: the old name of ``--limit N`` (profile, network), still read."""
    if value is not None:
        at_least(1)(value)
        err_console.print("note: --top is now --limit; --top will go.", highlight=False, markup=False)
    return value


FORMATS = ("parquet", "csv")
METHODS = ("tfidf-nmf", "embeddings")
BRIEF_KINDS = ("welcome", "unanswered", "checkin", "dependency", "introduce", "spotlight", "place", "nugget")

StoreOpt = Annotated[
    Path | None,
    typer.Option("--store", envvar=STORE_ENV, show_envvar=True, callback=store_file,
                 help="Workspace store file (default: ./communitas.duckdb)."),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")]
SourceOpt = Annotated[str | None, typer.Option(
    callback=not_blank, help="Only this source id (see `communitas sources`).")]
PeriodOpt = Annotated[str, typer.Option(callback=check_period, help=f"Trend period: {words(PERIODS)}.")]
SinceOpt = Annotated[str | None, typer.Option(
    callback=check_date, help="Start of the window, YYYY-MM-DD (inclusive, UTC).")]
UntilOpt = Annotated[str | None, typer.Option(
    callback=check_date, help="End of the window, YYYY-MM-DD (exclusive, UTC).")]
PlaceOpt = Annotated[str | None, typer.Option(
    callback=not_blank, help="Only threads in this place (tag, channel, list, category): its name or id.")]
IncludeBotsOpt = Annotated[bool, typer.Option(help="Count bots and system accounts too.")]
BacktestOpt = Annotated[bool, typer.Option(
    "--backtest", help="Replay the predictive kinds at past dates, check what came true against "
    "a naive baseline, and store each kind's track record.")]
EveryOpt = Annotated[str | None, typer.Option(
    callback=check_every,
    help="With --backtest: the step between past dates, in days or weeks (default 30d).")]


def parquet_tables(value: str | None) -> str | None:
    """Where the Spark engine reads the tables: a local folder must hold ``posts.parquet`` (an
    object-store path, ``scheme://...``, is the cluster's to read)."""
    if value is not None and "://" not in value and not (Path(value) / "posts.parquet").is_file():
        raise typer.BadParameter(f"{value!r} holds no posts.parquet; write the tables there with "
                                 "`communitas export --format parquet`.")
    return value


def spark_url(value: str | None) -> str | None:
    if value is not None and not value.startswith("sc://"):
        raise typer.BadParameter(f"{value!r} is not a Spark Connect URL; write it as sc://host:port.")
    return value


def spark_heap(value: str | None) -> str | None:
    """The Spark driver's heap (``6g``), checked as Spark reads it; ``$COMMUNITAS_SPARK_MEMORY``
    is checked here too (the engine reads it, for Spark on this machine only)."""
    for given, name in ((value, ""), (os.environ.get(SPARK_MEMORY_ENV), f"${SPARK_MEMORY_ENV}: ")):
        if given is not None:
            try:
                spark_memory(given)
            except UsageError as e:
                raise typer.BadParameter(f"{name}{e}") from None
    return None if value is None else spark_memory(value)


def spark_conf_pairs(values: list[str] | None) -> list[str] | None:
    try:
        spark_conf(values or [])
    except UsageError as e:
        raise typer.BadParameter(str(e)) from None
    return values


EngineOpt = Annotated[str, typer.Option(
    callback=one_of(ENGINES), help=f"Where the queries run: {words(ENGINES)} (see docs/scale.md).")]
TablesOpt = Annotated[str | None, typer.Option(
    "--tables", callback=parquet_tables,
    help="Spark engine: the Parquet tables of `communitas export` (a folder or s3a://... path) "
         "instead of the store.")]
SparkRemoteOpt = Annotated[str | None, typer.Option(
    "--spark-remote", envvar=SPARK_REMOTE_ENV, show_envvar=True, callback=spark_url,
    help="Spark engine: a Spark Connect server, sc://host:port (default: Spark on this machine).")]
SparkMemoryOpt = Annotated[str | None, typer.Option(
    "--spark-memory", callback=spark_heap, metavar="SIZE",
    help=f"Spark engine on this machine: the driver's heap, which runs the queries too, e.g. 6g "
         f"(default ${SPARK_MEMORY_ENV}, else Spark's 1g). Not for --spark-remote: a cluster's "
         "memory is set on the cluster.")]
SparkConfOpt = Annotated[list[str] | None, typer.Option(
    "--spark-conf", callback=spark_conf_pairs, metavar="KEY=VALUE",
    help="Spark engine: one Spark setting (repeatable), as Spark's own --conf takes it, e.g. "
         "spark.sql.shuffle.partitions=64.")]


def spark_options(engine: str, tables: str | None, remote: str | None, memory: str | None,
                  conf: list[str] | None) -> dict[str, Any]:
    """The Spark options of ``profile`` and ``network`` checked together, before any work, as
    keywords of :func:`communitas.engines.store_on_spark`."""
    if engine != "spark" and tables is not None:
        raise UsageError("--tables is for --engine spark.")
    settings = spark_conf(conf or [])
    if (remote or os.environ.get(SPARK_REMOTE_ENV)) and (memory or "spark.driver.memory" in settings):
        raise UsageError(REMOTE_MEMORY)
    return {"tables": tables, "remote": remote, "memory": memory, "conf": settings}


LimitOpt = Annotated[int, typer.Option(callback=at_least(1), help="Most rows (or items) to show.")]
TopOpt = Annotated[int | None, typer.Option("--top", hidden=True, callback=deprecated_top)]
NamesOpt = Annotated[bool, typer.Option(
    "--names", help="Show members' display names instead of pseudonyms (tables, pages, pictures).")]
OutputOpt = Annotated[Path | None, typer.Option(
    "-o", "--output", callback=new_file(), help="HTML file to write.")]
CsvOpt = Annotated[bool, typer.Option(
    "--csv", help="Print every figure as CSV rows: component,metric,period,value.")]

# ingest, export
PlatformOpt = Annotated[str | None, typer.Option(
    callback=check_platform,
    help=f"Platform, if auto-detection is not wanted: {', '.join(SOURCES.names())}.")]
NameOpt = Annotated[str | None, typer.Option(
    callback=not_blank, help="Name of the community (default: from the file or folder name).")]
NoTextOpt = Annotated[bool, typer.Option(
    "--no-text", help="Do not keep post bodies (text is personal data; topics need it).")]
ForceOpt = Annotated[bool, typer.Option(help="Re-read even if this input is already in the store.")]
FormatOpt = Annotated[str, typer.Option("--format", callback=one_of(FORMATS), help="parquet or csv.")]

# brief
AsOfOpt = Annotated[str | None, typer.Option(
    "--as-of", callback=check_date,
    help="Replay the brief as of this date, YYYY-MM-DD (UTC), from what was known then.")]
KindOpt = Annotated[list[str] | None, typer.Option(
    "--kind", callback=check_kinds, help=f"Only this kind (repeatable): {', '.join(BRIEF_KINDS)}.")]

# topics
TopicsOpt = Annotated[str, typer.Option(
    "-k", "--topics", callback=check_topics, help="Number of topics, or auto (chosen by topic coherence).")]
LastOpt = Annotated[int, typer.Option(
    callback=at_least(3, "periods"), help="Periods the rising/falling test looks at (3 or more).")]
SeedOpt = Annotated[int, typer.Option(
    callback=at_least(0), help="Random seed of the model (same seed, same topics).")]
MethodOpt = Annotated[str, typer.Option(
    callback=one_of(METHODS),
    help="tfidf-nmf (default, no extra needed) or embeddings (needs communitas[embeddings]).")]

# network
WindowDaysOpt = Annotated[int, typer.Option(
    callback=at_least(1, "day"), help="Length of each rolling window, in days.")]
StrideDaysOpt = Annotated[int, typer.Option(
    callback=at_least(1, "day"), help="Days between the starts of two windows.")]
WholeOpt = Annotated[bool, typer.Option(help="One window: the whole history.")]
CoParticipationOpt = Annotated[float | None, typer.Option(
    callback=positive,
    help="Also tie members who posted in the same thread within this many hours (weaker ties).")]
MemberOpt = Annotated[str | None, typer.Option(
    callback=not_blank, help="Show this member's role in every window.")]
PictureOpt = Annotated[Path | None, typer.Option(
    callback=new_file((".svg", ".png")), help="Draw a window's network to this .svg or .png.")]
WindowOpt = Annotated[str, typer.Option(
    callback=check_window_choice, help="Window to draw: its number, or 'last'.")]

# report, compare
SkipOpt = Annotated[list[str] | None, typer.Option(
    callback=check_sections,
    help="Leave out a section by key (repeatable), e.g. --skip topics on very large stores.")]
MonthsOpt = Annotated[int, typer.Option(
    callback=at_least(1, "month"), help="Compare each community's first N months.")]

# crawl
RateOpt = Annotated[float, typer.Option(callback=positive, help="Most requests per second.")]
MaxPagesOpt = Annotated[int | None, typer.Option(
    callback=at_least(1), help="Read at most this many /latest.json pages in this run (30 topics each).")]
ContactOpt = Annotated[str | None, typer.Option(
    callback=not_blank, help="A contact (e-mail or URL) added to the User-Agent, so the site can reach you.")]
RawOpt = Annotated[bool, typer.Option(
    "--raw", help="Also fetch each new post's Markdown source (one more request per post).")]

# identities, members, forget
PendingOpt = Annotated[bool, typer.Option(help="Only pairs with no decision yet.")]
EvidenceOpt = Annotated[str | None, typer.Option(
    callback=not_blank, help="Why: the evidence for this decision, kept with it.")]
BotsOpt = Annotated[bool, typer.Option("--bots", help="Only bots (detected or marked by hand).")]
MarkOpt = Annotated[bool, typer.Option(
    "--yes/--no", help="Set (--yes) or take back (--no) what the command marks.")]
ConfirmOpt = Annotated[bool, typer.Option("--yes", help="Confirm: this cannot be undone.")]

# serve
HostOpt = Annotated[str, typer.Option(
    callback=not_blank, help="Address to listen on; other than loopback needs a token.")]
PortOpt = Annotated[int, typer.Option(callback=check_port, help="Port to listen on (1-65535).")]


def print_json(data: Any) -> None:
    """Print ``data`` as JSON on stdout (plain, no colour, so it can be piped)."""
    typer.echo(json.dumps(data, indent=2, default=str, ensure_ascii=False))


# -- communitas synth (declared here, as every shared option) ---------------------------------
SYNTH_FORMATS = ("stackexchange", "parquet")
SynthPostsOpt = Annotated[int, typer.Option(
    "--posts", callback=at_least(1, "post"), help="Contributions to draw (questions, answers, comments).")]
SynthLikeOpt = Annotated[Path | None, typer.Option(
    "--like", callback=store_file,
    help="Fit the distributions to this store (default: a built-in community).")]
SynthSeedOpt = Annotated[int, typer.Option(
    "--seed", callback=at_least(0), help="Random seed (same seed and fit, same community).")]
SynthFormatOpt = Annotated[str, typer.Option(
    "--format", callback=one_of(SYNTH_FORMATS),
    help=f"Output: {words(SYNTH_FORMATS)} (a dump `communitas ingest` reads, or canonical tables).")]
SynthOutOpt = Annotated[Path, typer.Option(
    "--out", callback=new_folder, help="Folder to write into (created; files in it are replaced).")]
