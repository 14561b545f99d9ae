"""Background work over a durable table.

Features call :func:`enqueue` inside their own transaction, so a job exists exactly when the change
that needs it was committed. Features register their task functions explicitly from their
``init_app`` (:func:`register_task`). The same task functions run in the in-process runner (embedded mode) or
in Celery workers (production); see ``runner.py`` and ``celery_app.py``.
"""

from lti_tool.jobs.registry import enqueue, register_task

__all__ = ["enqueue", "register_task"]
