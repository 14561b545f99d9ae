"""The coordinator's live KPI dashboard: a programme's figures, each one SQL aggregate."""
