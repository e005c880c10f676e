"""The openIMIS client as tests use it: the product's OpenImisClient plus the look-ups only tests make (a health
probe, openIMIS's own insuree-number check, a family's policies) and `with` support.

The product never calls these; the integration tests use them to see what openIMIS recorded.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from portal.clients import openimis
from portal.clients.errors import TransientPeerError
from portal.clients.openimis.client import GRAPHQL_PATH
from portal.clients.openimis.records import Family, read_date, read_decimal

POLICY_STATUSES = {1: "idle", 2: "active", 4: "suspended", 8: "expired", 16: "ready"}

Q_POLICIES_BY_FAMILY = """query PoliciesByFamily($familyUuid: String!, $after: String) {
  policiesByFamily(familyUuid: $familyUuid, first: 100, after: $after) {
    pageInfo { hasNextPage endCursor }
    edges { node { policyId policyUuid productCode productName officerCode enrollDate startDate effectiveDate
      expiryDate status policyValue } } } }"""
Q_NUMBER_VALIDITY = """query InsureeNumberValidity($number: String!) {
  insureeNumberValidity(insureeNumber: $number) { isValid errorCode errorMessage } }"""
DOCUMENTS = (Q_POLICIES_BY_FAMILY, Q_NUMBER_VALIDITY)


@dataclass(frozen=True)
class Policy:
    id: int | None
    uuid: str
    product_code: str | None
    product_name: str | None
    officer_code: str | None
    enroll_date: date | None
    start_date: date | None
    effective_date: date | None
    expiry_date: date | None
    status: int | None
    value: Decimal | None

    @property
    def status_label(self):
        return POLICY_STATUSES.get(self.status, "unknown")


class OpenImisClient(openimis.OpenImisClient):
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def health(self):
        """True when openIMIS answers `GET /api/graphql?query={__typename}` (no login, no database work)."""
        try:
            response = self._http.request("GET", GRAPHQL_PATH, "health", params={"query": "{__typename}"})
            return response.status_code == 200 and response.json().get("data", {}).get("__typename") == "Query"
        except (TransientPeerError, ValueError, AttributeError):
            return False

    def check_insuree_number(self, number) -> str | None:
        """openIMIS's own format check (`insureeNumberValidity`): None if valid, else its message.
        Uniqueness is not part of it (openIMIS checks that only when creating)."""
        result = self.execute(Q_NUMBER_VALIDITY, {"number": number}, op="insureeNumberValidity")
        validity = result["insureeNumberValidity"] or {}
        return None if validity.get("isValid") else (validity.get("errorMessage") or "Invalid insuree number")

    def policies_of_family(self, family_uuid) -> list[Policy]:
        """The family's policies, newest first (`policiesByFamily`; takes the family's uuid)."""
        if isinstance(family_uuid, Family):
            family_uuid = family_uuid.uuid
        nodes = self._pages(Q_POLICIES_BY_FAMILY, "policiesByFamily", {"familyUuid": family_uuid},
                            op="policiesByFamily")
        return [Policy(id=n.get("policyId"), uuid=n["policyUuid"], product_code=n.get("productCode"),
                       product_name=n.get("productName"), officer_code=n.get("officerCode"),
                       enroll_date=read_date(n.get("enrollDate")), start_date=read_date(n.get("startDate")),
                       effective_date=read_date(n.get("effectiveDate")), expiry_date=read_date(n.get("expiryDate")),
                       status=n.get("status"), value=read_decimal(n.get("policyValue"))) for n in nodes]
