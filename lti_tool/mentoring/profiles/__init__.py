"""Profiles: the programme's questionnaire and each participant's answers."""
