"""Who is asking, inside the LMS frame: the launch context, the signed in-frame
session and its decorators, LIS role rules, per-person revocation and one-time
handoff codes.

Sits below the features and beside the LTI edge: it imports neither
``lti_tool.launch`` nor any feature package.
"""
