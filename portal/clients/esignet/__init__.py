"""MOSIP eSignet relying-party client: the only place that knows eSignet's wire format (specs/notes/esignet.md).

  client.py     EsignetClient: discovery and JWKS (cached), the PAR-less authorize URL with PKCE, the private_key_jwt
                token request, the verified identity; LoginRequest, VerifiedIdentity, from_config
  discovery.py  the discovery document: where it is, what is needed from it, its issuer rule
  tokens.py     JWS verification, the id_token and userinfo checks, the encrypted (JWE, zip DEF) userinfo
  keys.py       the portal's keys: loading, the public JWK(s), the demo key
  errors.py     the failure table (code -> transient?, English text, officer's words) and EsignetError

Callers import the package: `from portal.clients import esignet`, then `esignet.<name>` for the names below.
"""

from .client import (ACR_AMR, DEFAULT_ACR_VALUES, DEFAULT_SCOPE, USERINFO_CLAIMS, EsignetClient, LoginRequest,
                     VerifiedIdentity, from_config)
from .discovery import SERVLET_PATH, TOKEN_ALGS, Discovery, discovery_issuer_error
from .errors import (FAILURES, PEER, AlgorithmNotAllowedError, AtHashMismatchError, AudienceMismatchError,
                     BadSignatureError, CallbackIssuerMismatchError, ClientAuthenticationError, CodeRejectedError,
                     ConfigurationError, DecryptionError, DiscoveryError, DiscoveryIssuerMismatchError, EsignetError,
                     EsignetUnavailableError, Failure, IssuedInFutureError, IssuerMismatchError, MalformedResponseError,
                     MalformedTokenError, MissingClaimError, MissingKeyIdError, NonceMismatchError,
                     SubjectMismatchError, TokenExpiredError, TokenRequestError, TokenVerificationError,
                     UnknownKeyError, UserinfoNotSignedError, UserinfoRejectedError, issuer_advice, officer_message)
from .keys import ensure_demo_key, load_private_key, public_jwk
from .tokens import USERINFO_MAX_BYTES

__all__ = [
    "ACR_AMR", "DEFAULT_ACR_VALUES", "DEFAULT_SCOPE", "FAILURES", "PEER", "SERVLET_PATH", "TOKEN_ALGS",
    "USERINFO_CLAIMS", "USERINFO_MAX_BYTES",
    "Discovery", "EsignetClient", "Failure", "LoginRequest", "VerifiedIdentity",
    "discovery_issuer_error", "ensure_demo_key", "from_config", "issuer_advice", "load_private_key",
    "officer_message", "public_jwk",
    "EsignetError", "AlgorithmNotAllowedError", "AtHashMismatchError", "AudienceMismatchError", "BadSignatureError",
    "CallbackIssuerMismatchError", "ClientAuthenticationError", "CodeRejectedError", "ConfigurationError",
    "DecryptionError", "DiscoveryError", "DiscoveryIssuerMismatchError", "EsignetUnavailableError",
    "IssuedInFutureError", "IssuerMismatchError", "MalformedResponseError", "MalformedTokenError",
    "MissingClaimError", "MissingKeyIdError", "NonceMismatchError", "SubjectMismatchError", "TokenExpiredError",
    "TokenRequestError", "TokenVerificationError", "UnknownKeyError", "UserinfoNotSignedError",
    "UserinfoRejectedError",
]
