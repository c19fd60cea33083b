"""The formats hash-sharing partners send and read, detected from their content, and our exports read
back by our own parser. (That the field's tools write and read them is proven in tests/fieldtools.)"""

from __future__ import annotations

import io
import json

import pytest

from fingerprints import ExportRow, HashListError, parse_hash_list, write_hash_list

PDQ_A, PDQ_B = "f0" * 32, "0f" * 32
MD5, SHA256 = "0123456789abcdef" * 2, "ab" * 32


def _parse(text: str, **options: str) -> tuple[str, list[dict[str, str]], dict[str, int], list[tuple[int, str]]]:
    parsed = parse_hash_list(io.StringIO(text), **options)  # type: ignore[arg-type]
    return parsed.format, [e.hashes for e in parsed.entries], parsed.skipped, parsed.errors


def test_threatexchange_csv_keeps_media_hashes_and_counts_other_signal_types() -> None:
    text = ("signal_type,signal_str,collab,category,tags\n"
            f"pdq,{PDQ_A},Sample Data,POSITIVE_CLASS,\n"
            f"video_md5,{MD5},Sample Data,POSITIVE_CLASS,\n"
            f"video_sha256,{SHA256},Sample Data,POSITIVE_CLASS,\n"
            "url,https://example.test/x,Sample Data,POSITIVE_CLASS,\n"
            "raw_text,some words,Sample Data,POSITIVE_CLASS,\n")

    fmt, hashes, skipped, errors = _parse(text)

    assert fmt == "csv"  # read through the CSV reader, which recognises threatexchange's header
    assert hashes == [{"pdq": PDQ_A}, {"md5": MD5}, {"sha256": SHA256}]
    assert skipped == {"raw_text": 1, "url": 1} and errors == []
    [entry] = parse_hash_list(io.StringIO(text)).entries[:1]
    assert (entry.label, entry.source) == ("POSITIVE_CLASS", "Sample Data")


def test_threatexchange_lines_are_detected_and_a_bad_value_is_a_numbered_error() -> None:
    text = f"pdq {PDQ_A}\nvideo_md5 {MD5}\ntrend_query abc\npdq nothex\n\npdq {PDQ_B} 'collab' metadata\n"

    fmt, hashes, skipped, errors = _parse(text)

    assert fmt == "tx"
    assert hashes == [{"pdq": PDQ_A}, {"md5": MD5}, {"pdq": PDQ_B}]
    assert skipped == {"trend_query": 1}
    assert errors == [(4, "pdq must be 64 hex digits, got 6")]


def test_hma_bank_content_with_video_hashes() -> None:
    content = [{"id": 1, "bank": {"name": "BANK"}, "signals": {"pdq": PDQ_A}},
               {"id": 2, "signals": {"video_md5": MD5, "video_sha256": SHA256}},
               {"id": 3, "signals": {"url": "https://example.test/"}},
               {"id": 4, "nothing": True}]

    fmt, hashes, skipped, errors = _parse(json.dumps(content, indent=2))

    assert fmt == "hma"
    assert hashes == [{"pdq": PDQ_A}, {"md5": MD5, "sha256": SHA256}]
    assert skipped == {"url": 1}
    assert errors == [(4, 'each item needs a `signals` object such as {"pdq": "..."}')]
    # a bare signals object, the body of HMA's POST /c/bank/<bank>/signal (on one line it is JSON lines too)
    assert _parse(json.dumps({"pdq": PDQ_B}), fmt="hma")[:2] == ("hma", [{"pdq": PDQ_B}])


def test_bare_hashes_need_their_kind() -> None:
    text = f"{SHA256}\n{SHA256.upper()}\n# a comment\n"

    with pytest.raises(HashListError, match="--kind"):
        parse_hash_list(io.StringIO(text))
    fmt, hashes, _, errors = _parse(text, kind="SHA-256")

    assert (fmt, hashes, errors) == ("plain", [{"sha256": SHA256}] * 2, [])
    with pytest.raises(HashListError, match="unknown hash kind 'whirlpool'"):
        parse_hash_list(io.StringIO(text), kind="whirlpool")


def test_our_csv_is_still_ours() -> None:
    assert _parse(f"pdq,label\n{PDQ_A},baseline\n")[:2] == ("csv", [{"pdq": PDQ_A}])


ROWS = [ExportRow({"pdq": PDQ_A, "pdq_tx": PDQ_B, "md5": MD5, "sha1": "1" * 40}, "baseline"),
        ExportRow({"md5": MD5, "sha256": SHA256}, "national", video=True)]


@pytest.mark.parametrize("fmt", ["tx", "csv", "hma"])
def test_what_we_write_our_parser_reads_back(fmt: str) -> None:
    written = write_hash_list(ROWS, fmt, name="assessed")  # type: ignore[arg-type]

    parsed = parse_hash_list(io.StringIO(written.text))

    found = sorted((kind, value) for entry in parsed.entries for kind, value in entry.hashes.items())
    assert parsed.errors == [] and len(found) == written.signals
    if fmt == "csv":  # everything, labelled
        assert found == sorted((k, v) for row in ROWS for k, v in row.hashes.items())
        assert [e.label for e in parsed.entries] == ["baseline", "national"]
    else:  # both PDQs (as pdq) and the video's hashes; a photo's md5 and sha1 have no name there
        assert found == sorted([("pdq", PDQ_A), ("pdq", PDQ_B), ("md5", MD5), ("sha256", SHA256)])
        assert written.left_out == {"md5": 1, "sha1": 1}


def test_hma_export_puts_each_signal_type_once_per_item() -> None:
    written = write_hash_list(ROWS, "hma", name="assessed")

    contents = json.loads(written.text)

    assert [c["signals"] for c in contents] == [{"pdq": PDQ_A}, {"pdq": PDQ_B},
                                                 {"video_md5": MD5, "video_sha256": SHA256}]
    assert {c["bank"]["name"] for c in contents} == {"assessed"}
