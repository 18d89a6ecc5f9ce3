"""A polite crawler of a Discourse site's public JSON API, writing what the Discourse source reads.

What it asks for, in order (the real API's paths, anonymous, read-only):

1. ``/categories.json`` → ``OUT_DIR/categories.json`` (names and parents of categories);
2. ``/latest.json?page=N`` (topics, most recently bumped first) until a page with no
   ``more_topics_url``, or — once a first pass has completed — until a page that reaches a topic
   already saved with the same ``highest_post_number`` (everything bumped earlier is unchanged);
3. for each new or changed topic, ``/t/<id>.json`` (the topic and the first chunk of its posts)
   and ``/t/<id>/posts.json?post_ids[]=…`` (20 at a time) for the posts of its ``stream`` that
   are not saved yet → ``OUT_DIR/t/<id>.json``, one topic file in the ``/t/<id>.json`` shape
   with every post saved so far.

Politeness: at most ``rate`` requests per second (default 1), one at a time; HTTP 429 is
answered by waiting ``Retry-After`` seconds (capped) and retrying; 5xx by backing off; the
User-Agent names communitas (and a contact, if given). Resumable: ``OUT_DIR/crawl.state`` records
each topic saved (its highest post number and last post id), written atomically after each topic,
so an interrupted crawl continues where it stopped; a finished one makes the next run incremental.
The crawler never prints: it reports through an optional callback.
"""

from __future__ import annotations

import email.utils
import json
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from communitas.errors import InputError, UsageError

STATE_FILE = "crawl.state"
SITE_FILE = "discourse-site.json"
POSTS_PER_REQUEST = 20
MAX_RETRIES = 5
MAX_RETRY_AFTER_S = 600.0
TIMEOUT_S = 30.0


class CrawlError(InputError):
    """The site could not be crawled (network, HTTP error, not a Discourse site)."""


@dataclass
class CrawlReport:
    """What one crawl did."""

    base_url: str
    out_dir: str
    requests: int = 0
    pages: int = 0
    topics_saved: int = 0
    topics_unchanged: int = 0
    posts_fetched: int = 0
    retries: int = 0
    waited_s: float = 0.0
    skipped: dict[str, int] = field(default_factory=dict)
    complete: bool = False

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def user_agent(contact: str | None = None) -> str:
    """The User-Agent sent with every request: names communitas and, if given, a contact."""
    try:
        from importlib.metadata import version

        ver = version("communitas")
    except Exception:  # not installed as a distribution
        ver = "dev"
    extra = f"; contact: {contact}" if contact else ""
    return f"communitas/{ver} (community-research crawler; polite, rate-limited{extra})"


def _retry_after(value: str | None, default: float) -> float:
    """Seconds to wait from a ``Retry-After`` header (seconds or an HTTP date).

    >>> _retry_after("7", 1.0), _retry_after(None, 3.0), _retry_after("soon", 2.0)
    (7.0, 3.0, 2.0)
    """
    if not value:
        return default
    if value.strip().isdigit():
        return float(value.strip())
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return default
    return max(0.0, when.timestamp() - time.time())


class _Polite:
    """One HTTP client, at most ``rate`` requests per second, 429/5xx handled."""

    def __init__(self, base_url: str, client: httpx.Client, rate: float, report: CrawlReport,
                 sleep: Callable[[float], None], clock: Callable[[], float]) -> None:
        self.base = base_url.rstrip("/")
        self.client = client
        self.interval = 1.0 / rate
        self.report = report
        self.sleep = sleep
        self.clock = clock
        self.last: float | None = None

    def _wait(self, seconds: float) -> None:
        if seconds > 0:
            self.sleep(seconds)
            self.report.waited_s += seconds

    def get(self, path: str, params: Any = None) -> Any | None:
        """The decoded JSON at ``path``; None for 403/404/410 (private or deleted)."""
        for attempt in range(MAX_RETRIES + 1):
            if self.last is not None:
                self._wait(self.last + self.interval - self.clock())
            self.last = self.clock()
            self.report.requests += 1
            try:
                resp = self.client.get(self.base + path, params=params)
            except httpx.TransportError as e:
                raise CrawlError(f"{self.base}{path}: network error ({e or type(e).__name__}). "
                                 "Check the URL and the connection; run the same command again "
                                 "to resume.") from None
            if resp.status_code == 429 or resp.status_code >= 500:
                if attempt == MAX_RETRIES:
                    break
                self.report.retries += 1
                default = 2.0 ** (attempt + 1)
                wait = _retry_after(resp.headers.get("Retry-After"), default) if resp.status_code == 429 \
                    else default
                self._wait(min(wait, MAX_RETRY_AFTER_S))
                continue
            if resp.status_code in (403, 404, 410):
                return None
            if resp.status_code != 200:
                break
            try:
                return resp.json()
            except ValueError:
                raise CrawlError(f"{self.base}{path}: the answer is not JSON; is {self.base} a "
                                 "Discourse site? Give its home URL.") from None
        raise CrawlError(f"{self.base}{path}: HTTP {resp.status_code} after {attempt + 1} tries. "
                         "The site may be down or refusing crawlers; try again later (the crawl "
                         "resumes where it stopped).")


def _write_json(path: Path, data: Any) -> None:
    """Write atomically: a crash leaves the old file or the new one, never half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part")
    tmp.write_text(json.dumps(data, ensure_ascii=False), "utf-8")
    os.replace(tmp, path)


def _load_state(out: Path, base_url: str) -> dict[str, Any]:
    path = out / STATE_FILE
    if not path.exists():
        return {"base_url": base_url, "complete": False, "topics": {}}
    try:
        state: dict[str, Any] = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        raise UsageError(f"{path}: the crawl state is damaged. Delete it to crawl again from the "
                         "start (saved topics are kept and re-checked).") from None
    if state.get("base_url") != base_url:
        raise UsageError(f"{out}: holds a crawl of {state.get('base_url')}, not {base_url}. "
                         "Use another OUT_DIR for another site.")
    return state


def _normalise(base_url: str) -> str:
    parts = urlsplit(base_url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise UsageError(f"{base_url!r} is not a site URL; give it like https://forum.example.org")
    return f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}"


class _Crawl:
    """One run: list topics, save the new and changed ones, keep the state."""

    def __init__(self, http: _Polite, out: Path, state: dict[str, Any], report: CrawlReport,
                 on_topic: Callable[[int, int], None] | None, raw: bool = False) -> None:
        self.raw = raw
        self.http = http
        self.out = out
        self.state = state
        self.report = report
        self.on_topic = on_topic

    def save_state(self) -> None:
        _write_json(self.out / STATE_FILE, self.state)

    def pages(self, max_pages: int | None) -> Iterator[list[dict[str, Any]]]:
        page = 0
        while max_pages is None or page < max_pages:
            data = self.http.get("/latest.json", params={"page": page})
            self.report.pages += 1
            topic_list = (data or {}).get("topic_list") or {}
            topics = [t for t in topic_list.get("topics") or [] if isinstance(t, dict)]
            if topics:
                yield topics
            if not topics or not topic_list.get("more_topics_url"):
                self.report.complete = True
                return
            page += 1

    def run(self, max_pages: int | None) -> None:
        incremental = bool(self.state.get("complete"))
        self.state["complete"] = False
        self.save_state()
        for topics in self.pages(max_pages):
            reached_old = False
            for summary in topics:
                if self.topic(summary):
                    continue
                self.report.topics_unchanged += 1
                reached_old = reached_old or not summary.get("pinned")
            if incremental and reached_old:
                self.report.complete = True
                break
        self.state["complete"] = self.report.complete
        self.save_state()

    def topic(self, summary: dict[str, Any]) -> bool:
        """Save one topic if it is new or changed; False when it is unchanged."""
        tid = summary.get("id")
        if not isinstance(tid, int):
            self.report.skipped["topic summary without an id"] = self.report.skipped.get(
                "topic summary without an id", 0) + 1
            return True
        known = self.state["topics"].get(str(tid))
        highest = summary.get("highest_post_number")
        if known is not None and isinstance(highest, int) and known["highest_post_number"] >= highest:
            return False
        data = self.http.get(f"/t/{tid}.json")
        if data is None or not isinstance(data.get("post_stream"), dict):
            key = "topic gone or private when fetched"
            self.report.skipped[key] = self.report.skipped.get(key, 0) + 1
            return True
        self._complete_posts(tid, data)
        posts = data["post_stream"]["posts"]
        _write_json(self.out / "t" / f"{tid}.json", data)
        self.state["topics"][str(tid)] = {
            "highest_post_number": max([highest if isinstance(highest, int) else 0,
                                        *(p.get("post_number", 0) for p in posts)]),
            "last_post_id": max((p["id"] for p in posts), default=0),
        }
        self.save_state()
        self.report.topics_saved += 1
        if self.on_topic is not None:
            self.on_topic(tid, len(posts))
        return True

    def _complete_posts(self, tid: int, data: dict[str, Any]) -> None:
        """Merge the saved posts and fetch those of the stream not seen yet, 20 per request."""
        stream = data["post_stream"]
        have: dict[int, dict[str, Any]] = {}
        saved = self.out / "t" / f"{tid}.json"
        if saved.exists():
            old = json.loads(saved.read_text("utf-8"))
            have.update({p["id"]: p for p in old.get("post_stream", {}).get("posts", [])})
        saved_ids = set(have)
        fresh = [p for p in stream.get("posts") or [] if isinstance(p, dict) and "id" in p]
        self.report.posts_fetched += sum(1 for p in fresh if p["id"] not in have)
        have.update({p["id"]: {**have.get(p["id"], {}), **p} for p in fresh})
        missing = [i for i in stream.get("stream") or [] if isinstance(i, int) and i not in have]
        for start in range(0, len(missing), POSTS_PER_REQUEST):
            chunk = missing[start:start + POSTS_PER_REQUEST]
            more = self.http.get(f"/t/{tid}/posts.json", params=[("post_ids[]", i) for i in chunk])
            got = ((more or {}).get("post_stream") or {}).get("posts") or []
            self.report.posts_fetched += len(got)
            have.update({p["id"]: p for p in got if isinstance(p, dict) and "id" in p})
        if self.raw:
            self._fetch_raw([p for i, p in have.items() if i not in saved_ids and "raw" not in p])
        stream["posts"] = sorted(have.values(), key=lambda p: (p.get("post_number") or 0, p["id"]))

    def _fetch_raw(self, posts: list[dict[str, Any]]) -> None:
        """The Markdown source of each new post, from ``/posts/<id>.json`` (one request each)."""
        for p in posts:
            full = self.http.get(f"/posts/{p['id']}.json")
            if full is not None and isinstance(full.get("raw"), str):
                p["raw"] = full["raw"]


def crawl(
    base_url: str,
    out_dir: str | Path,
    *,
    rate: float = 1.0,
    max_pages: int | None = None,
    contact: str | None = None,
    raw: bool = False,
    client: httpx.Client | None = None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    on_topic: Callable[[int, int], None] | None = None,
) -> CrawlReport:
    """Crawl ``base_url`` into ``out_dir`` (see the module docstring); resumable, incremental.

    ``rate`` is the most requests per second (default 1); ``max_pages`` bounds the listing pages
    read in this run; ``raw`` also fetches each new post's Markdown from ``/posts/<id>.json``
    (one request per post); ``client`` / ``sleep`` / ``clock`` are for tests.
    """
    if not rate > 0:
        raise UsageError(f"--rate must be above 0 requests per second, not {rate}.")
    base = _normalise(base_url)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    state = _load_state(out, base)
    report = CrawlReport(base, str(out))
    own = client is None
    http_client = client or httpx.Client(timeout=TIMEOUT_S, follow_redirects=True)
    http_client.headers["User-Agent"] = user_agent(contact)
    http_client.headers["Accept"] = "application/json"
    try:
        http = _Polite(base, http_client, rate, report, sleep, clock)
        _write_json(out / SITE_FILE, {"generator": "communitas", "base_url": base,
                                      "site": urlsplit(base).netloc.replace(":", "-")})
        categories = http.get("/categories.json")
        if categories is not None:
            _write_json(out / "categories.json", categories)
        _Crawl(http, out, state, report, on_topic, raw).run(max_pages)
    finally:
        if own:
            http_client.close()
    return report
