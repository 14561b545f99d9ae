"""Surveys: a programme's questionnaires, who is asked when, their answers, and what coordinators
may see of them (aggregates only, within the privacy rule)."""
