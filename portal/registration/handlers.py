"""registration handlers."""
