"""Sandbox eSignet: a faithful stand-in for MOSIP eSignet 1.8's relying-party face, for the demo and the tests.

`create_app(config)` keys (all optional except PUBLIC_URL, which portal_sandbox.run and tests.peers set):
  PUBLIC_URL        base URL the sandbox is reached at
  ISSUER_STYLE      "1.8" (discovery issuer = token `iss` = PUBLIC_URL, default) or "1.7" (also "1.5", "1.6":
                    discovery and the callback's `iss` say PUBLIC_URL, the id/access tokens' `iss` is
                    PUBLIC_URL + "/v1/esignet", as eSignet 1.5-1.7's default properties make it)
  ISSUER            explicit discovery issuer (instead of PUBLIC_URL)
  TOKEN_ISSUER      explicit `iss` of the id/access tokens (wins over ISSUER_STYLE)
  SIGNING_ALG       "PS256" (1.8 default) or "RS256" for id_token, access_token and userinfo
  KYC_SIGNER        "idsystem" (userinfo signed by a second, ID-system key; default) or "esignet" (one key)
  USERINFO_STYLE    "ida" (sub + claims, 2-letter locale suffixes; default) or "mock" (+ iss, aud; 3-letter)
  ADDRESS_STYLE     "formatted" (IDA, default) or "parts" (street_address, locality, …)
  USERINFO_JWE      the JWE for a client registered with userinfo_response_type JWE: "ida" (MOSIP IDA's, via
                    keymanager: zip DEF, kid = x5t#S256 = certificate thumbprint, typ + cty JWT) or "mock"
                    (mock-identity-system's: cty JWT, kid = the client's key id, no compression); default follows
                    USERINFO_STYLE
  CLIENTS_FILE, CLIENTS      clients JSON file; list of client dicts replacing entries by clientId
  IDENTITIES_FILE, IDENTITIES
"""

from flask import Flask

from portal_sandbox.faults import install_faults

from .routes import bp
from .state import State


def create_app(config=None):
    config = {"PUBLIC_URL": "http://127.0.0.1:8101", **(config or {})}
    app = Flask(__name__, template_folder="templates")
    app.config.update(config)
    app.extensions["esignet_state"] = State(config)
    install_faults(app)
    app.register_blueprint(bp)
    return app
