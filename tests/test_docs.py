"""The README and docs/ stay navigable: links lead somewhere, screenshots are the script's and are current.

No browser runs here: `make screenshots` takes the images; these tests only hold the docs, the script's list
of shots and docs/images/ together.
"""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path
from types import ModuleType

from tests.workers import REPO_ROOT

IMAGES_DIR = REPO_ROOT / "docs" / "images"
# Pages linked before they exist, each written on another branch of the same issue. An entry must go once its
# page is in the tree: the test fails then, so that a pending link is never forgotten here.
_FENCE = re.compile(r"^(```|~~~).*?^\1", re.MULTILINE | re.DOTALL)
_CODE_SPAN = re.compile(r"`[^`\n]*`")
_LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
_HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$", re.MULTILINE)


def doc_pages(root: Path = REPO_ROOT) -> list[Path]:
    return [root / "README.md", *sorted((root / "docs").rglob("*.md"))]


def _prose(text: str) -> str:
    """The text without code blocks and code spans, where brackets are not links."""
    return _CODE_SPAN.sub("", _FENCE.sub("", text))


def links_in(page: Path) -> list[str]:
    return _LINK.findall(_prose(page.read_text()))


def anchors_of(page: Path) -> set[str]:
    """GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens, repeats numbered."""
    seen: dict[str, int] = {}
    anchors = set()
    for heading in _HEADING.findall(_FENCE.sub("", page.read_text())):
        slug = re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-")
        count = seen.get(slug, 0)
        seen[slug] = count + 1
        anchors.add(slug if count == 0 else f"{slug}-{count}")
    return anchors


def broken_links(pages: list[Path], root: Path = REPO_ROOT) -> list[str]:
    broken = []
    for page in pages:
        for target in links_in(page):
            if re.match(r"^[a-z][a-z0-9+.-]*:", target):  # https:, mailto: … are not ours to check
                continue
            path_part, _, anchor = target.partition("#")
            resolved = (page.parent / path_part).resolve() if path_part else page
            where = f"{page.relative_to(root)}: {target}"
            try:
                resolved.relative_to(root)
            except ValueError:
                broken.append(f"{where} (outside the repository)")
                continue
            if not resolved.exists():
                broken.append(f"{where} (no such file)")
                continue
            if anchor and resolved.suffix == ".md" and anchor not in anchors_of(resolved):
                broken.append(f"{where} (no such heading)")
    return broken


def _screenshots_script() -> ModuleType:
    path = REPO_ROOT / "scripts" / "screenshots.py"
    spec = importlib.util.spec_from_file_location("servicedesk_screenshots", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    # dataclasses look their module up while the class is made.
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def images_shown(pages: list[Path]) -> dict[str, list[str]]:
    """Each image file under docs/images/ that a page shows, with the pages that show it."""
    shown: dict[str, list[str]] = {}
    for page in pages:
        for target in links_in(page):
            resolved = (page.parent / target.partition("#")[0]).resolve()
            if resolved.suffix.lower() in {".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp"}:
                shown.setdefault(str(resolved.relative_to(REPO_ROOT)), []).append(page.name)
    return shown


def test_the_readme_stays_a_front_door_under_200_lines_that_points_into_docs():
    readme = REPO_ROOT / "README.md"
    assert len(readme.read_text().splitlines()) < 200, "move the detail into docs/ and link to it"
    assert "docs/index.md" in links_in(readme)


def test_every_relative_link_of_the_readme_and_docs_leads_to_a_file_and_heading_that_exist():
    pages = doc_pages()
    assert len(pages) > 15 and sum(len(links_in(p)) for p in pages) > 100, "the docs' links were not found"
    assert not broken_links(pages), "\n".join(broken_links(pages))


def test_the_link_check_finds_a_missing_file_a_missing_heading_and_a_link_out_of_the_tree(tmp_path):
    # given a page with one good link of each kind and three broken ones
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "other.md").write_text("# Other page\n\n## A section (with §4)\n")
    (tmp_path / "README.md").write_text(
        "[ok](docs/other.md) [ok anchor](docs/other.md#a-section-with-4) [ok here](#title) "
        "[web](https://example.org/x) `[code](not-a-link.md)`\n"
        "# Title\n[gone](docs/missing.md) [bad anchor](docs/other.md#nowhere) [escape](../../etc/passwd)\n"
    )

    # when the links are checked
    broken = broken_links([tmp_path / "README.md"], root=tmp_path)

    # then exactly the three broken ones are named
    assert broken == [
        "README.md: docs/missing.md (no such file)",
        "README.md: docs/other.md#nowhere (no such heading)",
        "README.md: ../../etc/passwd (outside the repository)",
    ]


def test_every_image_the_docs_show_is_one_the_screenshot_script_takes_and_is_in_the_tree():
    shots = {f"docs/images/{shot.filename}" for shot in _screenshots_script().SHOTS}
    shown = images_shown(doc_pages())

    not_taken = sorted(set(shown) - shots)
    assert not not_taken, f"images the docs show that scripts/screenshots.py does not take: {not_taken}"
    missing = sorted(shot for shot in shots if not (REPO_ROOT / shot).is_file())
    assert not missing, f"shots not in the tree (run `make screenshots`): {missing}"


def test_every_image_in_docs_images_is_taken_by_the_script_and_shown_somewhere():
    shots = {f"docs/images/{shot.filename}" for shot in _screenshots_script().SHOTS}
    in_tree = {str(p.relative_to(REPO_ROOT)) for p in IMAGES_DIR.iterdir() if p.is_file()}
    shown = set(images_shown(doc_pages()))

    assert not in_tree - shots, f"stale images no shot takes any more: {sorted(in_tree - shots)}"
    assert not shots - shown, f"shots no page shows: {sorted(shots - shown)}"


def test_the_screenshot_shots_have_unique_names_and_sign_in_as_demo_users():
    script = _screenshots_script()
    names = [shot.name for shot in script.SHOTS]
    assert len(names) == len(set(names))
    demo_users = {"agent", "tech", "netops", "dba", "incidentmgr", "manager", "admin", "alice", "bob"}
    assert {shot.user for shot in script.SHOTS} <= demo_users
