"""Property-based tests (hypothesis) for every parser: malformed, oversized and mis-encoded input
has three possible outcomes — a parsed record, a skipped-and-counted record, or a communitas error
(one line, the store unchanged) — and never a traceback or a hang (each example has a deadline).

Records are generated with the shapes of each platform's format, then broken: wrong types in every
field, missing fields, invalid UTF-8, control characters, huge numbers, dates out of range, cut
files. Whole ingests are slow, so they get fewer examples than the pure parsers.
"""

from __future__ import annotations

import io
import json
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from communitas.errors import CommunitasError
from communitas.sources.mbox_parse import Parsed, parse_message
from communitas.sources.xml_rows import iter_row_columns
from communitas.store import Workspace

FAST = settings(max_examples=150, deadline=timedelta(seconds=2),
                suppress_health_check=[HealthCheck.too_slow])
INGEST = settings(max_examples=25, deadline=timedelta(seconds=20),
                  suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

# any JSON value, as a broken export would hold in place of the expected one
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12)
texts = st.text(max_size=200) | st.sampled_from(["", "@", "a@b.co", "<@U1|x>", "\x00", "\ud7ff" * 3])
junk_bytes = st.binary(max_size=300)


def _maybe(value: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """The expected value, or any other JSON value in its place."""
    return st.one_of(value, json_values)


def _ingest(files: dict[str, bytes]) -> None:
    """Write ``files`` into a fresh folder and ingest it; only a communitas error may escape."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "export"
        for name, data in files.items():
            path = root / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        try:
            with Workspace(Path(tmp) / "s.duckdb") as ws:
                report = ws.ingest(root)
                assert all(n > 0 for n in report.skipped.values())
        except CommunitasError as e:
            assert "\n" not in str(e).strip()  # one line


# -- Stack Exchange rows --------------------------------------------------------------------------

attr_values = st.text(max_size=60).map(lambda s: s.replace('"', "&quot;")) | st.sampled_from(
    ["2014-01-21T20:26:05.383", "9999-12-31T00:00:00", "-1", "18446744073709551616", "&amp;", "&#0;",
     "&bogus;", "<", "]]>"])
rows = st.lists(st.dictionaries(st.sampled_from(["Id", "PostTypeId", "CreationDate", "Body", "Tags",
                                                 "OwnerUserId", "ParentId", "Score", "Junk"]),
                                attr_values, max_size=7), max_size=12)


@FAST
@given(rows, junk_bytes, st.integers(min_value=0, max_value=400), st.booleans())
def test_stack_exchange_rows(rows: list[dict[str, str]], junk: bytes, cut: int, add_junk: bool) -> None:
    def attrs(r: dict[str, str]) -> bytes:
        return b" ".join(f'{k}="{v}"'.encode("utf-8", "surrogatepass") for k, v in r.items())

    body = b"".join(b"  <row " + attrs(r) + b" />\n" for r in rows)
    head = b'<?xml version="1.0" encoding="utf-8"?>\n<posts>\n'
    doc = head + body + (junk if add_junk else b"") + b"</posts>\n"
    doc = doc[: len(doc) - cut] if cut < len(doc) else doc
    try:
        for columns in iter_row_columns(io.BytesIO(doc), "Posts.xml", lambda n: None, ("Id", "Body")):
            assert len(columns["Id"]) == len(columns["Body"])
    except CommunitasError:
        pass


# -- mail -------------------------------------------------------------------------------------------

header_names = st.sampled_from(["From", "Date", "Subject", "Message-ID", "In-Reply-To", "References",
                                "Reply-To", "Content-Type", "Content-Transfer-Encoding", "X-Original-From",
                                "List-Id", "Auto-Submitted", "Sender"])
header_values = st.text(max_size=80) | st.sampled_from(
    ["=?utf-8?q?=C3=A9?=", "=?bogus?x?zz?=", "multipart/mixed; boundary=", "base64", "quoted-printable",
     "Mon, 32 Foo 2022 25:61:61 +9999", "'Ann' via list <list@example.org>", "<>", "a@b"])


@FAST
@given(st.lists(st.tuples(header_names, header_values), max_size=10), st.binary(max_size=400),
       st.sampled_from([b"From a@x Mon Jan  3 10:30:36 2022", b"From ", b"From x"]))
def test_mail_messages(headers: list[tuple[str, str]], body: bytes, from_line: bytes) -> None:
    head = "".join(f"{k}: {v}\n" for k, v in headers).encode("utf-8", "surrogateescape")
    result = parse_message(from_line, head + b"\n" + body)
    assert isinstance(result, Parsed | str)


@INGEST
@given(st.lists(st.tuples(st.lists(st.tuples(header_names, header_values), max_size=6),
                          st.binary(max_size=200)), min_size=1, max_size=5), st.booleans())
def test_mbox_files(messages: list[tuple[list[tuple[str, str]], bytes]], cut: bool) -> None:
    parts = []
    for headers, body in messages:
        head = "".join(f"{k}: {v}\n" for k, v in headers).encode("utf-8", "surrogateescape")
        parts.append(b"From a@x Mon Jan  3 10:30:36 2022\n" + head + b"\n" + body + b"\n")
    data = b"".join(parts)
    _ingest({"list.mbox": data[: len(data) // 2] if cut else data})


# -- chat and forum exports --------------------------------------------------------------------------

slack_message = st.fixed_dictionaries({
    "type": _maybe(st.just("message")), "ts": _maybe(st.sampled_from(["1700000000.000100", "99999999999",
                                                                     "-5", "x", "1e300"])),
    "user": _maybe(st.sampled_from(["U1", "U2", "USLACKBOT", "B1"])), "text": _maybe(texts),
}, optional={"subtype": _maybe(st.sampled_from(["bot_message", "channel_join", "file_comment", "zzz"])),
             "thread_ts": _maybe(st.just("1700000000.000100")), "bot_id": json_values,
             "reactions": _maybe(st.lists(st.fixed_dictionaries(
                 {"name": _maybe(st.text(max_size=5)), "count": json_values,
                  "users": _maybe(st.lists(st.text(max_size=3)))}), max_size=3)),
             "user_profile": json_values, "replies": json_values})


@INGEST
@given(_maybe(st.lists(slack_message, max_size=6)), st.booleans())
def test_slack_exports(messages: Any, with_users: bool) -> None:
    files = {"channels.json": json.dumps([{"id": "C1", "name": "general", "created": 1}]).encode(),
             "general/2023-11-14.json": json.dumps(messages).encode()}
    if with_users:
        files["users.json"] = json.dumps([{"id": "U1", "name": "ann", "is_bot": False}]).encode()
    _ingest(files)


csv_field = st.text(max_size=30) | st.sampled_from(["01-Jan-20 10:00 AM", "2020-01-01T10:00:00+00:00",
                                                     "👍 (99999999999999)", "x (y)", '"', ";"])


@INGEST
@given(st.lists(st.lists(csv_field, min_size=0, max_size=7), max_size=8), st.booleans())
def test_discord_csv(rows: list[list[str]], cut: bool) -> None:
    lines = ["AuthorID;Author;Date;Content;Attachments;Reactions;"]
    lines += [";".join('"' + v.replace('"', '""') + '"' for v in row) + ";" for row in rows]
    data = ("\n".join(lines) + "\n").encode("utf-8", "surrogatepass")
    _ingest({"Guild - Cat - chan [1].csv": data[:-3] if cut and len(data) > 60 else data})


discourse_post = st.fixed_dictionaries({
    "id": _maybe(st.integers(1, 50)), "post_number": _maybe(st.integers(1, 5)),
    "topic_id": _maybe(st.just(7)),
    "created_at": _maybe(st.sampled_from(["2024-01-01T00:00:00Z", "9999-12-31T00:00:00Z", "nope"])),
    "user_id": _maybe(st.integers(-2, 5)), "username": _maybe(st.text(max_size=6)),
    "post_type": _maybe(st.integers(1, 4)), "cooked": _maybe(texts),
}, optional={"actions_summary": json_values, "reactions": json_values,
             "reply_to_post_number": json_values, "raw": json_values, "accepted_answer": json_values})


@INGEST
@given(_maybe(st.lists(discourse_post, max_size=5)), json_values)
def test_discourse_topics(posts: Any, title: Any) -> None:
    topic = {"id": 7, "title": title, "created_at": "2024-01-01T00:00:00Z", "post_stream": {"posts": posts}}
    _ingest({"t/7.json": json.dumps(topic).encode()})


telegram_message = st.fixed_dictionaries({
    "id": _maybe(st.integers(1, 30)), "type": _maybe(st.sampled_from(["message", "service"])),
    "date": _maybe(st.sampled_from(["2020-09-13T12:26:40", "9999-01-01T00:00:00", "x"])),
    "date_unixtime": _maybe(st.sampled_from(["1600000000", "-1", "1e99", ""])),
    "from": _maybe(st.text(max_size=8)), "from_id": _maybe(st.sampled_from(["user1", "channel2", "x"])),
    "text": _maybe(st.lists(st.one_of(texts, st.fixed_dictionaries({"type": json_values,
                                                                     "text": json_values})), max_size=3)),
}, optional={"reply_to_message_id": json_values, "action": json_values, "actor_id": json_values,
             "topic_id": json_values})


@INGEST
@given(_maybe(st.lists(telegram_message, max_size=6)), json_values)
def test_telegram_exports(messages: Any, chat_type: Any) -> None:
    chat = {"name": "Group", "type": chat_type, "id": 5, "messages": messages}
    _ingest({"result.json": json.dumps(chat).encode()})


mattermost_post = st.fixed_dictionaries({
    "team": _maybe(st.just("eng")), "channel": _maybe(st.just("town-square")),
    "user": _maybe(st.sampled_from(["alice", "bob"])), "message": _maybe(texts),
    "create_at": _maybe(st.sampled_from([1_600_000_000_000, -1, 2**70, 0])),
}, optional={"replies": json_values, "reactions": json_values, "type": json_values, "props": json_values})


@INGEST
@given(st.lists(_maybe(mattermost_post), max_size=6), st.booleans())
def test_mattermost_bulk_exports(posts: list[Any], cut: bool) -> None:
    lines = [json.dumps({"type": "version", "version": 1}),
             json.dumps({"type": "team", "team": {"name": "eng", "display_name": "Eng", "type": "O"}}),
             json.dumps({"type": "channel", "channel": {"team": "eng", "name": "town-square", "type": "O"}})]
    lines += [json.dumps({"type": "post", "post": p}) for p in posts]
    data = ("\n".join(lines) + "\n").encode()
    _ingest({"import.jsonl": data[:-7] if cut else data})


rocket_message = st.fixed_dictionaries({
    "_id": _maybe(st.sampled_from(["m1", "m2", "m3"])), "rid": _maybe(st.just("GEN")), "msg": _maybe(texts),
    "ts": _maybe(st.sampled_from([{"$date": "2021-03-01T10:00:00.000Z"}, {"$date": "nope"}, {"$date": 5}])),
    "u": _maybe(st.fixed_dictionaries({"_id": _maybe(st.just("ANN")), "username": json_values})),
}, optional={"tmid": json_values, "t": json_values, "reactions": json_values, "mentions": json_values,
             "bot": json_values, "_hidden": json_values})


@INGEST
@given(st.lists(rocket_message, max_size=6))
def test_rocketchat_exports(messages: list[Any]) -> None:
    rooms = [{"_id": "GEN", "t": "c", "name": "general"}]
    _ingest({"rocketchat_room.json": "\n".join(json.dumps(r) for r in rooms).encode() + b"\n",
             "rocketchat_message.json": "\n".join(json.dumps(m) for m in messages).encode() + b"\n"})


zulip_message = st.fixed_dictionaries({
    "id": _maybe(st.integers(1, 40)), "sender_full_name": _maybe(st.text(max_size=8)),
    "timestamp": _maybe(st.sampled_from([1_600_000_000, -1, 2**70, "x"])), "content": _maybe(texts),
}, optional={"subject": json_values, "sender_email": json_values})


@INGEST
@given(_maybe(st.lists(zulip_message, max_size=6)), json_values)
def test_zulip_archives(messages: Any, topic_data: Any) -> None:
    index = {"streams": {"general": {"id": 1, "topic_data": {"roses": topic_data}}}}
    _ingest({"stream_index.json": json.dumps(index).encode(),
             "1-general/roses.json": json.dumps(messages).encode()})


github_comment = st.fixed_dictionaries({
    "id": _maybe(st.sampled_from(["DC_1", "DC_2"])), "bodyHTML": _maybe(texts),
    "author": _maybe(st.fixed_dictionaries({"login": json_values, "__typename": json_values})),
    "createdAt": _maybe(st.sampled_from(["2024-01-09T11:00:00Z", "bad", "9999-01-01T00:00:00Z"])),
}, optional={"replies": json_values, "upvoteCount": json_values, "isAnswer": json_values})


@INGEST
@given(_maybe(st.lists(github_comment, max_size=4)), json_values, json_values)
def test_github_discussions(comments: Any, answer: Any, category: Any) -> None:
    node = {"id": "D_1", "number": 1, "title": "t", "bodyHTML": "<p>q</p>",
            "createdAt": "2024-01-01T10:00:00Z", "url": "https://github.com/acme/widgets/discussions/1",
            "upvoteCount": 1,
            "author": {"login": "ann", "__typename": "User"}, "category": category, "answer": answer,
            "comments": {"nodes": comments}}
    page = {"data": {"repository": {"discussions": {"pageInfo": {"hasNextPage": False}, "nodes": [node]}}}}
    _ingest({"widgets.json": json.dumps(page).encode()})


reddit_comment = st.fixed_dictionaries({
    "id": _maybe(st.sampled_from(["c1", "c2", "c3"])), "link_id": _maybe(st.just("t3_s")),
    "parent_id": _maybe(st.sampled_from(["t3_s", "t1_c1", "t1_zz"])),
    "author": _maybe(st.sampled_from(["alice", "[deleted]", "AutoModerator"])),
    "created_utc": _maybe(st.sampled_from([1_600_000_000, "1600000001", -5, 1e300])),
    "subreddit": _maybe(st.just("Example")), "body": _maybe(texts),
}, optional={"distinguished": json_values, "edited": json_values, "stickied": json_values})


@INGEST
@given(st.lists(_maybe(reddit_comment), max_size=6), junk_bytes)
def test_reddit_dumps(comments: list[Any], junk: bytes) -> None:
    data = b"".join(json.dumps(c).encode() + b"\n" for c in comments) + junk
    _ingest({"RC_2020-05.ndjson": data})


irc_line = st.one_of(
    st.tuples(st.sampled_from(["2020-05-01T10:00:00", "2020-13-45T99:00:00", "x"]), st.text(max_size=12),
              texts).map(lambda t: f"{t[0]}  <{t[1]}> {t[2]}"),
    st.tuples(st.sampled_from(["[10:00]", "[99:99]", "[2020-05-01 10:00:00]"]), st.text(max_size=12),
              texts).map(lambda t: f"{t[0]} <{t[1]}> {t[2]}"),
    st.text(max_size=60))


@INGEST
@given(st.lists(irc_line, max_size=10), st.booleans())
def test_irc_logs(lines: list[str], cut: bool) -> None:
    data = ("\n".join(lines) + ("" if cut else "\n")).encode("utf-8", "surrogatepass")
    _ingest({"#proj.2020-05-01.log": data})
