"""What openSPP tests need beside the product's client: a clean start for its process-wide caches, and DCI clients
answered by a handler instead of the network."""

import httpx

from portal.clients import openspp


def clear_caches():
    """Forget every cached listing and DCI token: they are process-wide, and each test starts from nothing."""
    with openspp.Caches.lock:
        openspp.Caches.listings.clear()
        openspp.Caches.tokens.clear()


def dci_client(handler, **options):
    """A DciClient (no retries) whose every HTTP call `handler` answers (an httpx.MockTransport handler)."""
    clear_caches()
    return openspp.DciClient("http://openspp.test", "interop-portal", "secret", retries=0,
                             transport=httpx.MockTransport(handler), **options)
