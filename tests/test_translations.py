"""Every string a person reads is marked for translation, and each catalogue translates them all (SPEC §14).

Three checks, each failing with the file, line and text to fix:

(a) templates: human-readable text outside ``{% translate %}`` / ``{% blocktranslate %}`` (text between tags,
    the attributes a person reads -- aria-label, title, placeholder, alt -- and ``default:`` / ``yesno:``
    arguments). Comments, scripts, styles and text already in a translation block are skipped.
(b) Python: unmarked literals where a person reads them -- form labels and help texts, ``verbose_name``,
    choice labels, ``messages.*`` calls, ``ValidationError``/``PermissionDenied``/``Http404`` and the domain
    errors the API shows (and the message a domain error words in its own ``__init__``) -- found by walking
    each module's syntax tree. A literal there may be an f-string, ``"…" % x``, ``"…" + x`` or a conditional;
    and a gettext call of a string built before the lookup (``_(f"…")``) fails too: it is never translated.
(c) catalogues: ``makemessages`` run on a copy of the sources in a temporary directory; each shipped
    catalogue must hold every msgid it finds, with a non-empty msgstr (every plural form) and no fuzzy flag.

When this test fails after a change: mark the string, then regenerate and translate the catalogues as
docs/admin/configuration.md ("Languages") says.
"""

from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

from tests.workers import REPO_ROOT

LANGUAGES = [code for code, _name in settings.LANGUAGES if not code.startswith("en")]
# Directories of the product's own sources (tests, benchmarks and the machinery are not shown to people).
SOURCE_DIRS = [
    "core",
    "profiles",
    "escalation",
    "incidents",
    "surveys",
    "knowledge",
    "intake",
    "reporting",
    "portal",
    "servicedesk",
    "demo",
    # The apps of the third wave.
    "identity",
    "learning",
    "live",
    "meetings",
    "operations",
    "staffing",
    "toolkit",
    "previews",
    "history",
]
WORD = re.compile(r"[A-Za-z]{2,}")
ENTITY = re.compile(r"&#?\w+;")
# Words that read the same in every language: product codes and acronyms, shown as they are.
NOT_LANGUAGE = {"SLA", "OLA", "CSV", "PDF", "API", "VIP", "ID", "URL", "JSON", "UTC", "IMAP", "DMARC", "OK"}


def _has_words(text: str) -> bool:
    words = WORD.findall(ENTITY.sub(" ", text))
    return any(w not in NOT_LANGUAGE for w in words)


# --- (a) templates ---------------------------------------------------------------------------------------

_TEMPLATE_TOKEN = re.compile(r"\{%.*?%\}|\{\{.*?\}\}|\{#.*?#\}|<!--.*?-->", re.DOTALL)
_READ_ATTRIBUTES = ("aria-label", "title", "placeholder", "alt")
_SKIPPED_BLOCKS = {
    "comment": "endcomment",
    "blocktranslate": "endblocktranslate",
    "blocktrans": "endblocktrans",
    "verbatim": "endverbatim",
}
_FILTER_WORDS = re.compile(r'\|(?:default|default_if_none|yesno):"([^"]*)"')


def untranslated_in_template(source: str) -> list[tuple[int, str]]:
    """(line, text) of each piece of human-readable text in the template that no translation tag holds."""
    found: list[tuple[int, str]] = []
    text = list(source)

    def blank(start: int, end: int, fill: str = " ") -> None:
        text[start:end] = fill * (end - start)

    # Template tokens are blanked (a NUL stands for one: it splits words but is not text); the blocks
    # whose content is not shown or already translated are blanked with everything inside them.
    skip_from, skip_until = -1, ""
    for match in _TEMPLATE_TOKEN.finditer(source):
        token = match.group(0)
        bits = token[2:-2].split()
        name = bits[0] if token.startswith("{%") and bits else ""
        if skip_until:
            if name == skip_until:
                blank(skip_from, match.end())
                skip_until = ""
            continue
        if name in _SKIPPED_BLOCKS:
            skip_from, skip_until = match.start(), _SKIPPED_BLOCKS[name]
            continue
        if token.startswith(("{%", "{{")):
            for words in _FILTER_WORDS.findall(token):
                if _has_words(words):
                    found.append((source.count("\n", 0, match.start()) + 1, token))
        blank(match.start(), match.end(), "\x00")
    masked = "".join(text)
    for block in re.finditer(
        r"<(script|style)\b(?![^>]*\ssrc=)[^>]*>.*?</\1>", masked, re.DOTALL | re.IGNORECASE
    ):
        blank(block.start(), block.end())
    masked = "".join(text)
    pieces: list[tuple[str, int]] = []
    position = 0
    for tag in re.finditer(r"<[A-Za-z/!][^>]*>", masked):
        pieces.append((masked[position : tag.start()], position))
        for attribute in re.finditer(r'\s(?:{})="([^"]*)"'.format("|".join(_READ_ATTRIBUTES)), tag.group(0)):
            pieces.append((attribute.group(1), tag.start() + attribute.start(1)))
        position = tag.end()
    pieces.append((masked[position:], position))
    for piece, at in pieces:
        if _has_words(piece.replace("\x00", " ")):
            found.append((source.count("\n", 0, at) + 1, " ".join(piece.replace("\x00", " ").split())))
    return sorted(found)


def _templates() -> list[Path]:
    return sorted(p for p in (REPO_ROOT / "templates").rglob("*") if p.suffix in (".html", ".txt"))


def test_the_template_scan_finds_plain_text_and_accepts_marked_text():
    assert untranslated_in_template("<p>Hello there</p>") == [(1, "Hello there")]
    assert untranslated_in_template('<a aria-label="Close it">{% translate "Close" %}</a>') == [
        (1, "Close it")
    ]
    assert untranslated_in_template('{{ x|default:"never" }}') == [(1, '{{ x|default:"never" }}')]
    assert untranslated_in_template("{% if a > b %}<b>Bold</b>{% endif %}") == [(1, "Bold")]
    marked = (
        '{% load i18n %}<p>{% translate "Hello" %} {{ name }}</p>'
        '<a aria-label="{% translate "Close" %}" href="/">SLA</a>'
        "{% blocktranslate %}Hi {{ name }}{% endblocktranslate %}{# a comment #}"
        "{% comment %}Notes{% endcomment %}<script>var words = 1;</script>"
        '{{ x|default:_("never") }}'
    )
    assert untranslated_in_template(marked) == []


@pytest.mark.parametrize("template", _templates(), ids=lambda p: str(p.relative_to(REPO_ROOT)))
def test_every_template_marks_its_text_for_translation(template: Path):
    found = untranslated_in_template(template.read_text(encoding="utf-8"))
    assert not found, f"{template.relative_to(REPO_ROOT)}: text to mark for translation: {found}"


# --- (b) Python ------------------------------------------------------------------------------------------

_MARKERS = {
    "_",
    "gettext",
    "gettext_lazy",
    "gettext_noop",
    "ngettext",
    "ngettext_lazy",
    "pgettext",
    "pgettext_lazy",
    "npgettext",
    "format_lazy",
}
_READ_KEYWORDS = {"label", "help_text", "verbose_name", "verbose_name_plural", "empty_label", "message"}
_READ_DICTS = {"error_messages", "labels", "help_texts"}
_MESSAGE_LEVELS = {"success", "info", "warning", "error", "debug"}
_SHOWN_ERRORS = re.compile(
    r"(ValidationError|PermissionDenied|Http404|NotFound|ParseError|NotAuthenticated|AuthenticationFailed|"
    r"DomainError|Refused|Conflict)$"
)


def _name(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return ""


def _human(node: ast.AST | None) -> bool:
    """A literal a person reads: a string with words, an f-string, or one formatted with % or format()."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return _has_words(node.value)
    if isinstance(node, ast.JoinedStr):
        return any(isinstance(v, ast.Constant) and _has_words(str(v.value)) for v in node.values)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod):
        return _human(node.left)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):  # "Saved " + name, _("a") + f" {n} b"
        return _human(node.left) or _human(node.right)
    if isinstance(node, ast.IfExp):
        return _human(node.body) or _human(node.orelse)
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "fromkeys"
        and len(node.args) > 1
    ):  # ValidationError(dict.fromkeys(fields, "…"))
        return _human(node.args[1])
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "format":
        return _human(node.func.value)
    return False


def _shown_error_classes(modules: list[ast.Module]) -> set[str]:
    """The exception classes a person reads: the named ones and every class derived from them, anywhere."""
    bases = {
        node.name: {_name(base) for base in node.bases}
        for tree in modules
        for node in ast.walk(tree)
        if isinstance(node, ast.ClassDef)
    }
    shown: set[str] = set()
    while True:
        more = {
            name
            for name, parents in bases.items()
            if name not in shown and any(_SHOWN_ERRORS.search(p) or p in shown for p in parents)
        }
        if not more:
            return shown
        shown |= more


def _built(node: ast.AST) -> bool:
    """A string built before the lookup: an f-string, ``"…" % x``, ``"…" + x`` or ``"…".format(x)``. Passed to
    gettext it is never found in a catalogue (makemessages cannot extract it), so it is never translated."""
    if isinstance(node, ast.JoinedStr):
        return True
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Mod, ast.Add)):
        return isinstance(node.left, (ast.Constant, ast.JoinedStr)) or isinstance(node.right, ast.JoinedStr)
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "format"


def unmarked_in_module(tree: ast.Module, shown_errors: set[str] = frozenset()) -> list[tuple[int, str]]:  # type: ignore[assignment]
    found: list[tuple[int, str]] = []

    def report(node: ast.AST, what: str) -> None:
        found.append((getattr(node, "lineno", 0), what))

    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef) and node.name in shown_errors:
            # a shown error that words its own message: ``super().__init__(f"{number} is …")``
            for inner in ast.walk(node):
                if (
                    isinstance(inner, ast.Call)
                    and _name(inner.func) == "__init__"
                    and isinstance(inner.func, ast.Attribute)
                    and isinstance(inner.func.value, ast.Call)
                    and _name(inner.func.value.func) == "super"
                    and inner.args
                    and _human(inner.args[0])
                ):
                    report(inner, f"{node.name} message")
        if isinstance(node, ast.Call) and _name(node.func) in _MARKERS and node.args and _built(node.args[0]):
            report(node, f"{_name(node.func)} of a built string")
        if isinstance(node, ast.ClassDef):
            is_choices = any(_name(b) in ("TextChoices", "IntegerChoices", "Choices") for b in node.bases)
            for statement in node.body:
                if not (isinstance(statement, ast.Assign) and len(statement.targets) == 1):
                    continue
                target = _name(statement.targets[0])
                if target in ("verbose_name", "verbose_name_plural") and _human(statement.value):
                    report(statement, target)
                if target in _READ_DICTS and isinstance(statement.value, ast.Dict):
                    for value in statement.value.values:
                        if _human(value):
                            report(statement, f"Meta.{target}")
                if is_choices and isinstance(statement.value, ast.Tuple) and _human(statement.value.elts[-1]):
                    report(statement, f"choice label {target}")
        if (
            isinstance(node, ast.Tuple)
            and len(node.elts) == 2
            and isinstance(node.elts[0], ast.Constant)
            and node.elts[0].value == ""
            and _human(node.elts[1])
        ):  # the blank choice of a list built at run time: ``[("", "Any group"), *rows]``
            report(node, "blank choice label")
        if not isinstance(node, ast.Call) or _name(node.func) in _MARKERS:
            continue
        name = _name(node.func)
        if name == "add_error" and len(node.args) > 1 and _human(node.args[1]):
            report(node, "add_error")
        if (
            isinstance(node.func, ast.Attribute)
            and name in _MESSAGE_LEVELS
            and _name(node.func.value) == "messages"
            and len(node.args) > 1
            and _human(node.args[1])
        ):
            report(node, f"messages.{name}")
        if (_SHOWN_ERRORS.search(name) or name in shown_errors) and node.args:
            first = node.args[0]
            values = first.values if isinstance(first, ast.Dict) else [first]
            for value in values:
                items = value.elts if isinstance(value, (ast.List, ast.Tuple)) else [value]
                if any(_human(item) for item in items):
                    report(node, name)
        if (
            isinstance(node.func, ast.Attribute)
            and _name(node.func.value) == "models"
            and name.endswith("Field")
            and node.args
            and _human(node.args[0])
        ):
            report(node, f"{name} verbose name")
        for keyword in node.keywords:
            if keyword.arg in _READ_KEYWORDS and _human(keyword.value):
                report(keyword.value, keyword.arg)
            if (
                keyword.arg in _READ_DICTS
                and isinstance(keyword.value, ast.Dict)
                and any(_human(value) for value in keyword.value.values)
            ):
                report(keyword.value, keyword.arg)
            if keyword.arg == "choices" and isinstance(keyword.value, (ast.List, ast.Tuple)):
                for choice in keyword.value.elts:
                    if isinstance(choice, ast.Tuple) and len(choice.elts) == 2 and _human(choice.elts[1]):
                        report(choice, "choice label")
    return found


def _python_modules() -> list[Path]:
    return sorted(
        path
        for directory in SOURCE_DIRS
        for path in (REPO_ROOT / directory).rglob("*.py")
        if "migrations" not in path.parts
    )


def test_the_python_scan_finds_unmarked_strings_and_accepts_marked_ones():
    unmarked = ast.parse(
        "class E(DomainError): pass\n"
        "class F(forms.Form):\n"
        "    x = forms.CharField(label='Name', help_text=f'At most {n}')\n"
        "class S(models.TextChoices):\n"
        "    A = 'a', 'Apple'\n"
        "def view(request):\n"
        "    messages.success(request, 'Saved.')\n"
        "    raise ValidationError({'title': 'A title is required.'})\n"
        "    raise E('Nope, not now')\n"
        "class G(DomainError):\n"
        "    def __init__(self, n):\n"
        "        super().__init__(f'{n} is closed: it cannot be changed now')\n"
        "def other(request, n):\n"
        "    messages.error(request, 'Not saved: ' + n)\n"
        "    raise ValidationError(dict.fromkeys(['a'], 'This field cannot be set here.'))\n"
        "    return _(f'Hello {n}')\n"
        "class H(forms.Form):\n"
        "    def __init__(self):\n"
        "        self.fields['g'].choices = [('', 'Any group'), *rows]\n"
        "    def clean(self):\n"
        "        self.add_error('g', 'Choose a group.')\n"
    )
    kinds = [what for _line, what in unmarked_in_module(unmarked, _shown_error_classes([unmarked]))]
    assert sorted(kinds) == sorted(
        [
            "label",
            "help_text",
            "choice label A",
            "messages.success",
            "ValidationError",
            "E",
            "G message",
            "messages.error",
            "ValidationError",
            "_ of a built string",
            "blank choice label",
            "add_error",
        ]
    )
    marked = ast.parse(
        "class F(forms.Form):\n"
        "    x = forms.CharField(label=gettext_lazy('Name'))\n"
        "def view(request):\n"
        "    messages.success(request, _('Saved %(n)s.') % {'n': 1})\n"
        "    raise ValidationError({'title': _('A title is required.')})\n"
        "    raise ValueError('internal, never shown')\n"
        "    form.add_error('g', _('Choose a group.'))\n"
        "    choices = [('', _('Any group')), ('', '—')]\n"
    )
    assert unmarked_in_module(marked) == []


def test_every_python_string_shown_to_people_is_marked():
    trees = {path: ast.parse(path.read_text(encoding="utf-8")) for path in _python_modules()}
    shown_errors = _shown_error_classes(list(trees.values()))
    found = [
        f"{path.relative_to(REPO_ROOT)}:{line} {what}"
        for path, tree in trees.items()
        for line, what in unmarked_in_module(tree, shown_errors)
    ]
    assert not found, "strings to mark for translation:\n" + "\n".join(found)


# --- (c) catalogues --------------------------------------------------------------------------------------

_PO_LINE = re.compile(r'^(msgctxt|msgid_plural|msgid|msgstr(?:\[\d+\])?)\s+"(.*)"$')


def read_catalogue(path: Path) -> dict[tuple[str, str, str], dict[str, object]]:
    """(context, msgid, plural) → {"msgstr": [forms], "fuzzy": bool}; the header is left out."""
    entries: dict[tuple[str, str, str], dict[str, object]] = {}
    for block in re.split(r"\n\s*\n", path.read_text(encoding="utf-8")):
        fields: dict[str, str] = {}
        last = ""
        fuzzy = False
        for line in block.splitlines():
            if line.startswith("#,") and "fuzzy" in line:
                fuzzy = True
            if line.startswith("#"):
                continue
            match = _PO_LINE.match(line)
            if match:
                last = match.group(1)
                fields[last] = match.group(2)
            elif line.startswith('"') and last:
                fields[last] += line.strip()[1:-1]
        if "msgid" not in fields or fields["msgid"] == "":
            continue
        forms = [value for name, value in sorted(fields.items()) if name.startswith("msgstr")]
        key = (fields.get("msgctxt", ""), fields["msgid"], fields.get("msgid_plural", ""))
        entries[key] = {"msgstr": forms, "fuzzy": fuzzy}
    return entries


@pytest.fixture(scope="module")
def extracted(
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[str, dict[tuple[str, str, str], dict[str, object]]]:
    """What makemessages finds in the sources today, run on a copy: the shipped catalogues stay untouched."""
    if shutil.which("xgettext") is None:
        pytest.fail("gettext is missing: scripts/install.sh installs it (Debian's gettext package)")
    copy = tmp_path_factory.mktemp("makemessages")
    for directory in [*SOURCE_DIRS, "templates"]:
        shutil.copytree(REPO_ROOT / directory, copy / directory, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(REPO_ROOT / "manage.py", copy / "manage.py")
    (copy / "locale").mkdir()
    env = {**os.environ, "PYTHONPATH": str(copy)}
    command = [sys.executable, "manage.py", "makemessages", "--no-location", "--no-wrap"]
    for language in LANGUAGES:
        command += ["-l", language]
    subprocess.run(command, cwd=copy, env=env, check=True, capture_output=True, timeout=300)
    return {
        language: read_catalogue(copy / "locale" / language / "LC_MESSAGES" / "django.po")
        for language in LANGUAGES
    }


def test_languages_are_english_german_french_and_spanish():
    assert [code.split("-")[0] for code, _name in settings.LANGUAGES] == ["en", "de", "fr", "es"]
    assert Path(settings.LOCALE_PATHS[0]) == REPO_ROOT / "locale"


@pytest.mark.parametrize("language", LANGUAGES)
def test_each_catalogue_translates_every_message(language: str, extracted):
    shipped = read_catalogue(REPO_ROOT / "locale" / language / "LC_MESSAGES" / "django.po")
    wanted = extracted[language]
    assert len(wanted) > 1000  # the extraction found the product's strings, not an empty tree
    missing = sorted(key[1] for key in wanted if key not in shipped)
    assert not missing, f"{language}: msgids not in the catalogue (run makemessages): {missing[:20]}"
    untranslated = sorted(
        key[1]
        for key, entry in shipped.items()
        if key in wanted and (entry["fuzzy"] or not all(entry["msgstr"]))  # type: ignore[call-overload]
    )
    assert not untranslated, f"{language}: empty or fuzzy translations: {untranslated[:20]}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_each_catalogue_keeps_the_placeholders_of_its_messages(language: str):
    """%(name)s, %(count)d and {name} survive translation: a lost one breaks the page or the mail."""
    placeholder = re.compile(r"%\(\w+\)[sd]|\{\w+\}")
    wrong = []
    for (_context, msgid, plural), entry in read_catalogue(
        REPO_ROOT / "locale" / language / "LC_MESSAGES" / "django.po"
    ).items():
        expected = sorted(set(placeholder.findall(msgid + plural)))
        for form in entry["msgstr"]:  # type: ignore[attr-defined]
            if sorted(set(placeholder.findall(form))) != expected:
                wrong.append((msgid, form))
    assert not wrong, f"{language}: placeholders changed: {wrong[:10]}"
