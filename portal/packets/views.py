"""packets views."""
