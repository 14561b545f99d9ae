"""Training: webinars (registration, waiting list, reminders, attendance) and training gates."""
