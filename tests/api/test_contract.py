"""The OpenAPI document is the contract: it is valid OpenAPI 3.1, it names every ``/api`` route,
and each schema is one component under one name."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

import pytest
from flask import Blueprint, Flask
from marshmallow import Schema, fields
from openapi_spec_validator import validate

from lti_tool.api import openapi
from lti_tool.api.spec import Response, document


def test_the_document_is_valid_openapi_3_1(app: Flask) -> None:
    doc = openapi.openapi_document(app)

    validate(doc)
    assert doc["openapi"] == "3.1.0"
    assert set(doc["components"]["securitySchemes"]) == {"session", "apiKey"}
    assert doc["components"]["securitySchemes"]["apiKey"] == {
        "type": "apiKey", "in": "header", "name": "X-API-Key",
        "description": doc["components"]["securitySchemes"]["apiKey"]["description"],
    }
    assert all(path.startswith("/api/v1/") for path in doc["paths"])
    used = {tag for operations in doc["paths"].values() for op in operations.values() for tag in op["tags"]}
    described = {tag["name"] for tag in doc["tags"] if tag.get("description")}
    assert used <= described, f"tags without a description in lti_tool/api/guide.py: {used - described}"


def test_every_api_route_is_in_the_document(app: Flask) -> None:
    missing = openapi.undocumented(app)
    by_blueprint: dict[str, list[str]] = defaultdict(list)
    for route in missing:
        by_blueprint[route.endpoint.rsplit(".", 1)[0]].append(f"  {route}")
    todo = "\n".join(
        f"{blueprint} ({len(lines)}):\n" + "\n".join(lines)
        for blueprint, lines in sorted(by_blueprint.items())
    )
    if missing:
        pytest.fail(
            f"{len(missing)} /api routes have no @document(...) declaration (lti_tool/api/spec.py), "
            f"by blueprint:\n{todo}",
            pytrace=False,
        )
    doc = openapi.openapi_document(app)
    for route in openapi.api_routes(app):
        assert route.method.lower() in doc["paths"][openapi.openapi_path(route.rule)], route


def test_each_route_answers_its_kinds_errors_as_problem_json(app: Flask) -> None:
    doc = openapi.openapi_document(app)
    problem = {"$ref": "#/components/schemas/Problem"}
    for status, response in doc["components"]["responses"].items():
        assert response["content"] == {"application/problem+json": {"schema": problem}}, status
    space = doc["paths"]["/api/v1/openapi.json"]["get"]
    assert space["security"] == [{}]  # public
    assert set(space["responses"]) == {"200"}


# -- a small app of its own, to see each rule of the generator ------------------------------------


class ThingOut(Schema):
    id = fields.Integer(required=True)
    colour = fields.String(metadata={"deprecated": True, "description": "Use shade."})
    shade = fields.String(allow_none=True)


class ThingIn(Schema):
    shade = fields.String(required=True)


class ThingQuery(Schema):
    before = fields.Integer()


def small_app(*views: Blueprint) -> Flask:
    app = Flask(__name__)
    for bp in views:
        app.register_blueprint(bp)
    return app


def things() -> Blueprint:
    bp = Blueprint("things", __name__)

    @bp.get("/api/things")
    @document("List things", tags=("things",), query=ThingQuery, responses={200: ThingOut(many=True)})
    def list_things():  # pragma: no cover - never called
        return []

    @bp.post("/api/boxes/<int:box_id>/things/<any(red, blue):side>")
    @document(
        "Add a thing", tags=("things",), body=ThingIn, responses={201: ThingOut}, errors=(409,),
        deprecated=date(2027, 1, 15), sunset=date(2027, 7, 15),
    )
    def add_thing(box_id: int, side: str):  # pragma: no cover
        return {}

    @bp.get("/api/boxes/<name>/export.csv")
    @document("Export", tags=("things",), responses={200: Response("CSV", media_type="text/csv")},
              auth=("apiKey",), scopes=("things:read",))
    def export(name: str):  # pragma: no cover
        return ""

    @bp.patch("/api/things/<int:thing_id>")
    @document("Change a thing", tags=("things",), body=ThingIn(partial=True), responses={200: ThingOut})
    def change_thing(thing_id: int):  # pragma: no cover
        return {}

    @bp.get("/api/forgotten")
    def forgotten():  # pragma: no cover
        return ""

    return bp


def test_path_parameters_query_body_and_responses_follow_the_rule_and_schemas() -> None:
    doc = openapi.build(small_app(things()))
    validate(doc)

    listing = doc["paths"]["/api/v1/things"]["get"]
    assert listing["parameters"] == [{
        "in": "query", "name": "before", "required": False, "schema": {"type": "integer"},
        "description": listing["parameters"][0]["description"],
    }]
    assert "next_before" in listing["parameters"][0]["description"]
    assert listing["responses"]["200"]["content"]["application/json"]["schema"] == {
        "type": "array", "items": {"$ref": "#/components/schemas/ThingOut"}
    }
    assert set(listing["responses"]) == {"200", "400", "401", "403", "422"}

    add = doc["paths"]["/api/v1/boxes/{box_id}/things/{side}"]["post"]
    box, side = add["parameters"]
    assert box["schema"] == {"type": "integer", "minimum": 0, "maximum": 2**31 - 1}
    assert side["schema"] == {"type": "string", "enum": ["blue", "red"]}
    body = add["requestBody"]["content"]["application/json"]["schema"]
    assert body == {"$ref": "#/components/schemas/ThingIn"}
    assert set(add["responses"]) == {"201", "400", "401", "403", "404", "409", "413", "415", "422", "429"}
    assert add["deprecated"] is True
    assert set(add["responses"]["201"]["headers"]) == {"Ritmo-API-Version", "Deprecation", "Sunset"}

    export = doc["paths"]["/api/v1/boxes/{name}/export.csv"]["get"]
    assert export["security"] == [{"apiKey": ["things:read"]}]
    assert export["responses"]["200"]["content"] == {"text/csv": {"schema": {"type": "string"}}}

    change = doc["paths"]["/api/v1/things/{thing_id}"]["patch"]
    partial = change["requestBody"]["content"]["application/json"]["schema"]
    assert partial["properties"] == {"shade": {"type": "string"}} and "required" not in partial  # inline

    thing = doc["components"]["schemas"]["ThingOut"]
    assert thing["properties"]["colour"]["deprecated"] is True
    assert thing["properties"]["shade"]["type"] == ["string", "null"]
    assert "/api/v1/forgotten" not in doc["paths"]
    assert [str(r) for r in openapi.undocumented(small_app(things()))] == [
        "GET /api/forgotten (things.forgotten)"
    ]


def test_two_schemas_of_one_name_fail_the_generation() -> None:
    def other_thing_out() -> type[Schema]:
        class ThingOut(Schema):  # same name, different class
            name = fields.String()

        return ThingOut

    bp = Blueprint("clash", __name__)

    @bp.get("/api/clash")
    @document("Clash", responses={200: other_thing_out()})
    def clash():  # pragma: no cover
        return {}

    with pytest.raises(openapi.SchemaNameClash, match=r"ThingOut.*Rename one"):
        openapi.build(small_app(things(), bp))


def test_component_names_are_unique_in_ritmo(app: Flask) -> None:
    openapi.build(app)  # raises SchemaNameClash, naming both classes, when two share a name


def test_a_deprecation_names_its_date() -> None:
    with pytest.raises(ValueError, match="date"):
        document("Old", deprecated=True)
