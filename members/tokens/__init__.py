"""Personal access tokens for the REST API: the settings page, and the API plumbing every room's
``api.py`` shares (``auth``: who is calling and the token checks; ``paging``: cursors;
``idempotency``: Idempotency-Key; ``schemas``: shared types)."""
