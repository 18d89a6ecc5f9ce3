"""A synthetic mailing-list archive shaped like the real usrp-users sample, at any size.

    .venv/bin/python benchmarks/mbox_synthetic.py MESSAGES OUT_DIR [--seed S]

Writes twelve monthly ``list-YYYY-MM.mbox.gz`` files (as a Mailman 3 list archive is kept), with
pseudonymous senders only (``member<n>@example.org``: no address of the real list is used). The
shape follows what ``../shared/data/mbox-usrp-users-2022`` shows when parsed with the standard
library (1,597 messages): message sizes (quantiles below, headers included: Mailman's List-*,
Received and DKIM headers weigh several KB), 77 % replies (In-Reply-To and References), 52 % with
quoted text, about 5 % with an attachment (the largest ones, as in the sample: their size is the
attachment's), one sender in nine messages, a few senders writing most.
"""

from __future__ import annotations

import argparse
import base64
import gzip
import itertools
import random
import string
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

# Message size (bytes, headers included) at these quantiles of the usrp sample.
SIZE_QUANTILES = [(0.0, 2500), (0.1, 6123), (0.25, 7906), (0.5, 11497), (0.75, 19529), (0.9, 46352),
                  (0.99, 378934), (1.0, 1_500_000)]
REPLY_SHARE, QUOTE_SHARE, MESSAGES_PER_SENDER = 0.77, 0.52, 9
ATTACH_ABOVE = 60_000  # bytes: larger messages carry an attachment (about 5 % of them, as in the sample)
WORDS = ["radio", "driver", "stream", "sample", "rate", "buffer", "clock", "gain", "antenna", "firmware",
         "image", "build", "error", "packet", "frequency", "tune", "host", "device", "board", "timing",
         "the", "a", "with", "when", "it", "is", "not", "to", "we", "and", "on", "in", "for", "this"]


def _size(rnd: random.Random) -> int:
    u = rnd.random()
    for (q0, s0), (q1, s1) in itertools.pairwise(SIZE_QUANTILES):
        if u <= q1:
            return int(s0 * (s1 / s0) ** ((u - q0) / (q1 - q0)))  # log-linear between quantiles
    return SIZE_QUANTILES[-1][1]


def _text_block(rnd: random.Random, size: int) -> str:
    lines, line = [], []
    total = 0
    while total < size:
        w = rnd.choice(WORDS)
        line.append(w)
        total += len(w) + 1
        if len(line) >= 11:
            lines.append(" ".join(line))
            line = []
    return "\n".join(lines) + "\n"


def _headers(i: int, sender: int, when: datetime, subject: str, parent: str | None) -> str:
    refs = f"In-Reply-To: {parent}\nReferences: {parent}\n" if parent else ""
    received = "".join(f"Received: from mx{k}.example.net (mx{k}.example.net [192.0.2.{k}])\n"
                       f"\tby lists.example.org (Postfix) with ESMTP id {i:X}{k}\n\tfor <list@example.org>; "
                       f"{format_datetime(when)}\n" for k in range(3))
    dkim = "DKIM-Signature: v=1; a=rsa-sha256; d=example.org; s=2022; b=" + "A" * 340 + "\n"
    return (f"From member{sender}@example.org {when.strftime('%a %b %d %H:%M:%S %Y')}\n{received}{dkim}"
            f"From: Member {sender} <member{sender}@example.org>\nTo: list@example.org\n"
            f"Subject: {subject}\nDate: {format_datetime(when)}\nMessage-ID: <{i}.synth@example.org>\n{refs}"
            "List-Id: Synthetic users' list <list.example.org>\n"
            "List-Help: <mailto:list-request@example.org>\n"
            "List-Post: <mailto:list@example.org>\nList-Unsubscribe: <mailto:list-leave@example.org>\n"
            "MIME-Version: 1.0\n")


def write(n: int, out: Path, seed: int = 7) -> list[Path]:
    """Write ``n`` messages into twelve monthly gzip'd mbox files in ``out``."""
    rnd = random.Random(seed)
    out.mkdir(parents=True, exist_ok=True)
    senders = max(2, n // MESSAGES_PER_SENDER)
    text = _text_block(rnd, 4_000_000)
    blob = base64.encodebytes(rnd.randbytes(3_000_000)).decode()
    start = datetime(2022, 1, 1, tzinfo=UTC)
    threads: list[tuple[str, str]] = []  # (message id, subject) of recent messages
    files, per_file = [], -(-n // 12)
    for month in range(12):
        path = out / f"list-2022-{month + 1:02d}.mbox.gz"
        files.append(path)
        with gzip.open(path, "wt", compresslevel=1, encoding="utf-8") as g:
            for i in range(month * per_file, min(n, (month + 1) * per_file)):
                when = start + timedelta(seconds=i * 365 * 86400 / n + rnd.random() * 600)
                sender = int(senders * rnd.random() ** 3)
                parent = None
                if threads and rnd.random() < REPLY_SHARE:
                    parent, subject = threads[-1 - int(len(threads) * rnd.random() ** 4)]
                    subject = subject if subject.startswith("Re: ") else "Re: " + subject
                else:
                    subject = "[list] " + " ".join(rnd.choices(WORDS[:20], k=5))
                head = _headers(i, sender, when, subject, parent)
                body_size = max(200, _size(rnd) - len(head))
                at = rnd.randrange(len(text) - 300_000)
                quote = ""
                if parent and rnd.random() < QUOTE_SHARE:
                    quoted = text[at:at + min(body_size // 3, 3000)].splitlines()
                    quote = "".join("> " + ln + "\n" for ln in quoted)
                if body_size > ATTACH_ABOVE:  # in the sample, the large messages are those with attachments
                    boundary = "".join(rnd.choices(string.ascii_letters, k=24))
                    size = min(body_size, len(blob) - 1)
                    body = (f'Content-Type: multipart/mixed; boundary="{boundary}"\n\n--{boundary}\n'
                            "Content-Type: text/plain; charset=utf-8\n\n"
                            f"{text[at:at + 800]}\n{quote}--{boundary}\n"
                            f'Content-Type: application/octet-stream; name="log.bin"\n'
                            f"Content-Transfer-Encoding: base64\n\n{blob[:size]}\n--{boundary}--\n")
                else:
                    body = f"Content-Type: text/plain; charset=utf-8\n\n{text[at:at + body_size]}\n{quote}"
                g.write(head + body + "\n")
                threads.append((f"<{i}.synth@example.org>", subject))
                if len(threads) > 500:
                    del threads[:100]
    return files


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("messages", type=int)
    ap.add_argument("out", type=Path)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    files = write(args.messages, args.out, args.seed)
    print(f"wrote {args.messages:,} messages in {len(files)} files, "
          f"{sum(p.stat().st_size for p in files) / 1e6:,.0f} MB on disk, to {args.out}")


if __name__ == "__main__":
    main()
