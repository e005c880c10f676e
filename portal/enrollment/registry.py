"""What the social-protection officer searches and picks from: openSPP's individuals (search, one by id, everyone a
search finds) and openIMIS's products and enrolment officers. Views ask here, never a peer client."""

from portal.clients import peer


def sorts():
    """The orders openSPP's API can sort a search by (DCI records carry no registration date)."""
    return peer("openspp").sorts


def search(find, *, page, page_size, sort):
    """One page of the individuals `find` ({"name": …} or {"openspp_id": …}) matches."""
    client = peer("openspp")
    return client.search(**find, page=page, page_size=page_size, sort=sort if sort in client.sorts else "name")


def everyone(find):
    """Every individual `find` matches (for "select all")."""
    return peer("openspp").find(**find)


def individual(openspp_id):
    """The individual with this openSPP id, or None."""
    return peer("openspp").get(openspp_id)


def products_and_officers():
    """openIMIS's products and enrolment officers, as the enroll form offers them."""
    client = peer("openimis")
    return client.products(), client.officers()
