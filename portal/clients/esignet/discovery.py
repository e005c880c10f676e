"""eSignet's OIDC discovery document: where to look for it, what the portal needs from it, and the issuer rule.

Every URL comes from discovery (notes/esignet.md §1.1; paths differ between versions). Issuers (checked in
mosip/esignet, tags v1.5.0-v1.8.0, esignet-service application-default.properties): the document's `issuer`
(`mosip.esignet.discovery.key-values`) must equal PORTAL_ESIGNET_ISSUER character for character, and a mismatch says
which value to set. Nothing is normalised: every comparison is exact. (The id_token's issuer: see tokens.py.)
"""

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from .errors import PEER, DiscoveryError, DiscoveryIssuerMismatchError

log = logging.getLogger(__name__)

SERVLET_PATH = "/v1/esignet"  # eSignet's server.servlet.path
# The token signature algorithms the portal accepts, whatever discovery offers. Asymmetric only: `none` and HS* (which
# would verify with a *public* key as the HMAC secret) never pass.
TOKEN_ALGS = ("RS256", "PS256")
REQUIRED = ("issuer", "authorization_endpoint", "token_endpoint", "userinfo_endpoint", "jwks_uri")


@dataclass(frozen=True)
class Discovery:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    userinfo_endpoint: str
    jwks_uri: str
    acr_values_supported: tuple = ()
    id_token_algs: tuple = TOKEN_ALGS
    userinfo_algs: tuple = TOKEN_ALGS
    assertion_algs: tuple = ("RS256",)
    claims_locales_supported: tuple = ()


def discovery_urls(issuer):
    """Where the document may be: under the issuer, and for 1.5-1.7 (issuer ending in the service path) under /oidc."""
    base = issuer.rstrip("/")
    urls = [base + "/.well-known/openid-configuration"]
    if urlsplit(base).path.endswith(SERVLET_PATH):
        urls.append(base + "/oidc/.well-known/openid-configuration")  # the 1.5–1.7 service path
    return urls


def discovery_issuer_error(configured, document):
    """The DiscoveryIssuerMismatchError for a discovery document whose `issuer` is not `configured` exactly, else
    None."""
    announced = document.get("issuer") if isinstance(document, Mapping) else None
    if announced == configured:
        return None
    return DiscoveryIssuerMismatchError(configured, announced if isinstance(announced, str) else None)


def parse_discovery(doc, issuer):
    """The Discovery of a document fetched for the configured `issuer`; DiscoveryError when it cannot be used."""
    if not isinstance(doc, dict) or not all(isinstance(doc.get(k), str) and doc[k] for k in REQUIRED):
        raise DiscoveryError()
    error = discovery_issuer_error(issuer, doc)
    if error is not None:
        # The advice is the message: it names the configured and announced issuers (settings, not personal data).
        log.error(str(error), extra={"peer": PEER, "code": error.code, "configured": issuer,
                                     "announced": error.announced})
        raise error
    methods = doc.get("token_endpoint_auth_methods_supported")
    if methods is not None and "private_key_jwt" not in methods:
        raise DiscoveryError("eSignet does not offer private_key_jwt client authentication.")
    pkce = doc.get("code_challenge_methods_supported")
    if pkce is not None and "S256" not in pkce:
        raise DiscoveryError("eSignet does not offer PKCE with S256.")

    def algs(name, default):
        offered = doc.get(name)
        return tuple(a for a in offered if a in TOKEN_ALGS) if offered else default

    return Discovery(
        issuer=doc["issuer"], authorization_endpoint=doc["authorization_endpoint"],
        token_endpoint=doc["token_endpoint"], userinfo_endpoint=doc["userinfo_endpoint"],
        jwks_uri=doc["jwks_uri"], acr_values_supported=tuple(doc.get("acr_values_supported") or ()),
        id_token_algs=algs("id_token_signing_alg_values_supported", TOKEN_ALGS),
        userinfo_algs=algs("userinfo_signing_alg_values_supported", TOKEN_ALGS),
        assertion_algs=tuple(doc.get("token_endpoint_auth_signing_alg_values_supported") or ("RS256",)),
        claims_locales_supported=tuple(doc.get("claims_locales_supported") or ()),
    )
