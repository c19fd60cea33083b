"""Property: every assessed, located item gets at least one proposal or an explicit no-forward reason."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from hotline.rules import (
    AgeGroup,
    Classification,
    ContentType,
    Directory,
    Facts,
    Gender,
    HostingFacts,
    LegalAssessment,
    RuleSet,
    SiteType,
    evaluate,
)

from .builders import assessed

COUNTRIES = st.one_of(
    st.sampled_from(["RO", "NL", "GB", "DE", "US", "FR", "KZ", "VN", "RU", "UK", "ro"]),
    st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=2, max_size=2),
)
NAMES = st.one_of(st.none(), st.sampled_from(["Cloudflare", "akamai", "facebook", "Unlisted Co", "x"]))
OPTIONAL_TEXT = st.one_of(st.none(), st.text(min_size=1, max_size=20))


@st.composite
def classifications(draw: st.DrawFn) -> Classification:
    legal = draw(st.sampled_from(LegalAssessment))
    illegal = legal.is_illegal
    return Classification(
        legal=legal,
        content_type=draw(st.one_of(st.none(), st.sampled_from(ContentType))),
        site_type=draw(st.one_of(st.none(), st.sampled_from(SiteType))),
        age_group=draw(st.sampled_from(AgeGroup)) if illegal else draw(st.one_of(st.none(), st.sampled_from(AgeGroup))),
        gender=draw(st.sampled_from(Gender)) if illegal else None,
        notes=draw(st.text(max_size=30)),
    )


@st.composite
def located_hosting(draw: st.DrawFn) -> HostingFacts:
    common = {
        "cdn": draw(NAMES),
        "platform": draw(NAMES),
        "site_type": draw(st.one_of(st.none(), st.sampled_from(SiteType))),
        "reporting_channel": draw(OPTIONAL_TEXT),
        "abuse_email": draw(OPTIONAL_TEXT),
        "provider": draw(OPTIONAL_TEXT),
    }
    if draw(st.booleans()):
        return HostingFacts(country_status="unknown-behind-cdn", behind_cdn=True, **common)
    return HostingFacts(country=draw(COUNTRIES), country_status="known", behind_cdn=draw(st.booleans()), **common)


@settings(max_examples=400, deadline=None)
@given(classification=classifications(), hosting=located_hosting(), from_partner=st.booleans())
def test_every_assessed_located_item_is_routed_or_closed_with_a_reason(
    ruleset: RuleSet, directory: Directory, classification: Classification, hosting: HostingFacts,
    from_partner: bool,
) -> None:
    evaluation = evaluate(Facts(classification=classification, hosting=hosting, from_partner=from_partner),
                          ruleset, directory)

    if evaluation.proposals:
        assert evaluation.no_forward_reason is None
        matched = {step.rule_id for step in evaluation.trace if step.matched}
        assert all(p.rule_id in matched and p.reason for p in evaluation.proposals)
        assert len({p.destination_id for p in evaluation.proposals}) == len(evaluation.proposals)
    else:
        # an explicit decision by a shipped rule, never the "nothing applied" fallback
        assert evaluation.no_forward_rule is not None
        assert evaluation.no_forward_reason
    assert [step.rule_id for step in evaluation.trace] == [rule.id for rule in ruleset.ordered_rules()]


@settings(max_examples=200, deadline=None)
@given(hosting=located_hosting())
def test_illegal_content_always_reaches_police_partner_or_cdn(
    ruleset: RuleSet, directory: Directory, hosting: HostingFacts
) -> None:
    evaluation = evaluate(Facts(classification=assessed("baseline"), hosting=hosting), ruleset, directory)

    kinds = {p.destination_kind for p in evaluation.proposals}
    assert kinds & {"police", "hotline", "cdn"}
