"""Scores for LMS gradebooks: line items, the durable score outbox and its delivery.

The domain calls :func:`lti_tool.grades.service.set_score` inside its own transaction; a job delivers
the latest value to the LMS later, whatever happens to the LMS or to Ritmo in the meantime. The AGS
calls and their access tokens are the LTI service client's (:mod:`lti_tool.lti_services`).
"""
