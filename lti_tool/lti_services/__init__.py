"""The LTI service client: what Ritmo asks of an LMS server to server, over the guarded HTTP client.

``tokens`` gets and shares the access tokens (client credentials with a ``private_key_jwt``
assertion), ``ags`` reads and writes line items and scores, ``nrps`` reads course memberships,
``transport`` holds what they share on the wire, ``errors`` the one error family they raise.
Nothing here knows the domain: callers (the grades outbox, the roster sync) pass plain values and a
platform registration, and get plain values back. It may read launch's platform registry and keys;
launch never imports it.
"""
