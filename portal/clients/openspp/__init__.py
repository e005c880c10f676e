"""openSPP: search its individuals (DCI social registry sync search or the registry REST API) and read what it
pushes to the enrollment API; the only place that knows openSPP's and DCI's wire formats.

  client.py       DciClient (token, sync search, paging), RegistryClient (registry REST), from_config; Caches
  dci.py          DCI envelopes both ways: the search request and its answer; the enrollment API's headers,
                  callback answers and transaction status query (HttpError, RejectedError)
  enrollment.py   the body of a pushed enrollment: its beneficiaries, or openSPP's plain individual
  individuals.py  Individual (whatever API it came from), the readers of registry and DCI records, sorting, paging
  errors.py       what staff read when openSPP refuses or answers in an unknown shape (StaffText, dci_error); PEER

A DCI registry's error is shown to staff with its own code and message, whatever shape it comes in
(`dci_error`): the SPDCI acknowledgement `{"message": {"ack_status": "ERR", "error": {code, message}}}` (OpenSPP 2
answers every error so), `HttpErrorResponse`, openSPP 17's `{"error": {code, message}}`, openIMIS's DCI module's
`{"header": {"status": "error", "message"}}`. A search answer the client cannot read (openIMIS's DCI module puts
persons in `search_response[].registry_data.data[]` with `firstName`/`dob`) fails with a message naming what was
expected and what came; it never reads as "nobody found". These messages are `StaffText`: English in logs and
stored text, in the reader's language on a page.

Callers import the package (`from portal.clients import openspp`) and use `openspp.<name>` for the names below;
the enrollment API imports `portal.clients.openspp.dci` and `.enrollment` themselves.
"""

from .client import Caches, DciClient, RegistryClient, from_config
from .errors import PEER, StaffText, dci_error
from .individuals import (SORTS, Identifier, Individual, Page, individual_from_dci, individual_from_registry,
                          paginate, parse_date, sort_individuals)

__all__ = [
    "PEER", "SORTS",
    "Caches", "DciClient", "Identifier", "Individual", "Page", "RegistryClient", "StaffText",
    "dci_error", "from_config", "individual_from_dci", "individual_from_registry", "paginate", "parse_date",
    "sort_individuals",
]
