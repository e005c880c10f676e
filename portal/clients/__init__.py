"""One module per peer. Only these modules know a peer's wire format."""
