"""URL normalisation: one spelling per URL; garbage refused with a reason a person understands."""

import pytest

from hotline.pipeline.urls import UrlError, normalise_url


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("HTTP://Example.COM/Path", "http://example.com/Path"),
        ("http://example.com:80/", "http://example.com/"),
        ("https://example.com:443/x", "https://example.com/x"),
        ("https://example.com:8443/x", "https://example.com:8443/x"),
        ("http://example.com/page#comments", "http://example.com/page"),
        ("http://example.com", "http://example.com/"),
        ("example.ro/galerie", "http://example.ro/galerie"),
        ("example.com:8080/path", "http://example.com:8080/path"),
        ("  www.site.ro  ", "http://www.site.ro/"),
        ("https://münchen.de/straße", "https://xn--mnchen-3ya.de/stra%C3%9Fe"),
        ("http://例え.テスト/", "http://xn--r8jz45g.xn--zckzah/"),
        ("http://example.com./", "http://example.com/"),
        ("http://user:pass@example.com/", "http://example.com/"),
        ("http://a@127.0.0.1/", "http://127.0.0.1/"),
        ("http://[::FFFF:127.0.0.1]:8080/", "http://[::ffff:7f00:1]:8080/"),
        ("http://example.com/a b", "http://example.com/a%20b"),
        ("http://example.com/?b=2&a=1", "http://example.com/?b=2&a=1"),
        ("http://example.com/%7Euser", "http://example.com/%7Euser"),
        ("http://2130706433/", "http://2130706433/"),
    ],
)
def test_equivalent_spellings_normalise_to_one_url(typed: str, expected: str) -> None:
    assert normalise_url(typed) == expected


def test_normalising_twice_changes_nothing() -> None:
    once = normalise_url("HTTPS://Bücher.Example.COM:443/ä?q=1#x")
    assert normalise_url(once) == once


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("javascript:alert(1)", "only http and https"),
        ("data:text/html,<b>x</b>", "only http and https"),
        ("file:///etc/passwd", "only http and https"),
        ("ftp://example.com/", "only http and https"),
        ("mailto:someone@example.com", "only http and https"),
        ("http://", "no host"),
        ("http://exa mple.com/", "not valid"),
        ("http://-bad-.com/", "not valid"),
        ("http://x/", "no domain"),
        ("http://example.com:99999/", "malformed"),
        ("http://example.com:0/", "between 1 and 65535"),
        ("http://ex\x00ample.com/", "control characters"),
        ("http://example.com/\r\nSet-Cookie: x", "control characters"),
        ("http://" + "a" * 64 + ".com/", "not valid"),
        ("http://example.com/" + "a" * 5000, "longer than"),
        ("http://[::1/", "malformed"),
    ],
)
def test_garbage_is_refused_with_a_clear_reason(typed: str, reason: str) -> None:
    with pytest.raises(UrlError, match=reason):
        normalise_url(typed)
