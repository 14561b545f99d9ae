"""Assignment and Grade Services: line items, the durable score outbox, delivery and its token cache.

The domain calls :func:`lti_tool.grades.service.set_score` inside its own transaction; a job delivers
the latest value to the LMS later, whatever happens to the LMS or to Ritmo in the meantime.
"""
