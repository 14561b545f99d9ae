"""The relationship space: threads and chat of a match, the programme forum, and the match history."""
