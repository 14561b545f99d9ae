"""Ritmo's API as a contract: the OpenAPI document built from the routes and their marshmallow
schemas, the reference page, the version rule, and keys for institutions' systems."""
