"""packets handlers."""
