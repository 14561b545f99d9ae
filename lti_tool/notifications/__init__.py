"""In-app notifications and e-mail with per-person preferences, digests and one-click unsubscribe."""
