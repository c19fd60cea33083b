"""The shape of the code, checked (docs/architecture.md says why): which package may import which, who
writes which table, one list of hash kinds, and plug-in points made of plain imports."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ("hotline", "fingerprints", "forwarders")


def _modules(*packages: str) -> Iterator[tuple[str, Path, ast.Module]]:
    for package in packages:
        for path in sorted((REPO / package).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            name = ".".join(path.relative_to(REPO).with_suffix("").parts).removesuffix(".__init__")
            yield name, path, ast.parse(path.read_text(encoding="utf-8"))


def _type_checking_nodes(tree: ast.Module) -> set[int]:
    """Nodes under `if TYPE_CHECKING:`: imports for type hints only, never run."""
    found: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            found.update(id(child) for child in ast.walk(node))
    return found


def _imports(tree: ast.Module, *, runtime_only: bool) -> Iterator[str]:
    """Every module the code imports, including inside functions."""
    skipped = _type_checking_nodes(tree) if runtime_only else set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module
            yield from (f"{node.module}.{alias.name}" for alias in node.names)


def _area(module: str) -> str | None:
    """The unit of the dependency graph: hotline's sub-packages and top-level modules, the other packages."""
    parts = module.split(".")
    if parts[0] not in PACKAGES:
        return None
    if parts[0] != "hotline":
        return parts[0]
    return ".".join(parts[:2]) if len(parts) > 1 else None


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one member (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in edges.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in list(edges):
        if node not in index:
            visit(node)
    return found


def test_no_two_packages_import_each_other_even_inside_functions() -> None:
    edges: dict[str, set[str]] = {}
    for name, _, tree in _modules(*PACKAGES):
        source = _area(name)
        for imported in _imports(tree, runtime_only=True):
            target = _area(imported)
            if source and target and target != source:
                edges.setdefault(source, set()).add(target)
    assert _cycles(edges) == []


def test_the_cycle_check_can_fail() -> None:
    assert _cycles({"hotline.outbox": {"hotline.monitor"}, "hotline.monitor": {"hotline.outbox"}}) == [
        ["hotline.monitor", "hotline.outbox"]]


@pytest.mark.parametrize(("package", "forbidden"), [("fingerprints", ("hotline", "forwarders")),
                                                    ("forwarders", ("hotline", "fingerprints"))])
def test_fingerprints_and_forwarders_stand_alone(package: str, forbidden: tuple[str, ...]) -> None:
    wrong = [f"{name} imports {imported}" for name, _, tree in _modules(package)
             for imported in _imports(tree, runtime_only=False) if imported.split(".")[0] in forbidden]
    assert wrong == []


def test_stages_and_jobs_are_wired_by_plain_imports() -> None:
    dynamic = []
    for name, _, tree in [*_modules("hotline"), ("cli", REPO / "cli.py", ast.parse((REPO / "cli.py").read_text()))]:
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                called = ast.unparse(node.func)
                if called in ("importlib.import_module", "import_module", "__import__", "pkgutil.iter_modules"):
                    dynamic.append(f"{name}: {called}")
    assert dynamic == []


# -- one owner per table -----------------------------------------------------------------------------
# Who creates rows of a table (everyone else asks the owner): the area in front of the dot-free prefix.
OWNERS = {
    "Report": "hotline.pipeline.intake", "ReportUrl": "hotline.pipeline.intake",
    "ReportedUrl": "hotline.pipeline.intake", "MailboxMessage": "hotline.mailbox",
    "Capture": "hotline.pipeline.capture", "MediaItem": "hotline.pipeline.capture",
    "Fingerprint": "hotline.pipeline.fingerprint", "Match": "hotline.pipeline.fingerprint",
    "Hosting": "hotline.pipeline.locate", "RdapCacheEntry": "hotline.pipeline.locate",
    "Proposal": "hotline.triage", "Assessment": "hotline.triage",
    "Forward": "hotline.outbox",
    "TakedownCheck": "hotline.monitor",
    "HashList": "hotline.matching", "HashListEntry": "hotline.matching",
    "AuditEvent": "hotline.audit", "User": "hotline.auth", "Partner": "hotline.web.api.partners",
    "UserSession": "hotline.auth", "UserToken": "hotline.auth", "LoginThrottle": "hotline.auth",
    "SealedSecret": "hotline.vault",
    "DiscoveryJob": "hotline.pipeline.discovery", "DiscoveryFrontier": "hotline.pipeline.discovery",
    "CrawlRecord": "hotline.pipeline.discovery",
}


def test_only_its_owner_creates_rows_of_a_table() -> None:
    from hotline import models

    assert set(OWNERS) | {"Setting"} == {table.class_.__name__ for table in models.Base.registry.mappers}
    strangers = []
    for name, _, tree in _modules("hotline"):
        if name == "hotline.models":
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in OWNERS:
                owner = OWNERS[node.func.id]
                if name != owner and not name.startswith(owner + "."):
                    strangers.append(f"{name} creates {node.func.id} rows (owner: {owner})")
    assert strangers == []


# -- hash kinds --------------------------------------------------------------------------------------
def _hand_listed_kinds(tree: ast.Module, kinds: set[str]) -> list[str]:
    """Literal collections naming two or more hash kinds, and comparisons with a kind's name."""
    found = []
    published = {id(child) for node in ast.walk(tree) if isinstance(node, ast.Assign | ast.AnnAssign)
                 for target in ([node.target] if isinstance(node, ast.AnnAssign) else node.targets)
                 if isinstance(target, ast.Name) and target.id.endswith("HASH_KINDS")
                 for child in ast.walk(node)}
    for node in ast.walk(tree):
        if id(node) in published:
            continue
        if isinstance(node, ast.Tuple | ast.List | ast.Set):
            names = [e.value for e in node.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)]
        elif isinstance(node, ast.Dict):
            names = [k.value for k in node.keys if isinstance(k, ast.Constant) and isinstance(k.value, str)]
        elif isinstance(node, ast.Compare):
            names = [c.value for c in [node.left, *node.comparators] if isinstance(c, ast.Constant)] * 2
        else:
            continue
        if len(names) >= 2 and all(n in kinds for n in names):
            found.append(f"line {node.lineno}: {ast.unparse(node)[:80]}")
    return found


def test_hash_kinds_come_from_the_signal_registry() -> None:
    from fingerprints import SIGNAL_TYPES

    kinds = set(SIGNAL_TYPES)
    by_hand = [f"{name}: {where}" for name, _, tree in _modules(*PACKAGES)
               if name != "fingerprints.signals" for where in _hand_listed_kinds(tree, kinds)]
    assert by_hand == []
    # and the check itself finds what it should
    assert _hand_listed_kinds(ast.parse('x = ("md5", "pdq")\nif k == "pdq": pass'), kinds) == [
        "line 1: ('md5', 'pdq')", "line 2: k == 'pdq'"]


def test_each_published_format_lists_its_hash_kinds_by_version_and_the_registry_has_them() -> None:
    from fingerprints import SIGNAL_TYPES, hashlist_export
    from forwarders import email, partner_schema, xarf

    lists = [*partner_schema.HASH_KINDS.values(), *email.CSV_HASH_KINDS.values(), *xarf.HASH_KINDS.values(),
             *hashlist_export.TX_HASH_KINDS.values(), *hashlist_export.HMA_HASH_KINDS.values(),
             *hashlist_export.LIST_CSV_HASH_KINDS.values()]
    assert all(set(kinds) <= set(SIGNAL_TYPES) for kinds in lists)
    # the partner payload's schema is its list
    current = partner_schema.HASH_KINDS[partner_schema.SCHEMA_VERSION]
    assert tuple(partner_schema.PartnerHashes.model_fields) == current


def test_every_routing_condition_has_a_check() -> None:
    from hotline.rules.conditions import CHECKS, When

    assert list(CHECKS) == list(When.model_fields)


def test_every_number_in_a_workspace_path_is_bounded() -> None:
    """An id above what a database column holds must be a 404, never a server error: RowId says so."""
    loose = []
    for name, _, tree in _modules("hotline"):
        if not name.startswith("hotline.web.workspace"):
            continue
        for node in ast.walk(tree):
            routed = isinstance(node, ast.FunctionDef) and any(
                isinstance(d, ast.Call) and isinstance(d.func, ast.Attribute)
                and d.func.attr in ("get", "post", "put", "delete") for d in node.decorator_list)
            if routed:
                loose += [f"{name}.{node.name}({arg.arg})" for arg in node.args.args  # type: ignore[union-attr]
                          if arg.arg.endswith("_id") and arg.annotation is not None
                          and ast.unparse(arg.annotation) == "int"]
    assert loose == []
