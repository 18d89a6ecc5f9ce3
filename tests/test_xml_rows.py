"""The columnar ``<row>`` reader: batching, missing attributes, entities, bad lines."""

from __future__ import annotations

import gzip
import io

import pytest
from tests.conftest import data_path, raw_rows

from communitas.sources.xml_rows import CHUNK, iter_row_columns


def _doc(rows: list[bytes]) -> bytes:
    return b'<?xml version="1.0" encoding="utf-8"?>\n<votes>\n' + b"".join(rows) + b"</votes>\n"


Batches = list[dict[str, list[str | None]]]


def _read(doc: bytes, fields: tuple[str, ...], **kw: int | str) -> tuple[Batches, list[int]]:
    bad: list[int] = []
    batches = [{k: v.to_pylist() for k, v in cols.items()}
               for cols in iter_row_columns(io.BytesIO(doc), "Votes.xml", bad.append, fields,
                                                **kw)]  # type: ignore[arg-type]
    return batches, bad


def test_rows_come_in_order_in_batches_of_the_asked_size() -> None:
    rows = [f'  <row Id="{i}" PostId="{i * 7}" />\n'.encode() for i in range(1, 60_001)]
    batches, bad = _read(_doc(rows), ("Id", "PostId"), batch_rows=25_000)
    assert bad == []
    # a batch is cut after the 1 MiB piece that fills it: at least 25,000 rows, bounded above
    assert len(batches) > 1 and all(len(b["Id"]) >= 25_000 for b in batches[:-1])
    ids = [int(i) for b in batches for i in b["Id"]]  # type: ignore[arg-type]
    assert ids == list(range(1, 60_001))
    assert [int(p) for b in batches for p in b["PostId"]] == [i * 7 for i in ids]  # type: ignore[arg-type]


def test_missing_attributes_are_null_and_other_elements_are_not_rows() -> None:
    doc = _doc([b'<row Id="1" UserId="5" />', b'<note Id="9" />', b'<row Id="2" BountyAmount="50" />'])
    batches, _ = _read(doc, ("Id", "UserId", "BountyAmount"))
    assert batches == [{"Id": ["1", "2"], "UserId": ["5", None], "BountyAmount": [None, "50"]}]


def test_entities_and_character_references_are_decoded() -> None:
    doc = _doc([b'<row Id="1" Text="a &amp; b &lt;p&gt; &quot;q&quot; &#xA;caf&#233;" />'])
    batches, _ = _read(doc, ("Id", "Text"))
    assert batches[0]["Text"] == ['a & b <p> "q" \ncafé']


def test_a_whole_chunk_of_bad_lines_is_skipped_and_reading_goes_on() -> None:
    """More than one read chunk of lines that are not UTF-8, between good rows."""
    bad_line = b'  <row Id="0" Text="\xff\xfe" />\n'
    n_bad = CHUNK // len(bad_line) + 100
    rows = [b'  <row Id="1" />\n', bad_line * n_bad, b'  <row Id="2" />\n']
    batches, bad = _read(_doc(rows), ("Id",))
    assert [i for b in batches for i in b["Id"]] == ["1", "2"]
    assert sum(bad) == n_bad


def test_a_dropped_attribute_is_cut_at_attribute_starts_only() -> None:
    """" Text=" inside another value is not an attribute start; rows written otherwise than
    the dumps (single quotes, a tab) are parsed whole; the other fields are never changed."""
    doc = _doc([
        b'  <row Id="1" Comment=" Text=" Text="big &amp; &lt;b&gt;" UserId="5" />\n',
        b"  <row Id='2' Text='kept, single quotes' UserId='6' />\n",
        b'  <row Id="3"\tText="kept, tab" Comment="c" />\n',
        b'  <row Text="first" Id="4" />\n',
    ])
    fields = ("Id", "Comment", "UserId")
    assert _read(doc, fields, drop="Text") == _read(doc, fields)
    assert _read(doc, fields, drop="Text")[0][0]["Comment"] == [" Text=", None, "c", None]
    with pytest.raises(ValueError, match="wanted field"):
        _read(doc, fields, drop="Comment")


def test_dropping_revision_text_changes_nothing_on_a_real_post_history() -> None:
    """beer's PostHistory (Text: most of its bytes) read with and without the cut: same columns,
    equal to the attributes the standard library reads."""
    fields = ("Id", "PostHistoryTypeId", "PostId", "CreationDate", "UserId", "Comment")
    path = data_path("stackexchange-beer", "PostHistory.xml.gz")
    read = {}
    for drop in (None, "Text"):
        with gzip.open(path, "rb") as fh:
            batches = list(iter_row_columns(fh, path.name, print, fields, drop=drop))
        read[drop] = {f: [v for b in batches for v in b[f].to_pylist()] for f in fields}
    assert read["Text"] == read[None]
    rows = raw_rows("stackexchange-beer", "PostHistory")
    assert len(rows) == 9071 and sum(r.get("Text") is not None for r in rows) == 7770  # stats.json; grep
    assert read["Text"] == {f: [r.get(f) for r in rows] for f in fields}
