"""Ritmo's shipped configuration: defaults, logging, example platform registrations."""
