"""Schemathesis against a served Ritmo: for each role (coordinator, mentor, mentee, and a system
with an API key of every scope), every operation of ``/api/openapi.json`` is called with generated
parameters and bodies, and every answer must be no 5xx, match its documented schema and content
type, and have a documented status.

Path parameters take the ids of a lived-in programme (``fuzz_world``), so operations are reached
rather than answered 404. Bounded: ``RITMO_FUZZ_EXAMPLES`` cases per operation and role (default
3) and ``RITMO_FUZZ_SECONDS`` per role (default 60). ``RITMO_FUZZ_TAGS=support,meetings`` limits
the run to operations with those tags; ``-k mentee`` to one role. ``RITMO_FUZZ_REPORT=FILE``
writes the findings as Markdown, by tag. On both databases: what only PostgreSQL refuses (a NUL in
a text, say) must come back as a 4xx there too, not as a 500.
"""

from __future__ import annotations

import copy
import os
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests
import schemathesis
from flask import Blueprint, Flask, request
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from marshmallow import Schema, fields
from schemathesis.checks import not_a_server_error
from schemathesis.core.errors import SerializationNotPossible
from schemathesis.core.failures import FailureGroup
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from lti_tool.api import openapi, versions
from lti_tool.api.spec import document
from lti_tool.demo.server import ServerHandle, serve_in_thread
from tests.api.fuzz_world import FuzzWorld, seed

pytestmark = pytest.mark.slow

CHECKS = [not_a_server_error, response_schema_conformance, status_code_conformance, content_type_conformance]
EXAMPLES = int(os.environ.get("RITMO_FUZZ_EXAMPLES", "3"))
SECONDS = float(os.environ.get("RITMO_FUZZ_SECONDS", "60"))
TAGS = {t.strip() for t in os.environ.get("RITMO_FUZZ_TAGS", "").split(",") if t.strip()}
REPORT = os.environ.get("RITMO_FUZZ_REPORT")
#: positive (requests the document allows), negative (requests it does not: each must be refused
#: with a documented 4xx, never a 5xx), or both.
MODES = {
    "positive": (GenerationMode.POSITIVE,),
    "negative": (GenerationMode.NEGATIVE,),
    "all": (GenerationMode.POSITIVE, GenerationMode.NEGATIVE),
}[os.environ.get("RITMO_FUZZ_MODE", "all")]
# Reads first, then writes, deletions last: a run that deletes the thread early reaches less.
ORDER = {"GET": 0, "POST": 1, "PUT": 1, "PATCH": 1, "DELETE": 2}


@pytest.fixture
def app_config() -> dict[str, object]:
    # A chat poll waits for news up to this long; fuzzing needs the answer, not the wait.
    return {"CHAT_MAX_WAIT_SECONDS": 0.2}


@dataclass
class Findings:
    role: str
    failures: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))  # tag -> texts
    skipped: list[str] = field(default_factory=list)
    unreached: list[str] = field(default_factory=list)
    operations: int = 0
    statuses: dict[str, set[int]] = field(default_factory=lambda: defaultdict(set))  # operation -> seen

    def add(self, tag: str, operation: str, text: str) -> None:
        self.failures[tag].append(f"{operation} as {self.role}:\n{text.strip()}")


def pinned_document(app: Flask, world: FuzzWorld) -> dict[str, Any]:
    """The document, with each path parameter pinned to an id of ``world`` (when it has one)."""
    document = copy.deepcopy(openapi.openapi_document(app))
    for path, operations in document["paths"].items():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                if parameter.get("in") != "path" or "enum" in parameter.get("schema", {}):
                    continue  # an ``any(...)`` path parameter keeps its own values
                value = world.value_for(path, parameter["name"])
                if value is not None:
                    parameter["schema"] = {"type": "integer" if isinstance(value, int) else "string",
                                           "enum": [value]}
    return document


def fuzz(schema: Any, base_url: str, headers: dict[str, str], findings: Findings) -> None:
    deadline = time.monotonic() + SECONDS
    operations = [result.ok() for result in schema.get_all_operations()]
    operations.sort(key=lambda op: (ORDER.get(op.method.upper(), 1), op.path))
    session = requests.Session()
    for operation in operations:
        tags = operation.definition.raw.get("tags") or ["untagged"]
        if TAGS and not TAGS & set(tags):
            continue
        label = f"{operation.method.upper()} {operation.path}"
        if time.monotonic() > deadline:
            findings.unreached.append(label)
            continue
        findings.operations += 1
        try:
            fuzz_operation(operation, tags[0], label, session, base_url, headers, findings)
        except SerializationNotPossible as error:
            findings.skipped.append(f"{label}: {error}")
    session.close()  # the served Ritmo waits for open connections before the app is torn down


def fuzz_operation(
    operation: Any, tag: str, label: str, session: requests.Session, base_url: str,
    headers: dict[str, str], findings: Findings,
) -> None:
    seen: set[str] = set()  # one report per kind of failure per operation

    @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    @given(case=st.one_of(*(operation.as_strategy(generation_mode=mode) for mode in MODES)))
    def check(case: Any) -> None:
        try:
            response = case.call(base_url=base_url, session=session, headers=headers, timeout=30)
            findings.statuses[label].add(response.status_code)
            named = response.headers.get(versions.HEADER.lower()) == [str(versions.CURRENT)]
            if not named and "version" not in seen:
                seen.add("version")  # every answer under /api names its version, errors included
                findings.add(tag, label, f"{response.status_code} without {versions.HEADER}: 1")
            case.validate_response(response, checks=CHECKS, headers=headers)
        except FailureGroup as failures:
            key = "; ".join(sorted({f"{type(f).__name__}: {f.title}" for f in failures.exceptions}))
            if key not in seen:
                seen.add(key)
                findings.add(tag, label, str(failures))

    check()


@pytest.mark.parametrize("role", ["coordinator", "mentor", "mentee", "system"])
def test_the_api_keeps_its_contract(app: Flask, ritmo: ServerHandle, role: str) -> None:
    world = seed(app)
    schema = schemathesis.openapi.from_dict(pinned_document(app, world))
    findings = Findings(role)

    fuzz(schema, ritmo.url, world.headers(role), findings)

    write_report(findings, world)
    summary = "\n\n".join(
        f"## {tag}\n" + "\n\n".join(texts) for tag, texts in sorted(findings.failures.items())
    )
    if findings.unreached:
        print(f"Time budget ({SECONDS:.0f} s) spent before {len(findings.unreached)} operations: "
              + ", ".join(findings.unreached))
    assert findings.operations, "no operation was fuzzed (check RITMO_FUZZ_TAGS)"
    if findings.failures:
        count = sum(len(t) for t in findings.failures.values())
        pytest.fail(f"{count} contract failures as {role} (by tag):\n\n{summary}", pytrace=False)


def write_report(findings: Findings, world: FuzzWorld) -> None:
    if not REPORT:
        return
    lines = [f"# Fuzz findings as {findings.role} ({findings.operations} operations, "
             f"{EXAMPLES} examples each)", ""]
    if world.problems:
        lines += ["## Seeding steps that failed (ids of these things are missing)", ""]
        lines += [f"- {p}" for p in world.problems] + [""]
    for tag, texts in sorted(findings.failures.items()):
        lines += [f"## {tag}", ""]
        for text in texts:
            lines += ["```", text, "```", ""]
    if findings.skipped:
        lines += ["## Not fuzzed (body cannot be generated)", ""]
        lines += [f"- {s}" for s in findings.skipped] + [""]
    if findings.unreached:
        lines += ["## Not reached within the time budget", ""] + [f"- {u}" for u in findings.unreached]
    never = sorted(f"- {op}: {sorted(seen)}" for op, seen in findings.statuses.items()
                   if not any(200 <= s < 300 for s in seen))
    if never:
        lines += ["", "## Never answered 2xx (only these statuses: reached, but not exercised)", "", *never]
    with Path(REPORT).open("a", encoding="utf-8") as out:
        out.write("\n".join(lines) + "\n\n")


class BrokenOut(Schema):
    id = fields.Integer(required=True)


class BrokenIn(Schema):
    count = fields.Integer(required=True)


def test_the_run_reports_a_5xx_a_wrong_shape_and_an_undocumented_status() -> None:
    """The harness itself can fail: a tiny API that breaks each check is caught on each."""
    small = Flask("broken")
    versions.init_app(small)
    bp = Blueprint("broken", __name__)

    @bp.get("/api/crash")
    @document("Crash", tags=("broken",), responses={200: BrokenOut}, auth=("none",))
    def crash():
        raise RuntimeError("boom")

    @bp.get("/api/shape")
    @document("Shape", tags=("broken",), responses={200: BrokenOut}, auth=("none",))
    def shape():
        return {"id": "not a number"}

    @bp.get("/api/status")
    @document("Status", tags=("broken",), responses={200: BrokenOut}, auth=("none",))
    def status():
        return {"id": 1}, 202

    @bp.post("/api/unchecked")
    @document("Unchecked", tags=("broken",), body=BrokenIn, responses={200: BrokenOut}, auth=("none",),
              errors=(400, 413, 415, 422, 429))
    def unchecked():
        return {"id": request.get_json(force=True)["count"] + 1}  # no validation: a bad body is a 500

    small.register_blueprint(bp)
    server = serve_in_thread(small, "127.0.0.1", 0)
    try:
        findings = Findings("anyone")
        fuzz(schemathesis.openapi.from_dict(openapi.build(small)), server.url, {}, findings)
    finally:
        server.shutdown()
    reported = "\n".join(findings.failures["broken"])
    assert "GET /api/v1/crash" in reported and "Server error" in reported
    assert "GET /api/v1/shape" in reported and "Response violates schema" in reported
    assert "GET /api/v1/status" in reported and "Undocumented status code" in reported
    # Only requests the document forbids (negative cases) reach this one's 500.
    assert ("POST /api/v1/unchecked" in reported) == (GenerationMode.NEGATIVE in MODES)


def test_the_run_reports_an_answer_that_names_no_version() -> None:
    bare = Flask("bare")
    bare.wsgi_app = versions.VersionedPaths(bare.wsgi_app)  # type: ignore[method-assign]
    bp = Blueprint("bare", __name__)  # the path rule, but not the headers of versions.init_app

    @bp.get("/api/plain")
    @document("Plain", tags=("bare",), responses={200: BrokenOut}, auth=("none",))
    def plain():
        return {"id": 1}

    bare.register_blueprint(bp)
    server = serve_in_thread(bare, "127.0.0.1", 0)
    try:
        findings = Findings("anyone")
        fuzz(schemathesis.openapi.from_dict(openapi.build(bare)), server.url, {}, findings)
    finally:
        server.shutdown()
    assert findings.failures["bare"] == ["GET /api/v1/plain as anyone:\n200 without Ritmo-API-Version: 1"]
