"""The mentoring domain: one package per feature, each owning models, service, schemas and views.

Nothing here imports pylti1p3: the launch layer hands the domain plain values (``LaunchContext``).
"""
