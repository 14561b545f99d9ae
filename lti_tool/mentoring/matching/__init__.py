"""Profiles in, explained mentor/mentee matches out."""
