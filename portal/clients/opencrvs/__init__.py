"""OpenCRVS: the records it registers and the outcome MOSIP gives them; the only place that knows OpenCRVS's wire
format (specs/notes/crvs-mosip.md §6).

  client.py    OpenCrvsClient (system token, webhook subscriptions, the outcome back to OpenCRVS 1.x or 1.9, the
               interop call's JWT), Outcome, OutcomeNotSentError, Subscription, from_config
  tokens.py    OpenCRVS's JWTs read and checked; TokenRejectedError
  webhook.py   a webhook delivery: its X-Hub-Signature, its envelope read into a CrvsEvent; IntakeError, the topics
  interop.py   the OpenCRVS v1.9 interop call read into a CrvsEvent
  fhir.py      a FHIR bundle read into a Record (people, ids, status); BundleError

Callers import the package (`from portal.clients import opencrvs`) and use `opencrvs.<name>` for the client's names
below; webhook, interop and fhir are imported by their module (`from portal.clients.opencrvs import webhook`). They
are not imported here because a webhook's record is checked against MOSIP's identity mapping
(`portal.clients.mosip.identity`), which reads fhir.py: importing them here would make the two packages import
each other while they load.
"""

from portal.clients.errors import PermanentPeerError, TransientPeerError  # what the client's calls raise

from .client import (DEFAULT_TOPICS, GENERATIONS, OPENCRVS_ISSUER, PEER, OpenCrvsClient, Outcome, OutcomeNotSentError,
                     Subscription, from_config)
from .tokens import TokenRejectedError

__all__ = [
    "DEFAULT_TOPICS", "GENERATIONS", "OPENCRVS_ISSUER", "PEER",
    "OpenCrvsClient", "Outcome", "OutcomeNotSentError", "PermanentPeerError", "Subscription", "TokenRejectedError",
    "TransientPeerError", "from_config",
]
