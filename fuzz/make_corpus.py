"""Write the seed corpora of the fuzz harnesses: small synthetic inputs, pseudonymous identities.

Run: ``python fuzz/make_corpus.py`` (writes fuzz/corpus/mbox and fuzz/corpus/stackexchange).
"""

from __future__ import annotations

import base64
import gzip
from pathlib import Path

HERE = Path(__file__).parent / "corpus"
FROM = b"From alice@example.org Mon Jan  3 10:30:36 2022\n"


def _msg(n: int, extra: bytes = b"", body: bytes = b"Hello list.\n",
         sender: bytes = b"Alice <alice@example.org>") -> bytes:
    return (b"From: " + sender + b"\nDate: Mon, 3 Jan 2022 10:3%d:36 +0000\n" % n
            + b"Subject: Re: [demo] question %d\nMessage-ID: <%d@example.org>\n" % (n, n)
            + (b"In-Reply-To: <%d@example.org>\nReferences: <%d@example.org>\n" % (n - 1, n - 1)
               if n else b"")
            + extra + b"\n" + body)


MULTIPART = (b'Content-Type: multipart/mixed; boundary="XX"\n',
             b"--XX\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n"
             b"\nCaf=C3=A9 ok\n> quoted\n-- \nsig\n--XX\n"
             b"Content-Type: application/octet-stream\nContent-Transfer-Encoding: base64\n\n"
             + base64.encodebytes(b"\x00\x01binary") + b"--XX--\n")
HTML = (b'Content-Type: text/html; charset="iso-8859-1"\n', b"<p>Gr=FC=DFe<br>bob</p>\n")
B64 = (b"Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64\n",
       base64.encodebytes("Grüße from Bob\n".encode()))
LATIN1 = (b"", "Voilà, ça marche.\n".encode("latin-1"))
WRAPPED = (b"Content-Type: message/rfc822\n",
           b"From: Carol <carol@example.org>\nSubject: inner\n\nInner text\n")


def mbox_seeds() -> dict[str, bytes]:
    thread = b"".join(FROM + _msg(i) + b"\n" for i in range(3))
    kinds = (MULTIPART, HTML, B64, LATIN1, WRAPPED)
    rich = b"".join(FROM + _msg(i, *parts) + b"\n" for i, parts in enumerate(kinds))
    relay = FROM + _msg(0, b"X-Original-From: Dave <dave@example.org>\nList-Id: Demo <demo.example.org>\n",
                        sender=b"Dave via demo <demo@example.org>") + b"\n"
    pipermail = (b"From dave at example.org  Thu Mar  3 18:20:35 2016\nFrom: dave at example.org (Dave)\n"
                 b"Date: Thu, 03 Mar 2016 18:20:35 +0000\nSubject: [demo] hi\n\nbody\n\n")
    crlf = thread.replace(b"\n", b"\r\n")
    message = FROM + _msg(1, *MULTIPART)
    return {"parse-multipart": b"\x00" + message, "parse-latin1": b"\x00" + FROM + _msg(1, *LATIN1),
            "read-thread": b"\x01" + thread, "read-rich": b"\x01" + rich, "read-relay": b"\x01" + relay,
            "read-pipermail": b"\x01" + pipermail, "read-crlf": b"\x01" + crlf,
            "read-gzip": b"\x01" + gzip.compress(thread, mtime=0)}


SE_ROWS = {
    "badges": b'<row Id="1" UserId="2" Name="Teacher" Date="2022-01-03T10:30:36.123" Class="3"'
              b' TagBased="False" />',
    "comments": b'<row Id="1" PostId="1" Score="2" Text="Nice &amp; clear"'
                b' CreationDate="2022-01-03T10:30:36.123" UserId="3" />',
    "posthistory": b'<row Id="1" PostHistoryTypeId="10" PostId="1" RevisionGUID="x" CreationDate='
                   b'"2022-01-03T10:30:36.123" UserId="2" Comment="101" Text="old text" />',
    "postlinks": b'<row Id="1" CreationDate="2022-01-03T10:30:36.123" PostId="1" RelatedPostId="2"'
                 b' LinkTypeId="3" />',
    "posts": b'<row Id="1" PostTypeId="1" AcceptedAnswerId="2" CreationDate="2022-01-03T10:30:36.123"'
             b' Score="3" ViewCount="10" Body="&lt;p&gt;How?&lt;/p&gt;" OwnerUserId="2" LastActivityDate='
             b'"2022-01-04T10:30:36.123" Title="A question" Tags="&lt;ale&gt;&lt;hops&gt;" AnswerCount="1"'
             b' CommentCount="0" ClosedDate="2022-02-01T00:00:00.000" />\n'
             b'  <row Id="2" PostTypeId="2" ParentId="1" CreationDate="2022-01-03T11:30:36.123" Score="1"'
             b' Body="&lt;p&gt;So.&lt;/p&gt;" OwnerUserId="3" CommentCount="0" />',
    "tags": b'<row Id="1" TagName="ale" Count="4" ExcerptPostId="3" WikiPostId="4" />',
    "users": b'<row Id="2" Reputation="101" CreationDate="2022-01-01T10:30:36.123" DisplayName="Alice"'
             b' LastAccessDate="2022-03-01T10:30:36.123" AccountId="77" />',
    "votes": b'<row Id="1" PostId="1" VoteTypeId="8" UserId="2" CreationDate="2022-01-03T00:00:00.000"'
             b' BountyAmount="50" />',
}


def stackexchange_seeds() -> dict[str, bytes]:
    keys = sorted(SE_ROWS)
    out = {}
    for key, row in SE_ROWS.items():
        root = key.encode()
        doc = b'<?xml version="1.0" encoding="utf-8"?>\n<' + root + b">\n  " + row + b"\n</" + root + b">\n"
        out[key] = bytes([keys.index(key)]) + doc
        # an odd second byte: well-formed rows drawn by the harness from the bytes that follow
        out[f"rows-{key}"] = bytes([keys.index(key), 1, *range(3, 64)])
    return out


def main() -> None:
    for name, seeds in (("mbox", mbox_seeds()), ("stackexchange", stackexchange_seeds())):
        folder = HERE / name
        folder.mkdir(parents=True, exist_ok=True)
        for stem, data in seeds.items():
            (folder / stem).write_bytes(data)


if __name__ == "__main__":
    main()
