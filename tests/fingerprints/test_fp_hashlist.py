"""Hash lists as hotlines exchange them: CSV/TSV/JSON lines, aliases, bad rows with line numbers."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from fingerprints import HashListError, parse_hash_list

MD5 = "0123456789abcdef0123456789abcdef"
SHA256 = "ab" * 32
PDQ = "f0" * 32


def test_csv_with_aliases_keeps_good_rows_and_reports_bad_ones(tmp_path: Path) -> None:
    # given a CSV with upper-case alias headers, one short hash, one non-hex hash and one empty row
    path = tmp_path / "partner.csv"
    path.write_text(
        "MD5,SHA-256,PDQ,Verdict,Source\n"
        f"{MD5},{SHA256},,csam,hotline-nl\n"
        f"{MD5.upper()},,{PDQ},csem,hotline-nl\n"
        "abc,,,csam,hotline-nl\n"
        "\n"
        f",{'zz' * 32},,csam,hotline-nl\n"
        ",,,csam,hotline-nl\n"
    )
    # when parsed
    parsed = parse_hash_list(path)
    # then good rows are kept, normalised, and bad ones carry their line numbers
    assert [(e.line, e.hashes, e.label, e.source) for e in parsed.entries] == [
        (2, {"md5": MD5, "sha256": SHA256}, "csam", "hotline-nl"),
        (3, {"md5": MD5, "pdq": PDQ}, "csem", "hotline-nl"),
    ]
    assert parsed.errors == [
        (4, "md5 must be 32 hex digits, got 3"),
        (6, "sha256 contains non-hex characters"),
        (7, "no hash in this row"),
    ]
    assert parsed.counts == {"rows": 5, "entries": 2, "errors": 3, "skipped": 0, "md5": 2, "pdq": 1, "sha256": 1}


def test_tsv_and_semicolon_delimiters_are_sniffed() -> None:
    for delimiter in ("\t", ";"):
        text = delimiter.join(["sha256", "label"]) + "\n" + delimiter.join([SHA256, "known"]) + "\n"
        parsed = parse_hash_list(io.StringIO(text))
        assert [(e.hashes, e.label) for e in parsed.entries] == [({"sha256": SHA256}, "known")]


def test_rows_with_the_wrong_number_of_fields_are_errors() -> None:
    parsed = parse_hash_list(io.StringIO(f"md5,label\n{MD5},a,extra\n{MD5},b\n"), fmt="csv")
    assert parsed.errors == [(2, "expected 2 fields, found 3")]
    assert [e.line for e in parsed.entries] == [3]


def test_json_lines_with_a_broken_line() -> None:
    text = (
        f'{{"sha256": "{SHA256}", "verdict": "csam", "source": "ncmec-like"}}\n'
        "{not json\n"
        f'{{"pdq": "{PDQ}", "pdq_quality": 92, "label": "csam"}}\n'
        '["a list"]\n'
    )
    parsed = parse_hash_list(io.BytesIO(text.encode()))
    assert [(e.line, e.hashes, e.label, e.source, e.quality) for e in parsed.entries] == [
        (1, {"sha256": SHA256}, "csam", "ncmec-like", {}),
        (3, {"pdq": PDQ}, "csam", None, {"pdq": 92}),
    ]
    assert [line for line, _ in parsed.errors] == [2, 4]
    assert parsed.errors[0][1].startswith("invalid JSON")


def test_a_file_without_hash_columns_is_refused_in_one_line(tmp_path: Path) -> None:
    path = tmp_path / "people.csv"
    path.write_text("name,email\nann,ann@example.org\n")
    with pytest.raises(HashListError, match="no hash column"):
        parse_hash_list(path)


def test_byte_order_mark_and_comments_are_ignored() -> None:
    text = f"\ufeff# exported 2026-11-25\nphash,source\n{'8f' * 8},list-a\n"
    parsed = parse_hash_list(io.BytesIO(text.encode("utf-8")))
    assert [(e.hashes, e.source) for e in parsed.entries] == [({"phash": "8f" * 8}, "list-a")]
