"""No code and no English on a German page.

Every page of every part (found in the URL resolver, tests/pagewalk.py) is fetched in German as
each role, with the demo data (``seed_demo``) plus rows in the states the demo does not reach
(every ingest status and reason, lapsed licence pools, a deactivated PBX user) and the CSV check
run's result page. The visible text (and the tooltips, placeholders and labels read out by
screen readers) must not contain:

- a known code: every value of every ``TextChoices`` in the project, the keys of the parts'
  reason tables (``REASONS``), and the audit action codes (``license.assigned``);
- an untranslated catalogue string: a msgid of a German catalogue whose English text shows
  verbatim while German is active.

Text marked up as a literal (``<code>``, ``<kbd>``, ``<samp>``: a CSV column the user types)
is exempt, and so is a form field's value (a ``<textarea>``: the announcement text the user
edits, with its ``{objection_key}`` placeholders). A few msgids are the same word in German
(``SAME_IN_GERMAN``) and do not count as English.
"""

import importlib
import io
import pkgutil
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import models, transaction
from django.utils import timezone

from tests import pagewalk

ROOT = Path(__file__).resolve().parent.parent
PARTS = ["hostedpbx", "tenancy", "licensing", "supervision", "recordings", "callrouting", "audit"]
ROLES = ["admin", "compliance", "supervisor", "agent"]
LITERAL_TAGS = {"code", "kbd", "samp", "textarea"}
SKIP_TAGS = {"script", "style", "template", "noscript"}
READ_ATTRS = ("title", "placeholder", "aria-label", "alt")
# msgids whose English word is also the correct German word (loanwords and product names the
# German catalogue uses as they are, docs/glossary.md): seen on a German page, they are German.
SAME_IN_GERMAN = {
    "Routing",  # "Neues Routing", "Routings für den rechtlichen Hinweis"
    "supervisor",  # the product name Supervisor (glossary), also in usernames
    "Object",  # "S3 Object Lock", the storage feature's name
}
PLACEHOLDER_RE = re.compile(r"%\(\w+\)[sdif]|%[sdif]|\{\{.*?\}\}|\{\w*\}|%%")


# --- what must not show ---------------------------------------------------------------------
def _import_parts():
    for part in PARTS:
        package = importlib.import_module(part)
        for module in pkgutil.walk_packages(package.__path__, f"{part}."):
            if ".migrations" in module.name or ".management" in module.name:
                continue
            importlib.import_module(module.name)


def _subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def known_codes() -> set[str]:
    """Every stable code a person must never read raw (values of TextChoices, reason keys,
    audit action codes)."""
    _import_parts()
    codes: set[str] = set()
    for choices in _subclasses(models.TextChoices):
        if choices.__module__.split(".")[0] in PARTS:
            codes.update(str(value) for value in choices.values)
    for part in PARTS:
        package = importlib.import_module(part)
        for module in pkgutil.walk_packages(package.__path__, f"{part}."):
            loaded = importlib.import_module(module.name)
            for name, value in vars(loaded).items():
                if name.isupper() and "REASON" in name and isinstance(value, dict):
                    codes.update(str(key) for key in value)
                if name == "ACTIONS" and isinstance(value, dict):
                    codes.update(str(key) for key in value)
    from audit.models import AuditEvent

    codes.update(AuditEvent.unscoped.values_list("action", flat=True).distinct())
    # Too short to tell from words and numbers.
    return {code for code in codes if len(code) >= 3}


def _po_entries(path: Path):
    """``(msgid, msgstr, fuzzy)`` of a .po file (no plural forms in our catalogues)."""
    entry: dict = {}
    key = None
    for line in [*path.read_text(encoding="utf-8").splitlines(), ""]:
        if not line.strip():
            if entry.get("msgid"):
                yield entry["msgid"], entry.get("msgstr", ""), entry.get("fuzzy", False)
            entry, key = {}, None
        elif line.startswith("#,"):
            entry["fuzzy"] = "fuzzy" in line
        elif line.startswith(("msgid ", "msgstr ")):
            key, _, rest = line.partition(" ")
            entry[key] = _unquote(rest)
        elif line.startswith('"') and key:
            entry[key] += _unquote(line)


def _unquote(text: str) -> str:
    return text.strip()[1:-1].replace('\\"', '"').replace("\\n", "\n").replace("\\\\", "\\")


def english_fragments() -> dict[str, str]:
    """English text (fragments between placeholders) → msgid, for every msgid that German
    translates differently. Single words count from 6 letters, phrases from two words."""
    fragments = {}
    for path in ROOT.glob("**/locale/de/LC_MESSAGES/*.po"):
        if ".venv" in path.parts:
            continue
        for msgid, msgstr, fuzzy in _po_entries(path):
            if fuzzy or not msgstr or msgstr == msgid or msgid in SAME_IN_GERMAN:
                continue
            for fragment in PLACEHOLDER_RE.split(msgid):
                fragment = fragment.strip(" .,:;–-()\n")
                words = fragment.split()
                if (
                    (len(words) >= 2 and len(fragment) >= 10)
                    or (len(words) == 1 and len(fragment) >= 6 and fragment.isalpha())
                ) and fragment not in msgstr:
                    fragments[fragment] = msgid
    return fragments


# --- what a person reads ----------------------------------------------------------------------
class VisibleText(HTMLParser):
    """The page's visible text and read-out attributes, without literals and scripts."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip = 0
        self.literal = 0

    def handle_starttag(self, tag, attrs):
        if tag in SKIP_TAGS:
            self.skip += 1
        if tag in LITERAL_TAGS:
            self.literal += 1
        attrs = dict(attrs)
        for name in READ_ATTRS:
            if attrs.get(name):
                self.parts.append(attrs[name])
        if tag == "input" and attrs.get("type") in ("submit", "button") and attrs.get("value"):
            self.parts.append(attrs["value"])

    def handle_endtag(self, tag):
        if tag in SKIP_TAGS and self.skip:
            self.skip -= 1
        if tag in LITERAL_TAGS and self.literal:
            self.literal -= 1

    def handle_data(self, data):
        if not self.skip and not self.literal and data.strip():
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = VisibleText()
    parser.feed(html)
    return "\n".join(" ".join(part.split()) for part in parser.parts)


def problems_in(text: str, codes: set[str], english: dict[str, str]) -> list[str]:
    found = []
    for code in codes:
        if code in text and re.search(rf"(?<![\w.\-/]){re.escape(code)}(?![\w\-/]|\.\w)", text):
            found.append(f"code {code!r}: …{_context(text, code)}…")
    for fragment, msgid in english.items():
        if fragment in text and re.search(rf"(?<!\w){re.escape(fragment)}(?!\w)", text):
            found.append(f"English {fragment!r} (msgid {msgid!r}): …{_context(text, fragment)}…")
    return found


def _context(text, needle):
    at = text.find(needle)
    return " ".join(text[max(0, at - 40) : at + len(needle) + 40].split())


# --- data in every state ----------------------------------------------------------------------
def _other_states():
    from licensing import services as licensing
    from recordings.choices import IngestReason, IngestSource, IngestStatus
    from recordings.models import Ingest
    from tenancy.models import PbxNode, PbxUser, Tenant

    muster = Tenant.objects.get(slug="muster")
    node = PbxNode.unscoped.get(tenant=muster, name="pbx1")
    now = timezone.now()
    with transaction.atomic():
        for number, (status, reason) in enumerate(
            [(s, r) for s in IngestStatus.values for r in ["", *IngestReason.values]]
        ):
            Ingest.unscoped.create(
                tenant=muster,
                node=node,
                source=IngestSource.values[number % 3],
                call_id=f"lang-{number}",
                extension="299",
                sha256=f"{number:064x}",
                size=1000,
                status=status,
                reason=reason,
                original_name=f"anruf-{number}.wav",
                metadata={},
                attempts=number % 3,
            )
    nordlicht = Tenant.objects.get(slug="nordlicht")
    licensing.set_license_pool(
        actor=None,
        tenant=nordlicht,
        license="monitor",
        quantity=5,
        valid_from=now.date().replace(year=now.year - 2),
        valid_until=now.date().replace(year=now.year - 1),
    )
    licensing.set_license_pool(
        actor=None,
        tenant=nordlicht,
        license="record",
        quantity=5,
        valid_from=now.date().replace(year=now.year + 1),
    )
    from tenancy import services as tenancy

    # The parts' URL samples name extension 201 (tests/<part>/isolation_samples.py).
    tenancy.create_pbx_user(
        actor=None,
        tenant=nordlicht,
        extension="201",
        display_name="Jan Lorenzen",
        client_type="deskphone",
    )
    tenancy.update_pbx_user(
        actor=None, pbx_user=PbxUser.unscoped.get(tenant=muster, extension="205"), is_active=False
    )


@pytest.fixture
def german_menu(db, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    call_command("seed_demo", quiet_logins=True, stdout=io.StringIO())
    _other_states()


def _walk(client, values, codes, english, who):
    failures, walked = [], 0
    for _label, url in pagewalk.menu_urls(values):
        response = client.get(url, HTTP_ACCEPT_LANGUAGE="de")
        if not pagewalk.is_page(response):
            continue
        walked += 1
        for problem in problems_in(visible_text(response.content.decode()), codes, english):
            failures.append(f"{who} {url}: {problem}")
    return failures, walked


def test_german_pages_show_no_codes_and_no_english(german_menu, web):
    from django.contrib.auth import get_user_model

    from tenancy.models import PbxNode, Tenant

    users = get_user_model().objects
    english = english_fragments()
    failures, walked = [], 0
    for slug, roles in (("muster", ROLES), ("nordlicht", ["admin"])):
        tenant = Tenant.objects.get(slug=slug)
        admin = users.get(username=f"{slug}.admin")
        node = PbxNode.unscoped.get(tenant=tenant, name="pbx1")
        extension = "201"
        values = pagewalk.samples(tenant=tenant, node=node, admin=admin, extension=extension)
        for role in roles:
            client = web(users.get(username=f"{slug}.{role}"))
            # The walk itself writes audit events (pages viewed): collect codes afterwards too.
            found, count = _walk(client, values, known_codes(), english, f"{slug}.{role}")
            failures += found
            walked += count
        # The CSV check run: every row outcome in one file.
        client = web(admin)
        csv = (
            "extension,license,action\n"
            f"{extension},monitor,assign\n{extension},monitor,assign\n"
            f"{extension},record,revoke\n999,monitor,assign\n{extension},bogus,assign\n"
            f"{extension},monitor,frobnicate\n,monitor,assign\n"
        )
        upload = io.BytesIO(csv.encode())
        upload.name = "lizenzen.csv"
        response = client.post(
            f"/t/{slug}/licenses/import/",
            {"file": upload, "dry_run": "on"},
            HTTP_ACCEPT_LANGUAGE="de",
        )
        assert response.status_code == 200
        for problem in problems_in(visible_text(response.content.decode()), known_codes(), english):
            failures.append(f"{slug}.admin CSV check run: {problem}")
    assert walked >= 20, f"only {walked} pages walked"
    assert not failures, f"{len(failures)} findings:\n" + "\n".join(sorted(set(failures)))


def test_the_walk_finds_a_code_and_english():
    codes = {"unknown_extension", "license.assigned"}
    english = {"Capability matrix": "Capability matrix"}
    html = (
        "<p>Grund: unknown_extension</p><span title='license.assigned'>x</span>"
        "<h1>Capability matrix</h1><code>unknown_extension</code>"
    )
    found = problems_in(visible_text(html), codes, english)
    assert len(found) == 3, found
    assert not problems_in(visible_text("<p>Durchwahl unbekannt</p>"), codes, english)


VISIBLE_TEXT_JS = r"""() => {
    // Literals the user types (CSV values) are exempt, as in visible_text().
    for (const el of document.querySelectorAll('code, kbd, samp, textarea')) el.textContent = '';
    const parts = [document.body.innerText];
    for (const el of document.querySelectorAll('[title], [placeholder], [aria-label], [alt]')) {
        for (const name of ['title', 'placeholder', 'aria-label', 'alt']) {
            if (el.getAttribute(name)) parts.push(el.getAttribute(name));
        }
    }
    return parts.join('\n');
}"""


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_german_pages_in_chromium_show_no_codes_and_no_english(
    german_menu, browser, live_server, web
):
    """The same walk in Chromium: text that scripts draw after loading (the ingest status
    page redraws its rows from the JSON status feed) counts too."""
    from django.conf import settings
    from django.contrib.auth import get_user_model

    from tenancy.models import PbxNode, Tenant

    users = get_user_model().objects
    tenant = Tenant.objects.get(slug="muster")
    admin = users.get(username="muster.admin")
    node = PbxNode.unscoped.get(tenant=tenant, name="pbx1")
    values = pagewalk.samples(tenant=tenant, node=node, admin=admin, extension="201")
    english = english_fragments()
    failures, walked = [], 0
    for role in ROLES:
        client = web(users.get(username=f"muster.{role}"))
        context = browser.new_context(locale="de-DE")
        context.add_cookies(
            [
                {
                    "name": settings.SESSION_COOKIE_NAME,
                    "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                    "url": live_server.url,
                }
            ]
        )
        page = context.new_page()
        codes = known_codes()
        for _label, url in pagewalk.menu_urls(values):
            probe = context.request.get(live_server.url + url, max_redirects=0)
            if probe.status != 200 or "text/html" not in probe.headers.get("content-type", ""):
                continue
            page.goto(live_server.url + url)
            page.wait_for_load_state("networkidle")
            walked += 1
            text = page.evaluate(VISIBLE_TEXT_JS)
            failures += [f"muster.{role} {url}: {p}" for p in problems_in(text, codes, english)]
        context.close()
    assert walked >= 15, f"only {walked} pages walked"
    assert not failures, f"{len(failures)} findings:\n" + "\n".join(sorted(set(failures)))
