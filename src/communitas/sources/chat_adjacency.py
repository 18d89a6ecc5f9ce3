"""Who answers whom in a chat channel that has no (or few) explicit replies.

Chat exports (Discord CSV, old Slack exports) give a channel's messages in order but often no
reply links. The interaction network must still mean something, so every chat source derives
replies with the same two rules, applied per channel in time order (see ``docs/sources/discord.md``):

1. **Mention** — a message that names another member (``@name`` in Discord, ``<@U123>`` in
   Slack) is addressed to the first member it names (not the author). It replies to that
   member's latest message in the current conversation, if there is one.
2. **Adjacency** — otherwise, a message replies to the message just before it in the channel
   when that message is by *another* member and at most :data:`REPLY_GAP_S` seconds older.
   A second line by the same speaker (a burst) replies to no one: one turn, one reply.

Messages are grouped into conversations (``threads``): a new conversation starts when a channel
has been silent for more than :data:`CONVERSATION_GAP_S` seconds.

Limits: adjacency guesses. In a busy channel two conversations interleave and a line may be
attributed to the wrong previous speaker; a late answer (after the gap) is lost; a mention of
someone only "for information" counts as addressing them. These errors are local (one edge
per message at most) and the rules are the same on every platform, so comparisons hold.
"""

from __future__ import annotations

from dataclasses import dataclass, field

REPLY_GAP_S = 5 * 60
CONVERSATION_GAP_S = 30 * 60


@dataclass(frozen=True)
class Turn:
    """What the rules decided for one message."""

    new_conversation: bool
    reply_to_post_id: str | None
    reply_to_member_id: str | None
    rule: str  # "mention", "adjacency" or "" (no reply)


@dataclass
class ChannelFlow:
    """The turn-taking state of one channel; feed it messages in time order with :meth:`step`.

    >>> flow = ChannelFlow()
    >>> flow.step(0, "ann", "p1")
    Turn(new_conversation=True, reply_to_post_id=None, reply_to_member_id=None, rule='')
    >>> flow.step(60, "bob", "p2")
    Turn(new_conversation=False, reply_to_post_id='p1', reply_to_member_id='ann', rule='adjacency')
    >>> flow.step(120, "bob", "p3").rule   # a second line by the same speaker: no reply
    ''
    >>> flow.step(4000, "cid", "p4", ["bob"])  # after 30 min silence: new conversation
    Turn(new_conversation=True, reply_to_post_id=None, reply_to_member_id='bob', rule='mention')
    """

    reply_gap_s: float = REPLY_GAP_S
    conversation_gap_s: float = CONVERSATION_GAP_S
    last_at: float | None = None
    last_author: str | None = None
    last_post: str | None = None
    # member -> their latest post in the current conversation (reset with each conversation)
    latest: dict[str, str] = field(default_factory=dict)

    def step(self, at: float, author: str | None, post_id: str,
             mentioned: list[str] | None = None) -> Turn:
        """Decide the reply target of the message ``post_id`` by ``author`` at ``at`` seconds."""
        gap = None if self.last_at is None else at - self.last_at
        new = gap is None or gap > self.conversation_gap_s
        if new:
            self.latest = {}
        turn = self._target(new, gap, author, mentioned or [])
        self.last_at = at if self.last_at is None else max(at, self.last_at)
        self.last_author, self.last_post = author, post_id
        if author is not None:
            self.latest[author] = post_id
        return turn

    def _target(self, new: bool, gap: float | None, author: str | None, mentioned: list[str]) -> Turn:
        for member in mentioned:
            if member != author:
                return Turn(new, self.latest.get(member), member, "mention")
        if (not new and gap is not None and gap <= self.reply_gap_s and author is not None
                and self.last_author is not None and self.last_author != author):
            return Turn(new, self.last_post, self.last_author, "adjacency")
        return Turn(new, None, None, "")
