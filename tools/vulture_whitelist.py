"""Names vulture (``make lint``, ``[tool.vulture]`` in pyproject.toml) reports as unused but that
are used where it cannot see: by name in a string, by a framework, by a protocol. Each line says
who uses it. Decorated commands, routes, report sections and fixtures are left out by
``ignore_decorators`` there, not listed here. A name listed here stays out of every report, so
list only what is truly used."""

# ruff: noqa

# Module hooks (PEP 562): Python calls them on `communitas.<name>` and `dir(communitas)`.
__getattr__
__dir__

# Source plugins: loaded by name from the `communitas.sources` entry points (pyproject.toml).
DiscordSource
DiscourseSource
GithubDiscussionsSource
IrcSource
MattermostSource
MboxSource
RedditSource
RocketChatSource
SlackSource
StackExchangeSource
TelegramSource
ZulipSource

# Parallel reading tasks: named as "module:function" strings for the spawned workers.
read_file_task
read_archive_task

# Mattermost bulk lines dispatch by type: getattr(self, f"_{kind}").
_._team
_._direct_post

# The file-object protocol py7zr calls on sevenzip's writer and factory.
whence  # seek(offset, whence)
_.flush
_.create

# Dataclass fields of an identity suggestion, read through dataclasses.asdict (JSON, dashboard).
source_a
source_b

# Read by the web framework and the servers: request state, uvicorn's exit flag, tarfile's member
# field, http.server's handler methods.
_.dashboard
_.should_exit
_.linkname
_.do_GET
_.log_message

# pytest reads module-level marks, and fixtures requested by name (`usefixtures`, arguments).
pytestmark
small_samples

# Ibis's Spark compiler calls its visit_* methods by name (engines.py patches one of them).
_.visit_ExtractEpochSeconds

# Public API for extension metrics registered in-process (docs/architecture.md), beside entry points.
register_metric
