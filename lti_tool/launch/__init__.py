"""LTI 1.3 at the edge: OIDC login, launch checks, keys, the platform registry, the in-frame session."""
