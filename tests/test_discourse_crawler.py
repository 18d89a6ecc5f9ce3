"""The crawler against a fake Discourse that serves the Ask.CI sample in the real API's shape
(through httpx.MockTransport, and once over a real socket on 127.0.0.1), then ingested."""

from __future__ import annotations

import copy
import gzip
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from tests.conftest import data_path

from communitas.sources.discourse_crawler import STATE_FILE, CrawlError, crawl
from communitas.store import Workspace

BASE = "https://forum.example.org"


def _askci_topics() -> dict[int, dict[str, Any]]:
    out = {}
    for p in sorted(data_path("discourse-askci", "topics").glob("*-post-*.json.gz")):
        t = json.loads(gzip.decompress(p.read_bytes()))
        out[t["id"]] = t
    return out


class FakeDiscourse:
    """Answers ``/latest.json``, ``/t/<id>.json``, ``/t/<id>/posts.json``, ``/categories.json``."""

    def __init__(self, topics: dict[int, dict[str, Any]], chunk: int = 5, per_page: int = 30) -> None:
        self.topics = topics
        self.chunk = chunk
        self.per_page = per_page
        self.log: list[str] = []
        self.queries: list[tuple[str, dict[str, list[str]]]] = []
        self.agents: set[str] = set()
        self.throttle: dict[str, int] = {}  # path -> Retry-After seconds, answered 429 once
        self.fail_after: int | None = None

    def _bumped(self, t: dict[str, Any]) -> str:
        return max(p["created_at"] for p in t["post_stream"]["posts"])

    def _summary(self, t: dict[str, Any]) -> dict[str, Any]:
        posts = t["post_stream"]["posts"]
        return {"id": t["id"], "title": t["title"], "pinned": False, "posts_count": len(posts),
                "highest_post_number": max(p["post_number"] for p in posts), "bumped_at": self._bumped(t)}

    def respond(self, path: str, query: dict[str, list[str]], agent: str) -> tuple[int, dict[str, str], Any]:
        self.log.append(path)
        self.queries.append((path, query))
        self.agents.add(agent)
        if path in self.throttle:
            return 429, {"Retry-After": str(self.throttle.pop(path))}, {"errors": ["slow down"]}
        if path == "/categories.json":
            cats = [{"id": 26, "name": "Q&A", "slug": "q-a"}, {"id": 23, "name": "Open-ended", "slug": "oe"}]
            return 200, {}, {"category_list": {"categories": cats}}
        if path == "/latest.json":
            return 200, {}, self._latest(int(query.get("page", ["0"])[0]))
        parts = path.strip("/").split("/")
        if parts[0] == "t" and len(parts) == 2 and parts[1].endswith(".json"):
            return self._topic(int(parts[1][:-5]))
        if parts[0] == "t" and len(parts) == 3 and parts[2] == "posts.json":
            wanted = {int(i) for i in query.get("post_ids[]", [])}
            posts = [p for p in self.topics[int(parts[1])]["post_stream"]["posts"] if p["id"] in wanted]
            return 200, {}, {"post_stream": {"posts": posts}}
        if parts[0] == "posts" and len(parts) == 2:
            pid = int(parts[1].removesuffix(".json"))
            for t in self.topics.values():
                for p in t["post_stream"]["posts"]:
                    if p["id"] == pid:
                        return 200, {}, {**p, "raw": f"markdown of {pid}"}
        return 404, {}, {"errors": ["not found"]}

    def _latest(self, page: int) -> dict[str, Any]:
        ordered = sorted(self.topics.values(), key=self._bumped, reverse=True)
        chunk = ordered[page * self.per_page:(page + 1) * self.per_page]
        listing: dict[str, Any] = {"topics": [self._summary(t) for t in chunk]}
        if (page + 1) * self.per_page < len(ordered):
            listing["more_topics_url"] = f"/latest?page={page + 1}"
        return {"users": [], "topic_list": listing}

    def _topic(self, tid: int) -> tuple[int, dict[str, str], Any]:
        if tid not in self.topics:
            return 404, {}, {"errors": ["not found"]}
        t = copy.deepcopy(self.topics[tid])
        posts = t["post_stream"]["posts"]
        t["post_stream"] = {"posts": posts[: self.chunk], "stream": [p["id"] for p in posts]}
        return 200, {}, t

    def transport(self) -> httpx.MockTransport:
        def handler(request: httpx.Request) -> httpx.Response:
            if self.fail_after is not None and len(self.log) >= self.fail_after:
                raise httpx.ConnectError("connection reset", request=request)
            status, headers, body = self.respond(request.url.path, parse_qs(request.url.query.decode()),
                                                 request.headers.get("user-agent", ""))
            return httpx.Response(status, headers=headers, json=body)

        return httpx.MockTransport(handler)


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def sleep(self, s: float) -> None:
        self.sleeps.append(s)
        self.now += s

    def __call__(self) -> float:
        self.now += 0.01  # each request takes a little time
        return self.now


def _crawl(fake: FakeDiscourse, out: Path, clock: FakeClock | None = None, **kw: Any) -> Any:
    clock = clock or FakeClock()
    with httpx.Client(transport=fake.transport()) as client:
        return crawl(BASE, out, client=client, sleep=clock.sleep, clock=clock, **kw)


@pytest.fixture(scope="module")
def askci() -> dict[int, dict[str, Any]]:
    return _askci_topics()


@pytest.fixture(scope="module")
def direct_counts(tmp_path_factory: pytest.TempPathFactory) -> dict[str, int]:
    with Workspace(tmp_path_factory.mktemp("direct") / "d.duckdb") as ws:
        return ws.ingest(data_path("discourse-askci")).counts


def _ingest(out: Path, store: Path) -> dict[str, int]:
    with Workspace(store) as ws:
        return ws.ingest(out).counts


def test_crawl_then_ingest_equals_direct_ingest(tmp_path: Path, askci: dict[int, dict[str, Any]],
                                                direct_counts: dict[str, int]) -> None:
    fake = FakeDiscourse(askci)
    fake.throttle["/latest.json"] = 7
    clock = FakeClock()
    report = _crawl(fake, tmp_path / "out", clock)
    pages = -(-len(askci) // 30)
    long_topics = sum(-(-max(len(t["post_stream"]["posts"]) - 5, 0) // 20) for t in askci.values())
    assert report.complete and report.topics_saved == len(askci) == 179
    assert report.retries == 1 and 7.0 in clock.sleeps  # the 429 was waited out, then retried
    assert report.requests == 1 + (pages + 1) + len(askci) + long_topics
    assert report.posts_fetched == 593
    # polite: between two requests at least 1 s (the default rate) passed on the clock
    assert sum(clock.sleeps) >= report.requests - 1 - 0.01 * report.requests
    assert all(a.startswith("communitas/") for a in fake.agents)
    got = _ingest(tmp_path / "out", tmp_path / "c.duckdb")
    for table in ("members", "threads", "thread_places", "posts", "reactions", "events", "places"):
        assert got[table] == direct_counts[table], table


def test_interrupted_crawl_resumes_where_it_stopped(tmp_path: Path, askci: dict[int, dict[str, Any]],
                                                    direct_counts: dict[str, int]) -> None:
    fake = FakeDiscourse(askci)
    fake.fail_after = 60
    with pytest.raises(CrawlError, match="run the same command again"):
        _crawl(fake, tmp_path / "out")
    state = json.loads((tmp_path / "out" / STATE_FILE).read_text())
    done_first = len(state["topics"])
    assert 40 <= done_first < 60 and not state["complete"]
    assert not list((tmp_path / "out").rglob("*.part"))
    fake.fail_after = None
    first_log = len(fake.log)
    report = _crawl(fake, tmp_path / "out")
    topic_fetches = [p for p in fake.log[first_log:] if p.count("/") == 2 and p.startswith("/t/")]
    assert report.complete and report.topics_saved == len(askci) - done_first == len(topic_fetches)
    assert report.topics_unchanged == done_first
    got = _ingest(tmp_path / "out", tmp_path / "r.duckdb")
    assert {k: got[k] for k in ("posts", "threads", "members", "events")} == {
        k: direct_counts[k] for k in ("posts", "threads", "members", "events")}


def test_second_run_is_incremental(tmp_path: Path, askci: dict[int, dict[str, Any]]) -> None:
    topics = copy.deepcopy(askci)
    fake = FakeDiscourse(topics)
    _crawl(fake, tmp_path / "out")
    before = len(fake.log)
    again = _crawl(fake, tmp_path / "out")
    assert fake.log[before:] == ["/categories.json", "/latest.json"]
    assert again.topics_saved == 0 and again.posts_fetched == 0 and again.complete
    # one new reply in an old topic, and one new topic
    old = topics[1018]["post_stream"]["posts"]
    old.append({**old[-1], "id": 99001, "post_number": 7, "created_at": "2019-10-20T00:00:00.000Z"})
    new_topic = copy.deepcopy(topics[32])
    new_topic["id"] = 5000
    for i, p in enumerate(new_topic["post_stream"]["posts"]):
        p.update(id=99100 + i, topic_id=5000, created_at=f"2019-10-21T00:00:0{i}.000Z")
    topics[5000] = new_topic
    before = len(fake.log)
    third = _crawl(fake, tmp_path / "out")
    assert third.topics_saved == 2 and third.posts_fetched == 1 + len(new_topic["post_stream"]["posts"])
    assert {p.split("/")[2].removesuffix(".json") for p in fake.log[before:] if p.startswith("/t/")} == {
        "1018", "5000"}
    asked = [q["post_ids[]"] for p, q in fake.queries[before:] if p == "/t/1018/posts.json"]
    assert asked == [["99001"]]  # only the new post of the old topic
    saved = json.loads((tmp_path / "out" / "t" / "1018.json").read_text())
    assert [p["post_number"] for p in saved["post_stream"]["posts"]] == [1, 2, 3, 4, 5, 6, 7]


def test_other_site_in_the_same_folder_is_refused(tmp_path: Path) -> None:
    (tmp_path / STATE_FILE).write_text(json.dumps({"base_url": "https://a.example.org", "topics": {}}))
    from communitas.errors import UsageError

    with pytest.raises(UsageError, match=r"holds a crawl of https://a\.example\.org"):
        crawl(BASE, tmp_path, client=httpx.Client(transport=FakeDiscourse({}).transport()))


@pytest.fixture
def loopback_server(askci: dict[int, dict[str, Any]]) -> Iterator[tuple[str, FakeDiscourse]]:
    fake = FakeDiscourse({tid: askci[tid] for tid in sorted(askci)[:12]}, per_page=5)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            url = urlsplit(self.path)
            status, headers, body = fake.respond(url.path, parse_qs(url.query),
                                                 self.headers.get("User-Agent", ""))
            data = json.dumps(body).encode()
            self.send_response(status)
            for k, v in {**headers, "Content-Type": "application/json"}.items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: Any) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", fake
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_real_socket_crawl_with_the_cli(tmp_path: Path, loopback_server: tuple[str, FakeDiscourse]) -> None:
    from communitas.cli.app import main

    url, fake = loopback_server
    fake.throttle["/t/" + str(sorted(fake.topics)[0]) + ".json"] = 1
    out = tmp_path / "site"
    main(["crawl", "discourse", url, str(out), "--rate", "50", "--json"])
    assert len(fake.log) < 40  # bounded: 1 + 3 pages + 12 topics + 1 retry + a few post chunks
    assert all("communitas/" in a for a in fake.agents)
    store = tmp_path / "s.duckdb"
    main(["ingest", str(out), "--store", str(store), "--json"])
    expected = sum(1 for t in fake.topics.values() for p in t["post_stream"]["posts"] if p["post_type"] == 1)
    with Workspace(store, read_only=True) as ws:
        assert ws.counts()["posts"] == expected
        assert ws.counts()["threads"] == 12
        assert ws.sources()["source_id"].tolist() == [f"discourse:127.0.0.1-{urlsplit(url).port}"]


def test_unreachable_site_is_one_line_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from communitas.cli.app import main

    with pytest.raises(SystemExit) as exit_info:
        main(["crawl", "discourse", "http://127.0.0.1:9", str(tmp_path / "o"), "--json"])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "network error" in err and "127.0.0.1:9/categories.json" in err


def test_raw_markdown_is_fetched_once_per_new_post(tmp_path: Path, askci: dict[int, dict[str, Any]]) -> None:
    topics = copy.deepcopy({tid: askci[tid] for tid in (32, 1018, 1076)})
    fake = FakeDiscourse(topics)
    report = _crawl(fake, tmp_path / "out", raw=True)
    n_posts = sum(len(t["post_stream"]["posts"]) for t in topics.values())
    assert sum(p.startswith("/posts/") for p in fake.log) == n_posts == report.posts_fetched
    old = topics[1018]["post_stream"]["posts"]
    old.append({**old[-1], "id": 99001, "post_number": 7, "created_at": "2019-10-20T00:00:00.000Z"})
    before = len(fake.log)
    _crawl(fake, tmp_path / "out", raw=True)
    assert [p for p in fake.log[before:] if p.startswith("/posts/")] == ["/posts/99001.json"]
    with Workspace(tmp_path / "s.duckdb") as ws:
        ws.ingest(tmp_path / "out")
        bodies = ws.con.execute("SELECT native_id, body FROM posts").fetchall()
    assert len(bodies) == n_posts + 1 - 1  # topic 32's pinned notice is an event
    assert all(body == f"markdown of {pid}" for pid, body in bodies)
