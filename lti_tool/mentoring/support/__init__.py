"""Support: private help requests to a programme's coordinators, and its help pages (FAQ)."""
