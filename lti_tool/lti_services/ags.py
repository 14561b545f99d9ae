"""Assignment and Grade Services: find or create line items, post scores, over plain HTTP.

Nothing here touches the database: callers pass a bearer token (see ``tokens``) and plain values,
and get plain values or an :class:`AgsError` that says whether trying again later can help.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from lti_tool.http import Answer, Client
from lti_tool.lti_services.errors import AgsError
from lti_tool.lti_services.transport import call, next_page_url

SCOPE_LINEITEM = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem"
SCOPE_SCORE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
# One token covers everything delivery does, so a platform sees one token request per expiry.
DELIVERY_SCOPES = (SCOPE_LINEITEM, SCOPE_SCORE)
LINEITEM_MT = "application/vnd.ims.lis.v2.lineitem+json"
CONTAINER_MT = "application/vnd.ims.lis.v2.lineitemcontainer+json"
SCORE_MT = "application/vnd.ims.lis.v1.score+json"
PAGE_LIMIT = 100
MAX_PAGES = 200


def find_line_item(
    session: Client, token: str, lineitems_url: str, resource_id: str, tag: str,
    timeout: Any, *, limit: int = PAGE_LIMIT,
) -> dict[str, Any] | None:
    """The line item with this ``resourceId`` and ``tag``, following ``Link: rel="next"`` pages."""
    url: str | None = with_query(
        lineitems_url, {"resource_id": resource_id, "tag": tag, "limit": str(limit)}
    )
    for _ in range(MAX_PAGES):
        if url is None:
            return None
        response = call(
            session, "GET", url, timeout, error=AgsError, token=token, accept=CONTAINER_MT
        )
        items = _json(response)
        for item in items if isinstance(items, list) else []:
            # Filter again: some platforms ignore the query filters.
            if not isinstance(item, dict):
                continue
            if item.get("resourceId") == resource_id and item.get("tag", tag) == tag:
                return dict(item)
        url = next_page_url(response.headers.get("Link"))
    return None


def find_link_line_item(
    session: Client, token: str, lineitems_url: str, resource_link_id: str, timeout: Any,
    *, limit: int = PAGE_LIMIT,
) -> dict[str, Any] | None:
    """The one line item of a resource link (``resource_link_id`` filter), for platforms that keep
    a deep-linked column's link but not its ``resourceId``; None when there is none or several."""
    url: str | None = with_query(lineitems_url, {"resource_link_id": resource_link_id, "limit": str(limit)})
    found: list[dict[str, Any]] = []
    for _ in range(MAX_PAGES):
        if url is None:
            break
        response = call(session, "GET", url, timeout, error=AgsError, token=token, accept=CONTAINER_MT)
        items = _json(response)
        for item in items if isinstance(items, list) else []:
            # Filter again: some platforms ignore the query filters.
            if isinstance(item, dict) and item.get("resourceLinkId") == resource_link_id:
                found.append(dict(item))
        url = next_page_url(response.headers.get("Link"))
    return found[0] if len(found) == 1 else None


def create_line_item(
    session: Client, token: str, lineitems_url: str, body: dict[str, Any], timeout: Any
) -> dict[str, Any]:
    response = call(
        session, "POST", lineitems_url, timeout, error=AgsError, token=token, accept=LINEITEM_MT,
        json_body=body, content_type=LINEITEM_MT,
    )
    item = _json(response)
    if not isinstance(item, dict) or not item.get("id"):
        raise AgsError("The LMS created the gradebook column but did not say its URL.",
                       status=response.status_code, transient=True)
    return item


def update_line_item(
    session: Client, token: str, lineitem_url: str, body: dict[str, Any], timeout: Any
) -> dict[str, Any]:
    """PUT the column's label, maximum and ids (the whole line item, as the spec asks)."""
    response = call(
        session, "PUT", lineitem_url, timeout, error=AgsError, token=token, accept=LINEITEM_MT,
        json_body={"id": lineitem_url, **body}, content_type=LINEITEM_MT,
    )
    if not response.content:
        return {"id": lineitem_url, **body}
    item = _json(response)
    return dict(item) if isinstance(item, dict) else {"id": lineitem_url, **body}


def post_score(
    session: Client, token: str, lineitem_url: str, score: dict[str, Any], timeout: Any
) -> None:
    call(
        session, "POST", scores_url(lineitem_url), timeout, error=AgsError, token=token,
        json_body=score, content_type=SCORE_MT,
    )


def _json(response: Answer) -> Any:
    """The answer's JSON, or an :class:`AgsError`: a malformed answer is the LMS's fault, and the
    delivery job handles it like any other failed call (backoff, then a message for the instructor)."""
    try:
        return response.json()
    except ValueError as error:
        raise AgsError("The LMS answered the gradebook call with something that is not JSON.",
                       status=response.status_code, transient=True) from error


def scores_url(lineitem_url: str) -> str:
    """``<line item>/scores`` with the line item's query string kept (Moodle's ``?type_id=``)."""
    parts = urlsplit(lineitem_url)
    return urlunsplit(parts._replace(path=parts.path.rstrip("/") + "/scores"))


def with_query(url: str, params: dict[str, str]) -> str:
    """``url`` with ``params`` added, keeping any the URL already names (and their order)."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    query += [(k, v) for k, v in params.items() if k not in {name for name, _ in query}]
    return urlunsplit(parts._replace(query=urlencode(query)))
