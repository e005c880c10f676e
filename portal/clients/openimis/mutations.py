"""openIMIS's asynchronous mutations: what `mutationLogs` says about the ones sent with one clientMutationId.

A mutation's reply is only `{clientMutationId internalId}`; its outcome is read from `mutationLogs(clientMutationId:)`
(status 0 received, then 2 success or 1 error with `error` = JSON text). openIMIS does not deduplicate a repeated
clientMutationId (each call is one more log and one more run): `parse_mutation_logs` combines them.
"""

import base64
from collections.abc import Mapping
from dataclasses import dataclass

from portal.clients.errors import PermanentPeerError

from .errors import PEER, error_codes, plain_error

MUTATION_STATUS = {0: "received", 1: "error", 2: "success"}


@dataclass(frozen=True)
class MutationResult:
    """What openIMIS says about the mutations sent with one clientMutationId.

    `status` is "received" (still running), "success" or "error"; `error` is plain text for people,
    `raw_error` the log's text as openIMIS wrote it, `error_codes` openIMIS's codes in it (for code that acts
    on the kind of refusal). `attempts` counts the logs found for that id (more than one when the same id
    was sent again).
    """

    client_mutation_id: str | None
    status: str
    internal_id: str | None = None
    error: str | None = None
    raw_error: str | None = None
    attempts: int = 1
    error_codes: tuple = ()

    @property
    def done(self):
        return self.status != "received"

    @property
    def ok(self):
        return self.status == "success"

    def raise_for_error(self):
        """Raise PermanentPeerError (plain text) when openIMIS refused the mutation."""
        if self.status == "error":
            raise PermanentPeerError(self.error or "openIMIS refused the operation", peer=PEER, code="mutation_error")
        return self


def parse_mutation_logs(payload, client_mutation_id=None):
    """`mutationLogs` answer (whole body, its `data`, or the connection) → MutationResult, or None if no log.

    Several logs for one clientMutationId (the id was sent again) combine as openIMIS's outcome for that id:
    success if any run succeeded, else still received if one is pending, else the latest error.
    """
    connection = payload
    if isinstance(connection, Mapping) and "data" in connection:
        connection = connection["data"]
    if isinstance(connection, Mapping) and "mutationLogs" in connection:
        connection = connection["mutationLogs"]
    try:
        nodes = [edge["node"] for edge in connection["edges"]]
        nodes.sort(key=lambda n: n.get("requestDateTime") or "")
        statuses = [MUTATION_STATUS[int(n["status"])] for n in nodes]
    except (TypeError, KeyError, ValueError):
        raise PermanentPeerError("openIMIS sent a malformed mutationLogs answer", peer=PEER) from None
    if not nodes:
        return None
    if "success" in statuses:
        chosen, status = nodes[statuses.index("success")], "success"
    elif "received" in statuses:
        chosen, status = nodes[len(statuses) - 1 - statuses[::-1].index("received")], "received"
    else:
        chosen, status = nodes[-1], "error"
    internal_id = chosen.get("id")
    if internal_id and "-" not in str(internal_id):  # relay id of MutationLogGQLType → its UUID
        try:
            internal_id = base64.b64decode(internal_id).decode().split(":", 1)[1]
        except (ValueError, IndexError, UnicodeDecodeError):
            pass
    raw = chosen.get("error") if status == "error" else None
    return MutationResult(
        client_mutation_id=chosen.get("clientMutationId") or client_mutation_id,
        status=status, internal_id=internal_id, raw_error=raw, error=plain_error(raw), attempts=len(nodes),
        error_codes=error_codes(raw),
    )
