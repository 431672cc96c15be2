"""The project's own docs stay true to the code: every setting is in docs/operations.md's table."""

from __future__ import annotations

import re
from pathlib import Path

from backend.core.config import Settings

ROOT = Path(__file__).resolve().parent.parent


def test_every_setting_is_documented_in_operations() -> None:
    text = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
    documented = set()
    for first, second in re.findall(r"^\| `SUPPLYCHAIN_([A-Z_]+)`(?:, `SUPPLYCHAIN_([A-Z_]+)`)?", text, re.M):
        documented |= {first.lower(), second.lower()} - {""}
    assert set(Settings.model_fields) - documented == set()
    assert documented - set(Settings.model_fields) == set()  # nothing documented that does not exist


def test_the_docs_link_only_to_files_that_exist() -> None:
    for page in (ROOT / "docs").glob("*.md"):
        for target in re.findall(r"\]\(([^)#:]+)\)", page.read_text(encoding="utf-8")):
            assert (page.parent / target).exists(), f"{page.name} links to {target}, which does not exist"


# `GET /events`, `POST /01/{gtin}/21/{serial}`: a method, a space, a path (up to a query string, quote or space).
_MENTION = re.compile(r"\b(GET|POST|PUT|PATCH|DELETE|OPTIONS|HEAD) (/[^\s`'\"?#)|,;]*)")


def _operations() -> list[tuple[str, str, re.Pattern[str]]]:
    """Every operation of the service's OpenAPI document: method, path, and a pattern its concrete paths match."""
    from backend.api.app import create_app

    schema = create_app(Settings(environment="test", run_worker=False)).openapi()
    out = []
    for path, operations in schema["paths"].items():
        pattern = ""
        for part in re.split(r"(\{[^}]+\})", path):
            if part == "{path}":  # a Digital Link path: several segments
                pattern += r".+"
            elif part.startswith("{"):
                pattern += r"[^/]+"
            else:
                pattern += re.escape(part)
        for method in operations:
            out.append((method.upper(), path, re.compile(pattern)))
    return out


def _mentions(text: str) -> set[tuple[str, str]]:
    return {(method, path.rstrip(".:")) for method, path in _MENTION.findall(text)}


def test_the_api_guide_names_only_routes_that_exist_and_every_route() -> None:
    mentions = _mentions((ROOT / "docs" / "api.md").read_text(encoding="utf-8"))
    operations = _operations()
    unknown = {
        (method, path)
        for method, path in mentions
        if not any(m == method and pattern.fullmatch(path) for m, _, pattern in operations)
    }
    assert unknown == set(), f"docs/api.md names routes the service does not have: {sorted(unknown)}"
    unnamed = {
        (m, route)
        for m, route, pattern in operations
        if not any(method == m and pattern.fullmatch(path) for method, path in mentions)
    }
    assert unnamed == set(), f"routes docs/api.md does not name: {sorted(unnamed)}"


def test_a_mention_is_read_as_the_guide_writes_it() -> None:
    text = "`GET /qr/code.png` and `GET /01/{gtin}/10/{lot}/21/{serial}`, then `POST /events`: `OPTIONS /`."
    assert _mentions(text) == {("GET", "/qr/code.png"), ("GET", "/01/{gtin}/10/{lot}/21/{serial}"),
                               ("POST", "/events"), ("OPTIONS", "/")}  # fmt: skip
    operations = _operations()
    assert not any(m == "GET" and p.fullmatch("/eventTypes") for m, _, p in operations)  # the binding's, not ours
    assert any(m == "GET" and p.fullmatch("/01/{gtin}/10/{lot}/21/{serial}") for m, _, p in operations)


#: A pointer outside the repository: the design folder beside the checkout, or its documents by name.
_OUTSIDE = re.compile(r"\.\./shared|\bshared/|\b(?:DESIGN|DOMAIN|STYLE|TOOLCHAIN)\.md\b")
#: Where the test data beside the checkout may be named: the README's paragraph on what the tests read, and the
#: conformance page's account of the oracles its tests compare with. Only in a paragraph that speaks of the tests.
_TEST_DATA_PAGES = {"README.md", "docs/epcis-conformance.md"}
_SKIPPED = {".git", ".venv", "node_modules", "tests", "data"}


def _paragraphs(text: str) -> list[str]:
    """Markdown split at blank lines and at list items; Python split at blank lines (docstrings, comments)."""
    return [p for p in re.split(r"\n\s*\n|\n(?=\s*(?:- |\d+\. ))", text) if p.strip()]


def _outside_pointers(relative: str, text: str) -> list[str]:
    found = []
    for paragraph in _paragraphs(text):
        if not _OUTSIDE.search(paragraph):
            continue
        if relative in _TEST_DATA_PAGES and re.search(r"\btests?\b", paragraph):
            continue
        found.append(f"{relative}: {' '.join(paragraph.split())[:160]}")
    return found


def test_nothing_outside_the_tests_points_outside_the_repository() -> None:
    """The docs, README and code explain the system on their own: no pointer to the design documents beside the
    checkout. The tests' data is the one exception, named only where the README and the conformance page say what the
    tests read. CHANGELOG.md is history: it may say what was removed."""
    found = []
    for path in sorted(ROOT.rglob("*")):
        relative = path.relative_to(ROOT).as_posix()
        if path.suffix not in {".md", ".py"} or _SKIPPED & set(path.relative_to(ROOT).parts[:-1]):
            continue
        if relative == "CHANGELOG.md" or not path.is_file():
            continue
        found += _outside_pointers(relative, path.read_text(encoding="utf-8"))
    assert found == []


def test_an_outside_pointer_is_found_where_it_does_not_belong() -> None:
    assert _outside_pointers("docs/architecture.md", "The design is in ../shared/DESIGN.md.") != []
    assert _outside_pointers("backend/x.py", '"""See DOMAIN.md, section 2."""') != []
    assert _outside_pointers("README.md", "- How it works: `../shared/DESIGN.md`.\n- The tests read `../shared/`.") == [
        "README.md: - How it works: `../shared/DESIGN.md`."
    ]
    assert _outside_pointers("docs/overview.md", "The tests read `../shared/vectors`.") != []  # not a test-data page
