"""The rule file format, validated with pydantic when a file is loaded.

A rule file has `[[rule]]` tables (routing) and may have `[[policy]]` tables (auto-forward policies,
issue 12). See `default_ro.toml` for a commented example of every key.
"""

from __future__ import annotations

import re
import string
from datetime import timedelta
from enum import StrEnum
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from hotline.datafiles import FileProblems, SourceText, error_loc, error_message
from hotline.rules.conditions import When, as_list
from hotline.rules.taxonomy import AgeGroup, Gender, LegalAssessment

ID_PATTERN = r"^[a-z0-9][a-z0-9-]*$"

# Fields a reason template may use, e.g. "Hosted in {country_name}: forwarded to {destination_name}."
TEMPLATE_FIELDS = frozenset({
    "country", "country_name", "our_country", "our_country_name", "destination", "destination_name",
    "partner_name", "platform", "cdn", "provider", "abuse_email", "legal", "hold",
})

_DELAY = re.compile(r"^\s*(?:(\d+)\s*d)?\s*(?:(\d+)\s*h)?\s*(?:(\d+)\s*m)?\s*$")


class Route(StrEnum):
    """Destinations that depend on the facts; any other `to` value is a directory id."""

    PARTNER_HOTLINE = "partner-hotline-of-hosting-country"
    POLICE = "police"  # the police of our own country
    PLATFORM = "platform"  # the platform's reporting channel (content owner)
    HOSTING_PROVIDER = "hosting-provider"  # notice and takedown to the host's abuse contact
    CDN_ABUSE = "cdn-abuse"  # the CDN's abuse desk, to learn the origin


def parse_delay(value: Any) -> Any:
    """"72h", "3d", "1d12h", "30m" -> timedelta (other types are left for pydantic to judge)."""
    if not isinstance(value, str):
        return value
    found = _DELAY.match(value)
    if not found or not any(found.groups()):
        raise ValueError(f"delay must look like 72h, 3d, 1d12h or 30m, not {value!r}")
    days, hours, minutes = (int(part or 0) for part in found.groups())
    return timedelta(days=days, hours=hours, minutes=minutes)


def _check_template(template: str) -> str:
    try:
        names = {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}
    except ValueError as exc:
        raise ValueError(f"reason is not a valid template ({exc}); write {{ and }} only around a field") from exc
    unknown = sorted(names - TEMPLATE_FIELDS)
    if unknown:
        raise ValueError(
            f"reason uses unknown field {{{unknown[0]}}}; known fields: {', '.join(sorted(TEMPLATE_FIELDS))}"
        )
    return template


Template = Annotated[str, Field(min_length=1), AfterValidator(_check_template)]


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Then(_Strict):
    """One destination. `after` and `delay` hold the forward back; with both, whichever comes first."""

    to: str = Field(min_length=1)
    after: Literal["police-clearance"] | None = None
    delay: Annotated[timedelta, BeforeValidator(parse_delay)] | None = None
    reason: Template | None = None

    @field_validator("to")
    @classmethod
    def _route_or_directory_id(cls, value: str) -> str:
        if value not in set(Route) and not re.match(ID_PATTERN, value):
            routes = ", ".join(route.value for route in Route)
            raise ValueError(f"'to' must be one of {routes} or a directory id, not {value!r}")
        return value


class Rule(_Strict):
    id: str = Field(pattern=ID_PATTERN)
    description: str = Field(min_length=1)
    priority: int = 100  # lower runs first; equal priorities keep file order
    enabled: bool = True
    when: When = When()
    then: list[Then] = []
    no_forward: bool = False  # the rule closes the item without a forward
    reason: Template
    stop: bool = False  # when the rule matches, later rules are not considered
    discover: bool = False  # a confirmed URL this rule routed starts a discovery crawl (deployment permitting)

    @model_validator(mode="after")
    def _forward_or_close(self) -> Rule:
        if self.no_forward and self.then:
            raise ValueError("a rule either forwards ([[rule.then]]) or has no_forward = true, not both")
        if not self.no_forward and not self.then:
            raise ValueError("a rule needs at least one [[rule.then]] destination, or no_forward = true")
        return self


class PolicyWhen(_Strict):
    """Auto-forward conditions (issue 12), checked against the URL's hash matches."""

    trusted: bool = True
    lists: list[str] | None = None  # only these hash lists; any list when left out
    verdict: Annotated[list[LegalAssessment], BeforeValidator(as_list), Field(min_length=1)] = [
        LegalAssessment.BASELINE
    ]
    max_distance: int = Field(default=0, ge=0)
    min_confirmations: int = Field(default=1, ge=0)
    all_media_matched: bool = True


class Policy(_Strict):
    id: str = Field(pattern=ID_PATTERN)
    description: str = Field(min_length=1)
    enabled: bool = False  # off unless an admin turns it on
    when: PolicyWhen = PolicyWhen()
    assess_as: LegalAssessment = LegalAssessment.BASELINE
    age_group: AgeGroup = AgeGroup.UNKNOWN
    gender: Gender = Gender.UNKNOWN
    reason: Template
    discover: bool = False  # a URL this policy forwarded starts a discovery crawl (deployment permitting)


class RuleSet(_Strict):
    name: str = ""
    description: str = ""
    rule: list[Rule] = Field(min_length=1)
    policy: list[Policy] = []
    source: str = Field(default="", exclude=True)

    def ordered_rules(self) -> list[Rule]:
        """Enabled rules in the order they are considered (priority, then file order)."""
        return sorted((r for r in self.rule if r.enabled), key=lambda r: r.priority)

    def rule_by_id(self, rule_id: str) -> Rule:
        return next(r for r in self.rule if r.id == rule_id)


def default_ruleset_source() -> SourceText:
    text = resources.files("hotline.rules").joinpath("default_ro.toml").read_text(encoding="utf-8")
    return SourceText("hotline/rules/default_ro.toml", text)


def default_ruleset() -> RuleSet:
    return parse_ruleset(default_ruleset_source())


def load_ruleset(path: str | Path) -> RuleSet:
    """Read and validate a rule file; raises FileProblems naming file, line, rule and key."""
    return parse_ruleset(SourceText.read(path))


def parse_ruleset(source: SourceText) -> RuleSet:
    data = source.parse()
    problems = _duplicate_ids(source, data)
    try:
        ruleset = RuleSet.model_validate({**data, "source": source.name})
    except ValidationError as exc:
        problems += _ruleset_problems(source, data, exc)
    if problems:
        raise FileProblems(problems)
    return ruleset


def _ruleset_problems(source: SourceText, data: dict[str, Any], exc: ValidationError) -> list[str]:
    problems = []
    for error in exc.errors():
        loc = error["loc"]
        label = None
        if len(loc) >= 2 and loc[0] in ("rule", "policy") and isinstance(loc[1], int):
            entries = data.get(str(loc[0]), [])
            entry_id = entries[loc[1]].get("id") if loc[1] < len(entries) else None
            label = f'{loc[0]} "{entry_id}"' if entry_id else f"{loc[0]} #{loc[1] + 1}"
        problems.append(source.problem(error_loc(error), error_message(error), label))
    return problems


def _duplicate_ids(source: SourceText, data: dict[str, Any]) -> list[str]:
    problems = []
    seen: set[str] = set()
    for table in ("rule", "policy"):
        entries = data.get(table)
        if not isinstance(entries, list):
            continue
        for index, entry in enumerate(entries):
            entry_id = entry.get("id") if isinstance(entry, dict) else None
            if isinstance(entry_id, str) and entry_id in seen:
                problems.append(source.problem((table, index, "id"), f"duplicate id {entry_id!r}", f'{table} "{entry_id}"'))
            if isinstance(entry_id, str):
                seen.add(entry_id)
    return problems
