"""Errors every peer client raises, so the job queue decides retry or dead from the class alone."""


class PeerError(Exception):
    """A call to a peer did not succeed."""

    permanent = False

    def __init__(self, message, *, peer=None, status=None, code=None):
        super().__init__(message)
        self.peer = peer
        self.status = status
        self.code = code


class TransientPeerError(PeerError):
    """Timeout, connection refused, 5xx, 408, 429: retry later with backoff."""


class PermanentPeerError(PeerError):
    """Any other 4xx, a rejected mutation, a bad answer: retrying will not help."""

    permanent = True


def error_for_status(peer, status, message):
    """Classify an HTTP status the way the queue needs it."""
    if status in (408, 425, 429) or status >= 500:
        return TransientPeerError(message, peer=peer, status=status)
    return PermanentPeerError(message, peer=peer, status=status)
