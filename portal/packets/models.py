"""packets models."""
