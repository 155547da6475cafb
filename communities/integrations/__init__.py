"""Integrations: signed webhooks (per community, owner-managed) and Atom/RSS feeds."""
