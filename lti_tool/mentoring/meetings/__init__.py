"""Meetings of a match: proposed times, acceptance, a video link, calendar invitations, outcome."""
