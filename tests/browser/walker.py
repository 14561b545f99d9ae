"""Walk Ritmo inside the demo LMS's frame the way a person does: follow every same-origin link
breadth-first from the home page, then send every form with plausible values, noting each 4xx/5xx
answer and each serious or critical axe-core finding on the way.

The walk navigates with ``Ritmo.go`` (a one-time code per page, as a click does) and submits forms
with ``requestSubmit`` (so ``ritmo.js`` adds the session as a click would). Pages are told apart by
their path with numbers generalised, so a walk sees one thread, not every thread."""

from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit

AXE = Path(__file__).resolve().parent / "node_modules" / "axe-core" / "axe.min.js"
WAIT = 30_000
MAX_PAGES = 70
# Links that download a file or leave the product: a walk does not follow them.
NOT_PAGES = re.compile(r"(\.(csv|xlsx|ics|json|pdf)$|/export|/download|/files/|/lti/|/api/|/signin/)")
# Forms whose button ends something the rest of the walk needs, or that write outside the product.
# "End" as a word: "Send" and "Re-send" are forms like any other.
DESTRUCTIVE = re.compile(
    r"delete|remove|cancel|\bend\b|withdraw|archive|unfollow|close|leave|decline|undo|sync|dismiss|"
    r"elimina|rimuovi|annulla",
    re.IGNORECASE,
)

# Forms that want one of several optional fields: the values a person would give (by action).
CHOICES = {
    "/programmes/N/surveys": {"title_en": "Walk survey"},
    "/training/gates": {"webinar_id": ""},  # a module, not also a webinar
    "/support/faq": {"question_en": "How do I start?", "answer_en": "Open your space."},
    "/content/items": {"body": "Read this before your first meeting."},
    # Names picked from a list: "~x" the first name with x in it, "!x" the first without.
    "/programmes/N/matching/assign": {"mentee": "~Waiting", "force": "1"},  # the mentors are full
    "/programmes/N/matching/swap": {"first": "~Walk-Mentee", "second": "!Walk"},
    "/platform/webhooks/add": {"events": "support.request_opened"},  # one box of several
}

# Fills a form's empty required fields with plausible values by type, checks a first radio of each group and
# required boxes; answers the submit button to use (null when the form has none, or needs a file).
FILL = """
([form, choices]) => {
  const day = new Date(Date.now() + 8 * 86400000);
  const iso = day.toISOString().slice(0, 10);
  const values = {email: "walker@example.org", url: "https://example.org/", number: null,
    date: iso, "datetime-local": iso + "T10:00", time: "10:00", search: "a", tel: "+390000000",
    text: "Walk test", password: "walk-test", month: iso.slice(0, 7), week: null, color: null, range: null};
  for (const el of form.elements) {
    if (el.disabled || el.type === "hidden" || el.type === "submit" || el.type === "button") continue;
    if (el.type === "file") { if (el.required) return null; continue; }
    if (el.type === "radio") {
      if (!form.querySelector(`input[type=radio][name="${CSS.escape(el.name)}"]:checked`)) el.checked = true;
      continue;
    }
    if (el.type === "checkbox") { if (el.required) el.checked = true; continue; }
    if (el.tagName === "SELECT") {
      const first = [...el.options].find(o => o.value && !o.disabled);
      if (!el.value && first) el.value = first.value;
      continue;
    }
    if (el.value || !el.required) continue;
    if (el.list && el.list.options.length) { el.value = el.list.options[0].value; continue; }
    if (el.tagName === "TEXTAREA") { el.value = "Written by the walk test."; continue; }
    if (el.type === "number" || el.type === "range") { el.value = el.min || "1"; continue; }
    const v = values[el.type];
    if (v) el.value = el.maxLength > 0 ? v.slice(0, el.maxLength) : v;
  }
  for (const [name, value] of Object.entries(choices)) {
    const el = form.elements[name];
    if (!el) continue;
    if (el instanceof RadioNodeList) {  // boxes sharing a name: tick the one with that value
      for (const box of el) if (box.value === value) box.checked = true;
      continue;
    }
    const names = el.list ? [...el.list.options].map(o => o.value) : [];
    if (value[0] === "~") el.value = names.find(n => n.includes(value.slice(1))) || "";
    else if (value[0] === "!") el.value = names.find(n => !n.includes(value.slice(1))) || "";
    else if (el.type === "checkbox") el.checked = Boolean(value);
    else el.value = value;
  }
  const buttons = [...form.querySelectorAll(
    "button:not([type=button]):not([type=reset]), input[type=submit]")];
  return buttons.length ? buttons[0] : null;  // no button: not a form a person can send
}
"""

LINKS = """
() => [...document.querySelectorAll("a[href]")]
  .filter(a => !a.hasAttribute("download") && !a.hasAttribute("data-no-session") && a.target !== "_blank")
  .map(a => a.href)
"""
FORMS = """
() => [...document.querySelectorAll("main form")].map((f, i) => ({
  i, method: f.getAttribute("method") || "get", action: f.action,
  label: [...f.querySelectorAll("button, input[type=submit]")]
    .map(b => (b.textContent || b.value || "").trim()).join(" / "),
  confirm: !!f.querySelector("[data-confirm]")}))
"""

# What a page says went wrong: the error box of a refusal, or the messages next to fields.
SAID = """
() => [...document.querySelectorAll(".error[data-status], .errors, .field-error, [role=alert]")]
  .map(e => e.innerText.trim()).filter(Boolean).join(" | ").slice(0, 300)
"""


# Every control a mouse can use must take the keyboard's focus, in the page's own order: none is
# taken out of the tab order (tabindex -1) or moved ahead of it (a positive tabindex).
KEYBOARD = """() => {
  const controls = [...document.querySelectorAll(
    'a[href], button, input:not([type=hidden]), select, textarea, summary, [tabindex]')]
    .filter(el => !el.disabled && el.getClientRects().length && getComputedStyle(el).visibility !== 'hidden')
    // A closed <details> hides its controls until its summary (itself focusable) opens it.
    .filter(el => !el.parentElement.closest('details:not([open])'));
  const out = [];
  for (const el of controls) {
    const name = el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + ' ' +
      (el.textContent || el.getAttribute('aria-label') || el.name || '').trim().slice(0, 30);
    if (el.tabIndex > 0) out.push('tabindex above 0: ' + name);
    el.focus();
    if (document.activeElement !== el) out.push('cannot take the focus: ' + name);
  }
  if (document.activeElement) document.activeElement.blur();
  return out;
}"""


def page_key(url: str) -> str:
    parts = urlsplit(url)
    names = sorted({k for k, _ in parse_qsl(parts.query) if k not in {"rh", "page", "saved"}})
    return re.sub(r"\d+", "N", parts.path) + ("?" + "&".join(names) if names else "")


def without_code(url: str) -> str:
    parts = urlsplit(url)
    query = urlencode([(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "rh"])
    return parts._replace(query=query, fragment="").geturl()


@dataclass
class Walk:
    role: str
    visited: list[str] = field(default_factory=list)
    submitted: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    findings: dict[str, str] = field(default_factory=dict)  # "rule on page" -> what and where


class Walker:
    def __init__(self, page, tool_url: str, role: str, *, axe: str | None, within: str = "/") -> None:
        self.page, self.tool_url, self.axe = page, tool_url, axe
        self.within = within  # the paths a walk follows links into
        self.tool = page.frame(name="ritmo-tool")
        assert self.tool is not None, "the LMS page has no Ritmo frame"
        self.walk = Walk(role)
        self.doing = "launch"
        self.checked: set[str] = set()
        self.forms: dict[str, list[str]] = {}  # page -> the forms a walk sends there
        page.on("response", self._answered)

    def _answered(self, response) -> None:
        if response.url.startswith(self.tool_url) and response.status >= 400:
            what = (
                f"{self.walk.role}: {response.status} {response.request.method} {without_code(response.url)}"
            )
            self.walk.failures.append(f"{what} (while {self.doing})")

    def _navigated(self, action) -> bool:
        """Run ``action`` and wait for the frame's next document; False when none came."""
        try:
            with self.page.expect_event("framenavigated", predicate=lambda f: f == self.tool, timeout=WAIT):
                action()
        except Exception:
            return False
        self.tool.wait_for_load_state("load", timeout=WAIT)
        return True

    def open(self, url: str) -> bool:
        self.doing = f"opening {url}"
        return self._navigated(lambda: self.tool.evaluate("url => Ritmo.go(url)", url))

    def links(self) -> list[str]:
        hrefs = self.tool.evaluate(LINKS)
        out = []
        for href in hrefs:
            url = without_code(href)
            path = urlsplit(url).path
            if url.startswith(self.tool_url) and path.startswith(self.within) and not NOT_PAGES.search(path):
                out.append(url)
        return out

    def check_accessibility(self, url: str) -> None:
        """The keyboard, and axe-core, on this page, once per kind of page (a walk sees many of some)."""
        if page_key(url) in self.checked:
            return
        self.checked.add(page_key(url))
        for what in self.tool.evaluate(KEYBOARD):
            self.walk.findings.setdefault(
                f"keyboard on {page_key(url)}: {what}", f"{self.walk.role}: {what} ({url})"
            )
        if self.axe is None:
            return
        if not self.tool.evaluate("() => typeof window.axe !== 'undefined'"):
            self.tool.evaluate(self.axe)
        found = self.tool.evaluate(
            "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
            ".filter(v => v.impact === 'serious' || v.impact === 'critical')"
            ".map(v => ({id: v.id, help: v.help, where: v.nodes.slice(0, 3).map(n => n.target.join(' '))}))"
        )
        for v in found:
            self.walk.findings.setdefault(
                f"{v['id']} on {page_key(url)}", f"{self.walk.role}: {v['help']}: {v['where']} ({url})"
            )

    def crawl(self) -> list[str]:
        """Breadth-first over same-origin links from the page the launch showed (a POST answer, so
        never opened again); answers the pages seen, in order."""
        self.check_accessibility(self.tool.url)
        queue: deque[str] = deque()
        seen: set[str] = set()

        def follow() -> None:
            for link in self.links():
                if page_key(link) not in seen:
                    seen.add(page_key(link))
                    queue.append(link)

        follow()
        while queue and len(self.walk.visited) < MAX_PAGES:
            url = queue.popleft()
            if not self.open(url):
                self.walk.failures.append(f"{self.walk.role}: {url} did not open")
                continue
            self.walk.visited.append(url)
            self.forms[url] = [what for _, what in self.forms_on(url)]
            self.check_accessibility(url)
            follow()
        return self.walk.visited

    def forms_on(self, url: str) -> list[tuple[int, str]]:
        """The page's forms a walk sends: (index, what it does), destructive ones left out."""
        found = self.tool.evaluate(FORMS)
        out = []
        for form in found:
            if (
                form["confirm"]
                or DESTRUCTIVE.search(form["label"])
                or not form["action"].startswith(self.tool_url)
            ):
                continue
            out.append((form["i"], f"{form['method'].upper()} {page_key(form['action'])} [{form['label']}]"))
        return out

    def submit_all(self, pages: list[str]) -> None:
        """Each kind of form once, each from a fresh copy of its page (what the page shows may
        have changed with the form before); pages seen without forms are not opened again."""
        done: set[str] = set()
        for url in pages:
            kinds = dict.fromkeys(self.forms.get(url, []))  # two goals' "Save" are one kind of form
            pending = [w for w in kinds if f"{page_key(url)} {w}" not in done]
            back = False  # already on a fresh copy of the page (a form that answered with it)
            while pending and (back or self.open(url)):
                now = [(i, w) for i, w in self.forms_on(url) if w in pending]
                if not now:
                    break
                index, what = now[0]
                done.add(f"{page_key(url)} {what}")
                pending.remove(what)
                back = self.send(index, what, url) and page_key(self.tool.url) == page_key(url)

    def send(self, index: int, what: str, url: str) -> bool:
        """Fill and send one form; True when it answered with a new page."""
        self.doing = f"sending {what} on {url}"
        form = self.tool.evaluate_handle(f"() => document.querySelectorAll('main form')[{index}]")
        choices = CHOICES.get(what.split(" ")[1], {})
        submitter = self.tool.evaluate_handle(FILL, [form, choices])
        if submitter.evaluate("s => s === null"):
            return False
        before = len(self.walk.failures)
        sent = self._navigated(lambda: form.evaluate("(f, s) => f.requestSubmit(s)", submitter))
        self.walk.submitted.append(what + ("" if sent else " (stayed on the page)"))
        if sent:
            if len(self.walk.failures) > before:
                self.walk.failures[-1] += f": {self.tool.evaluate(SAID)}"
            self.check_accessibility(self.tool.url)
        return sent
