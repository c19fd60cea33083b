"""Partner credentials: issued once, the API key kept only as a hash, looked up by key id."""

from __future__ import annotations

import pytest

from hotline.web.api.partners import PartnerError, create_partner, find_partner, partner_for_api_key


def test_credentials_are_random_and_the_api_key_names_its_key_id(make_hotline) -> None:
    hotline = make_hotline()
    with hotline.db.session() as session:
        first = create_partner(session, "NL-Meldpunt", country="nl")
        second = create_partner(session, "be-childfocus")
    assert first.partner.name == "nl-meldpunt" and first.partner.country == "NL"
    assert first.api_key.startswith(f"hlk.{first.key_id}.") and len(first.api_key) > 50
    assert len({first.key_id, second.key_id}) == 2 and first.signing_secret != second.signing_secret
    with hotline.db.sessions() as session:
        stored = find_partner(session, first.key_id)
        assert stored is not None and stored.api_key_hash.startswith("sha256$")
        assert first.api_key not in stored.api_key_hash


@pytest.mark.parametrize("mangle", [
    lambda key: key + "x",
    lambda key: key.replace("hlk.", "xyz."),
    lambda key: key.rsplit(".", 1)[0],
    lambda key: "",
    lambda key: "hlk.pk0000000000000000.secret",
])
def test_a_wrong_or_malformed_api_key_finds_no_partner(make_hotline, mangle) -> None:  # type: ignore[no-untyped-def]
    hotline = make_hotline()
    with hotline.db.session() as session:
        issued = create_partner(session, "nl-meldpunt")
    with hotline.db.sessions() as session:
        assert partner_for_api_key(session, issued.api_key) is not None
        assert partner_for_api_key(session, mangle(issued.api_key)) is None


def test_a_partner_name_is_unique(make_hotline) -> None:
    hotline = make_hotline()
    with hotline.db.session() as session:
        create_partner(session, "nl-meldpunt")
    with pytest.raises(PartnerError, match="already exists"), hotline.db.session() as session:
        create_partner(session, "NL-MELDPUNT")
