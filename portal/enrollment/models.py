"""enrollment models."""
