"""One Slack export message -> canonical rows: a post, a membership event or a system event.

Every message object of a channel's day file ends in exactly one of three places (see
``docs/sources/slack.md``): a ``posts`` row (:data:`CONTRIBUTION_SUBTYPES`), an ``events``
row of category membership (:data:`MEMBERSHIP_SUBTYPES`) or system (every other subtype, known
or not), or a counted skip (no valid ``ts``, no author).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from communitas.sources.base import ReadContext
from communitas.sources.chat_adjacency import ChannelFlow
from communitas.sources.chat_rows import ChatRows, iso_from_epoch, whole_count

CONTRIBUTION_SUBTYPES = {None, "file_share", "file_comment", "bot_message", "me_message",
                         "thread_broadcast", "reply_broadcast", "file_mention"}
MEMBERSHIP_SUBTYPES = {"channel_join": "join", "channel_leave": "leave", "group_join": "join",
                       "group_leave": "leave"}
# System subtypes whose new value is worth keeping as the event's detail (when bodies are kept).
DETAIL_FIELDS = {"channel_topic": "topic", "channel_purpose": "purpose", "group_topic": "topic",
                 "group_purpose": "purpose", "channel_name": "name", "group_name": "name"}
SLACKBOT = "USLACKBOT"  # Slack's own system account (reminders, automatic responses)
_MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")


@dataclass
class ChannelState:
    """What one channel remembers while its day files are read in order."""

    channel_id: str
    place_id: str
    flow: ChannelFlow = field(default_factory=ChannelFlow)
    parents: dict[str, str] = field(default_factory=dict)  # thread_ts -> thread id (platform threads)


@dataclass
class SlackMessages:
    """Maps messages to rows; holds the workspace-wide state (files shared, unknown subtypes)."""

    ctx: ReadContext
    out: ChatRows
    files: dict[str, tuple[str, str | None]] = field(default_factory=dict)  # file id -> (post, owner)
    unknown_subtypes: set[str] = field(default_factory=set)
    listed: dict[str, bool] = field(default_factory=dict)  # users.json: user id -> is_bot
    bot_signs: set[str] = field(default_factory=set)  # unlisted users who posted as an app only
    person_signs: set[str] = field(default_factory=set)  # unlisted users with a user_profile

    def message(self, msg: Any, chan: ChannelState, label: str) -> None:
        if not isinstance(msg, dict):
            self.ctx.skip(label, "entry is not a JSON object")
            return
        ts = str(msg.get("ts") or "")
        seconds = _seconds(ts)
        if seconds is None:
            self.ctx.skip(label, "message without a valid ts")
            return
        subtype = msg.get("subtype")
        subtype = subtype if subtype is None or isinstance(subtype, str) else "not_a_name"  # a broken export
        author = self._author(msg, subtype, subtype in CONTRIBUTION_SUBTYPES)
        native = f"{chan.channel_id}:{ts}"
        if subtype in CONTRIBUTION_SUBTYPES:
            if author is None:
                self.ctx.skip(label, "message without user or bot_id")
                return
            self._post(msg, subtype, ts, seconds, author, native, chan)
            return
        category, kind = ("membership", MEMBERSHIP_SUBTYPES[subtype]) if subtype in MEMBERSHIP_SUBTYPES \
            else ("system", str(subtype))
        if category == "system" and subtype not in DETAIL_FIELDS and subtype not in _KNOWN_SYSTEM:
            self.unknown_subtypes.add(str(subtype))
        inviter = msg.get("inviter")
        detail = msg.get(DETAIL_FIELDS[subtype]) if subtype in DETAIL_FIELDS else None
        self.out.event(native=native, category=category, kind=kind, at=iso_from_epoch(seconds),
                       member_id=author, place_id=chan.place_id,
                       target_id=self.out.id("u", inviter) if isinstance(inviter, str) else None,
                       detail=str(detail) if detail is not None and self.ctx.keep_bodies else None)
        if author is not None:
            self.out.member(author).seen(seconds)
        n = sum(len(r.get("users") or []) or whole_count(r.get("count"))
                for r in msg.get("reactions") or [] if isinstance(r, dict))
        if n:
            self.ctx.skip(label, "reaction on a join/system message (not a post)", n)

    def _author(self, msg: dict[str, Any], subtype: Any, posting: bool) -> str | None:
        """The member behind a message: ``comment.user`` of a file comment, else ``user``, else
        the integration ``bot_id`` (a bot member ``b:<bot_id>``). A ``bot_id`` beside a ``user``
        (a person's slash command, an app posting for them) says nothing about the user: whether
        a user is a bot is settled at the end, by :meth:`settle_bots`."""
        user = msg.get("user")
        if subtype == "file_comment" and isinstance(msg.get("comment"), dict):
            user = msg["comment"].get("user") or user
        bot_id = msg.get("bot_id")
        if isinstance(user, str) and user:
            member_id = self.out.id("u", user)
            info = self.out.member(member_id)
            profile = msg.get("user_profile")
            if isinstance(profile, dict) and user == msg.get("user"):  # Slack adds it for people
                self.person_signs.add(user)
                name = profile.get("real_name") or profile.get("display_name") or profile.get("name")
                if name and info.display_name is None:
                    info.display_name = str(name)
            elif posting and (subtype == "bot_message" or isinstance(msg.get("bot_profile"), dict)):
                self.bot_signs.add(user)
            return member_id
        if isinstance(bot_id, str) and bot_id:
            member_id = self.out.id("b", bot_id)
            info = self.out.member(member_id, is_bot=True)
            name = msg.get("username") or (msg.get("bot_profile") or {}).get("name")
            if name and info.display_name is None:
                info.display_name = str(name)
            return member_id
        return None

    def settle_bots(self) -> None:
        """Which ``u:`` members are bots (call once, after every message). ``USLACKBOT`` is a
        bot and the system account; a user in users.json is a bot when it says ``is_bot``; a user
        it does not list is a bot when its id is a bot id (``B...``), or when it posted as an app
        (``subtype: bot_message`` or a ``bot_profile``) and never carried a ``user_profile``."""
        prefix = self.out.id("u", "")
        for member_id, info in self.out.members.items():
            if not member_id.startswith(prefix):
                continue
            user = member_id[len(prefix):]
            if user == SLACKBOT:
                info.is_bot = info.is_system = True
            elif user in self.listed:
                info.is_bot = self.listed[user]
            else:
                info.is_bot = user.startswith("B") or (
                    user in self.bot_signs and user not in self.person_signs)

    def _post(self, msg: dict[str, Any], subtype: Any, ts: str, seconds: float, author: str,
              native: str, chan: ChannelState) -> None:
        at = iso_from_epoch(seconds)
        text = str(msg.get("text") or "")
        reply_post = reply_member = None
        if subtype == "file_comment" and isinstance(msg.get("comment"), dict):
            text = str(msg["comment"].get("comment") or "")
            reply_post, reply_member = self._file_target(msg.get("file"), author)
        thread_ts = msg.get("thread_ts")
        if isinstance(thread_ts, str) and thread_ts != ts:  # a reply in a Slack thread
            thread_id = chan.parents.get(thread_ts)
            if thread_id is None:  # its parent is not in the export: the thread starts here
                thread_id = chan.parents[thread_ts] = self.out.id("t", f"{chan.channel_id}:{thread_ts}")
                self.out.thread(thread_id, f"{chan.channel_id}:{thread_ts}", chan.place_id, at, None, None)
            post_id = self.out.message(native=native, place_id=chan.place_id, at=at, seconds=seconds,
                                       author=author, text=text, flow=None, thread_id=thread_id,
                                       reply_post=self.out.id("p", f"{chan.channel_id}:{thread_ts}"))
        else:
            mentioned = [self.out.id("u", u) for u in _MENTION.findall(text)]
            post_id = self.out.message(native=native, place_id=chan.place_id, at=at, seconds=seconds,
                                       author=author, text=text, flow=chan.flow, mentioned=mentioned,
                                       reply_post=reply_post, reply_member=reply_member)
            if msg.get("replies") or msg.get("reply_count") or thread_ts == ts:
                chan.parents[ts] = self.out.threads[chan.place_id]
        if subtype == "file_share" and isinstance(msg.get("file"), dict) and msg["file"].get("id"):
            owner = msg["file"].get("user")
            self.files[str(msg["file"]["id"])] = (post_id, self.out.id("u", owner) if owner else None)
        self._reactions(msg, native, post_id)

    def _file_target(self, file: Any, author: str) -> tuple[str | None, str | None]:
        """A file comment replies to the post that shared the file, else to the file's owner."""
        if not isinstance(file, dict):
            return None, None
        shared = self.files.get(str(file.get("id")))
        if shared is not None and shared[1] != author:
            return shared
        owner = file.get("user")
        member = self.out.id("u", owner) if isinstance(owner, str) else None
        return None, member if member != author else None

    def _reactions(self, msg: dict[str, Any], native: str, post_id: str) -> None:
        for r in msg.get("reactions") or []:
            if not isinstance(r, dict):
                continue
            kind = str(r.get("name") or "?")
            users = [self.out.id("u", u) for u in r.get("users") or [] if isinstance(u, str)]
            for i, who in enumerate(users, 1):
                self.out.reaction(native=f"{native}:{kind}:{i}", post_id=post_id, member_id=who,
                                  kind=kind, at=None)
                self.out.member(who)
            rest = whole_count(r.get("count")) - len(users)  # counted, not named: one row for them all
            if rest > 0:
                self.out.reaction(native=f"{native}:{kind}:+", post_id=post_id, member_id=None,
                                  kind=kind, at=None, count=float(rest))


_KNOWN_SYSTEM = {"channel_archive", "channel_unarchive", "group_archive", "group_unarchive",
                 "pinned_item", "unpinned_item", "bot_add", "bot_remove", "bot_enable",
                 "bot_disable", "reminder_add", "reminder_delete", "sh_room_created",
                 "tombstone", "joiner_notification", "channel_convert_to_private",
                 "huddle_thread", "app_conversation_leave", "slackbot_response"}


def _seconds(ts: str) -> float | None:
    """Slack ``ts`` (``"1435330110.000002"``, epoch seconds) -> float, or None."""
    try:
        value = float(ts)
    except ValueError:
        return None
    return value if 0 < value < 1e11 else None
