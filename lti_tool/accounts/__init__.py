"""People and courses as the LMS describes them: users keyed by (platform, sub), courses by context."""
