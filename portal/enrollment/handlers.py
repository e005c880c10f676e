"""enrollment handlers."""
