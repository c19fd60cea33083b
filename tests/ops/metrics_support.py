"""Reading Prometheus text exposition in tests."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families


def samples(exposition: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """{(sample name, frozenset of labels): value} for every sample in the text."""
    found: dict[tuple[str, frozenset[tuple[str, str]]], float] = {}
    for family in text_string_to_metric_families(exposition):
        for sample in family.samples:
            found[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return found


def value(exposition: str, name: str, **labels: str) -> float | None:
    return samples(exposition).get((name, frozenset(labels.items())))
