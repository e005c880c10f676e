"""registration models."""
