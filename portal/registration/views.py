"""registration views."""
