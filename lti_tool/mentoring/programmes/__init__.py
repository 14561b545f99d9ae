"""Mentoring programmes in a course and the people taking part in them."""
