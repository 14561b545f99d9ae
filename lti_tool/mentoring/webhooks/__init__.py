"""Signed webhooks: an institution's systems subscribe to Ritmo's domain events per platform."""
