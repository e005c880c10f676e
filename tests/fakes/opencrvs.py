"""OpenCRVS as tests use it: the product's OpenCrvsClient plus the token check only tests make (the pipeline
never asks OpenCRVS whether its own token is valid)."""

from portal.clients import opencrvs
from portal.clients.errors import error_for_status


class OpenCrvsClient(opencrvs.OpenCrvsClient):
    def verify_token(self, token: str) -> bool:
        """Ask OpenCRVS whether a token is still valid (`POST {auth}/verifyToken`, as the OpenCRVS-side mediator
        does)."""
        response = self._http.request("POST", f"{self.auth_url}/verifyToken", "verify_token", data={"token": token})
        if response.status_code >= 400:
            raise error_for_status(opencrvs.PEER, response.status_code,
                                   f"OpenCRVS verify_token: HTTP {response.status_code}")
        return response.json().get("valid") is True
