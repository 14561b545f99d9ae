"""Roster: who is in a programme before they launch (NRPS sync) and profiles in bulk (CSV)."""
