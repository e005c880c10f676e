"""State of the sandbox eSignet: keys, identities, clients, transactions, codes and tokens.

Behaviour follows eSignet Java 1.8 (notes/esignet.md §1): oauth-details validation, OTP `111111`, consent with
essential/voluntary claims, single-use 300 s codes, private_key_jwt with single-use `jti` and 5 s leeway, PKCE S256,
id/access tokens signed by the eSignet key, userinfo signed by the ID system's KYC key (optionally JWE).
"""

import base64
import datetime
import hashlib
import json
import re
import secrets
import threading
import time
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlencode

import httpx
import jsonschema
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.x509.oid import NameOID
from joserfc import jwe, jws
from joserfc.errors import JoseError
from joserfc.jwk import RSAKey, import_key

HERE = Path(__file__).parent
SERVLET_PATH = "/v1/esignet"
OTP_VALUE = "111111"  # the mock identity system's fixed OTP (esignet-mock-services AuthenticationServiceImpl)
JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

CODE_TTL = 300  # mosip.esignet.cache.expire-in-seconds authcodegenerated
PRE_AUTH_TTL = 300
CONSENT_TTL = 120
ACCESS_TOKEN_TTL = 3600  # mosip.esignet.access-token-expire-seconds
NONCE_TTL = 86400
JTI_TTL = 86400
LEEWAY = 5  # mosip.esignet.client-assertion-jwt.leeway-seconds
ASSERTION_ALGS = ("RS256", "PS256", "ES256")
TOKEN_ERRORS_KEPT = {"invalid_client", "unsupported_grant_type", "invalid_scope", "invalid_grant"}

STANDARD_SCOPES = ("openid", "profile", "email", "phone", "address")
SCOPE_CLAIMS = {  # mosip.esignet.openid.scope.claims
    "profile": ["name", "address", "gender", "birthdate", "picture", "email", "phone_number",
                "phone_number_verified", "registration_type", "updated_at"],
    "email": ["email"],
    "phone": ["phone_number", "phone_number_verified"],
    "address": ["address"],
}
# claim -> attribute of the identity record (mock identity system's identity-openid-claims-mapping, plus IDA's
# individual_id).
CLAIM_ATTRIBUTES = {
    "name": "fullName", "given_name": "givenName", "family_name": "familyName", "middle_name": "middleName",
    "gender": "gender", "birthdate": "dateOfBirth", "email": "email", "phone_number": "phone",
    "picture": "encodedPhoto", "individual_id": "individualId", "locale": "locale",
}
ADDRESS_PARTS = {"street_address": "streetAddress", "locality": "locality", "region": "region",
                 "postal_code": "postalCode", "country": "country"}
LANGUAGES = {"en": "eng", "fr": "fra", "ar": "ara"}  # helm mock-auth-data claims_attributes_mapping.json

# Switches for relying-party tests (POST /_sandbox/misbehave); none of this exists in a real eSignet.
MISBEHAVIOURS = {
    "wrong_iss", "wrong_aud", "bad_signature", "alg_none", "missing_kid", "wrong_nonce", "expired",
    "missing_iat", "missing_sub", "userinfo_sub_mismatch", "userinfo_bad_signature", "userinfo_alg_none",
}


def _load_json(name):
    return json.loads((HERE / name).read_text(encoding="utf-8"))


CLAIMS_SCHEMA = _load_json("claims_request_schema.json")
AMR_ACR = _load_json("amr_acr_mapping.json")


class AuthorizeError(Exception):
    """oauth-details refused the request: shown on the eSignet page, never redirected."""

    def __init__(self, code):
        super().__init__(code)
        self.code = code


class FlowError(Exception):
    """A step of the login pages failed; `redirect` is True when eSignet sends the user back to the RP."""

    def __init__(self, code, redirect=False):
        super().__init__(code)
        self.code = code
        self.redirect = redirect


class TokenError(Exception):
    def __init__(self, code):
        super().__init__(code)
        self.code = code

    def body(self):
        error = self.code if self.code in TOKEN_ERRORS_KEPT else "invalid_request"
        return {"error": error, "error_description": self.code}


class UserinfoError(Exception):
    def __init__(self, code):
        super().__init__(code)
        self.code = code


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def sha256_b64(text):
    return b64url(hashlib.sha256(text.encode("ascii")).digest())


def _self_signed_cert(key: RSAKey, common_name):
    private = key.private_key
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(private.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=365)).sign(private, hashes.SHA256()))
    return cert


class SigningKey:
    """An RSA key as eSignet's keymanager publishes it: kid, x5c chain, x5t#S256, exp in epoch seconds."""

    def __init__(self, common_name):
        private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.kid = RSAKey.import_key(private).thumbprint()
        self.key = RSAKey.import_key(private, parameters={"kid": self.kid})
        self.cert = _self_signed_cert(self.key, common_name)

    def public_jwk(self):
        der = self.cert.public_bytes(serialization.Encoding.DER)
        public = self.key.as_dict(private=False)
        return {
            "kty": "RSA", "use": "sig", "kid": self.kid, "e": public["e"], "n": public["n"],
            "x5c": [base64.b64encode(der).decode("ascii")],
            "x5t#S256": b64url(hashlib.sha256(der).digest()),
            "exp": int(self.cert.not_valid_after_utc.timestamp()),
        }


def sign(payload: dict, key: RSAKey, alg, kid=True):
    header = {"alg": alg}
    if kid:
        header = {"kid": key.kid, "alg": alg}  # eSignet headers carry kid + alg, no typ
    return jws.serialize_compact(header, json.dumps(payload, separators=(",", ":")), key, algorithms=[alg])


def unsigned(payload: dict):
    header = b64url(json.dumps({"alg": "none"}).encode())
    return f"{header}.{b64url(json.dumps(payload).encode())}."


def deflate(data: bytes) -> bytes:
    """Raw DEFLATE (RFC 1951, no zlib header), what `zip: DEF` means (RFC 7516 4.1.3; jose4j's
    DeflateRFC1951CompressionAlgorithm)."""
    compressor = zlib.compressobj(zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED, -zlib.MAX_WBITS)
    return compressor.compress(data) + compressor.flush()


def seal_jwe(header: dict, content: bytes, public_key) -> str:
    """A compact JWE with RSA-OAEP-256 + A256GCM, assembled step by step as jose4j's JsonWebEncryption does it
    (RFC 7516 5.1): random 256-bit CEK wrapped with RSA-OAEP (SHA-256, MGF1-SHA-256), 96-bit IV, AAD = the
    base64url protected header. `content` is encrypted as given (compress it first when the header says `zip`)."""
    protected = b64url(json.dumps(header, separators=(",", ":")).encode())
    cek, iv = secrets.token_bytes(32), secrets.token_bytes(12)
    wrapped = public_key.encrypt(cek, padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(),
                                                   label=None))
    sealed = AESGCM(cek).encrypt(iv, content, protected.encode("ascii"))
    return ".".join((protected, b64url(wrapped), b64url(iv), b64url(sealed[:-16]), b64url(sealed[-16:])))


def ida_jwe(signed_kyc: str, certificate) -> str:
    """The userinfo JWE of an eSignet backed by MOSIP IDA, which eSignet hands to the relying party unchanged.

    mosip/id-authentication KycServiceImpl.buildKycExchangeResponse: respType JWE -> IdAuthSecurityManager.jwtEncrypt
    (signed KYC, partner certificate) with setEnableDefCompression(true), setIncludeCertHash(true); mosip/keymanager
    CryptomanagerServiceImpl.jwtRsaOaep256AesGcmEncrypt builds it with jose4j: headers cty "JWT", typ "JWT",
    alg RSA-OAEP-256, enc A256GCM, kid = base64url(SHA-256 of the certificate's DER) (CryptomanagerUtils
    .getCertificateThumbprint), zip "DEF" (enableDefaultCompression), x5t#S256 = the same thumbprint; 12-byte IV
    (GCM_NONCE_LENGTH); payload = the JWS signed by IDA. eSignet <= 1.8 returns it as is (OpenIdConnectServiceImpl
    .getUserInfo); later eSignet too (UserInfoResponseHelper: a 5-segment KYC is passed through).
    """
    thumbprint = b64url(hashlib.sha256(certificate.public_bytes(serialization.Encoding.DER)).digest())
    header = {"cty": "JWT", "typ": "JWT", "alg": "RSA-OAEP-256", "enc": "A256GCM", "kid": thumbprint, "zip": "DEF",
              "x5t#S256": thumbprint}
    return seal_jwe(header, deflate(signed_kyc.encode("utf-8")), certificate.public_key())


def ant_match(pattern, uri):
    """Spring AntPathMatcher, as eSignet matches redirect URIs: `**` any path, `*` one segment, `?` one char."""
    regex = ""
    i = 0
    while i < len(pattern):
        if pattern.startswith("**", i):
            regex += ".*"
            i += 2
        elif pattern[i] == "*":
            regex += "[^/]*"
            i += 1
        elif pattern[i] == "?":
            regex += "[^/]"
            i += 1
        else:
            regex += re.escape(pattern[i])
            i += 1
    return re.fullmatch(regex, uri) is not None


def mask_email(email):
    if not email or "@" not in email:
        return None
    local, domain = email.split("@", 1)
    return f"{local[:3]}****@{domain}"


def mask_phone(phone):
    if not phone:
        return None
    return phone[0] + "*" * max(len(phone) - 3, 1) + phone[-2:]


@dataclass
class Transaction:
    id: str
    client: dict
    redirect_uri: str
    state: str | None
    nonce: str | None
    scope: list
    essential: list
    voluntary: list
    acrs: list
    factors: list
    claims_locales: list
    ui_locales: list
    code_challenge: str | None
    prompt: str | None
    created: float
    individual_id: str | None = None
    otp_sent_to: str | None = None
    auth_time: float | None = None
    acr: str | None = None
    amr: list = field(default_factory=list)
    accepted: list | None = None
    code_hash: str | None = None
    code_issued: float | None = None


class State:
    """Everything the sandbox eSignet remembers; one instance per app, guarded by one lock."""

    def __init__(self, config):
        self.lock = threading.RLock()
        self.public_url = config["PUBLIC_URL"].rstrip("/")
        style = str(config.get("ISSUER_STYLE", "1.8"))
        # `issuer` is what discovery (and the callback's `iss`) announce; `token_issuer` what the id/access tokens
        # carry. eSignet 1.5-1.7 (esignet-service application-default.properties, mosip-config v1.3.0
        # esignet-default.properties): discovery.key-values 'issuer' = ${mosip.esignet.domain.url}, while
        # mosip.esignet.discovery.issuer-id = ${mosip.esignet.domain.url}${server.servlet.path}, which
        # TokenServiceImpl.buildIDToken/getAccessToken put in `iss`; the oidc-ui config 'issuer' (the callback's iss,
        # Consent.js) is the domain url. 1.8 sets issuer-id = domain url and uses it everywhere.
        self.issuer = config.get("ISSUER") or self.public_url
        self.token_issuer = config.get("TOKEN_ISSUER") or (
            self.issuer + SERVLET_PATH if style in ("1.5", "1.6", "1.7") else self.issuer)
        self.signing_alg = config.get("SIGNING_ALG", "PS256")  # id_token_signed_response_alg in 1.8 properties
        self.kyc_signer = config.get("KYC_SIGNER", "idsystem")  # "idsystem": own key (IDA); "esignet": OIDC key
        self.userinfo_style = config.get("USERINFO_STYLE", "ida")  # "ida": sub + claims; "mock": + iss, aud
        # The JWE around the userinfo JWS when the client asked for one: "ida" (MOSIP IDA through keymanager, DEF
        # compressed) or "mock" (mock-identity-system); see userinfo().
        self.userinfo_jwe = config.get("USERINFO_JWE", self.userinfo_style)
        self.address_style = config.get("ADDRESS_STYLE", "formatted")  # "formatted" (IDA) or "parts" (mock)
        self.address_separator = config.get("ADDRESS_SEPARATOR", " ")  # ida.idp.consented.address.value.separator
        self.http_timeout = float(config.get("HTTP_TIMEOUT", 5))
        self.oidc_key = SigningKey("sandbox-esignet OIDC_SERVICE")
        self.kyc_key = (SigningKey("sandbox-esignet MOCK_AUTHENTICATION_SERVICE") if self.kyc_signer == "idsystem"
                        else None)
        self._rogue_key = None
        self._partner_ca = None
        self._partner_certs = {}
        self.identities = {p["individualId"]: p for p in self._identity_seed(config)}
        self.clients = self._client_seed(config)
        self.transactions = {}
        self.codes = {}
        self.tokens = {}
        self.nonces = {}
        self.jtis = {}
        self.consents = {}
        self.misbehaviour = {}
        self.clock_offset = 0.0

    # ---- seed ---------------------------------------------------------------------------------------------
    @staticmethod
    def _identity_seed(config):
        if config.get("IDENTITIES") is not None:
            return list(config["IDENTITIES"])
        path = config.get("IDENTITIES_FILE") or HERE / "identities.json"
        return json.loads(Path(path).read_text(encoding="utf-8"))["identities"]

    @staticmethod
    def _client_seed(config):
        path = config.get("CLIENTS_FILE") or HERE / "clients.json"
        clients = {c["clientId"]: c for c in json.loads(Path(path).read_text(encoding="utf-8"))["clients"]}
        for client in config.get("CLIENTS") or []:
            clients[client["clientId"]] = client
        return clients

    # ---- time and switches ----------------------------------------------------------------------------------
    def now(self):
        return time.time() + self.clock_offset

    def advance_clock(self, seconds):
        with self.lock:
            self.clock_offset += float(seconds)

    def set_misbehaviour(self, mode, count=None):
        with self.lock:
            if mode == "clear":
                self.misbehaviour.clear()
            elif mode == "rotated_key":
                self.oidc_key = SigningKey("sandbox-esignet OIDC_SERVICE rotated")
            elif mode in MISBEHAVIOURS:
                self.misbehaviour[mode] = count
            else:
                raise ValueError(mode)

    def _take(self, mode):
        """True when `mode` is switched on; spends one use when it was given a count."""
        with self.lock:
            if mode not in self.misbehaviour:
                return False
            left = self.misbehaviour[mode]
            if left is not None:
                if left <= 1:
                    del self.misbehaviour[mode]
                else:
                    self.misbehaviour[mode] = left - 1
            return True

    @property
    def rogue_key(self):
        if self._rogue_key is None:
            self._rogue_key = RSAKey.generate_key(2048)
        return self._rogue_key

    # ---- metadata ---------------------------------------------------------------------------------------------
    def endpoint(self, path):
        return f"{self.public_url}{path}"

    @property
    def token_endpoint(self):
        return self.endpoint(SERVLET_PATH + "/oauth/v2/token")

    def discovery(self):
        """1.8 `mosip.esignet.discovery.key-values`
        (samples/esignet-1.8-properties__openid-configuration-RENDERED.json)."""
        acrs = list(AMR_ACR["acr_amr"])
        acrs.remove("mosip:idp:acr:id-token")
        return {
            "issuer": self.issuer,
            "authorization_endpoint": self.endpoint("/authorize"),
            "token_endpoint": self.token_endpoint,
            "userinfo_endpoint": self.endpoint(SERVLET_PATH + "/oidc/userinfo"),
            "jwks_uri": self.endpoint("/.well-known/jwks.json"),
            "pushed_authorization_request_endpoint": self.endpoint(SERVLET_PATH + "/oauth/par"),
            "scopes_supported": list(STANDARD_SCOPES),
            "response_types_supported": ["code"],
            "acr_values_supported": sorted(acrs, key=["mosip:idp:acr:knowledge", "mosip:idp:acr:password",
                                                       "mosip:idp:acr:static-code", "mosip:idp:acr:generated-code",
                                                       "mosip:idp:acr:linked-wallet",
                                                       "mosip:idp:acr:biometrics"].index),
            "userinfo_signed_response_alg": self.signing_alg,
            "userinfo_signing_alg_values_supported": ["RS256", "PS256"],
            # verbatim: eSignet 1.8 publishes this placeholder (specs/esignet openid-configuration example)
            "userinfo_encryption_alg_values_supported": ["RSAXXXXX"],
            "userinfo_encryption_enc_values_supported": ["A128GCM"],
            "response_modes_supported": ["query"],
            "token_endpoint_auth_methods_supported": ["private_key_jwt"],
            "token_endpoint_auth_signing_alg_values_supported": list(ASSERTION_ALGS),
            "id_token_signed_response_alg": self.signing_alg,
            "id_token_signing_alg_values_supported": ["RS256", "PS256"],
            "claim_types_supported": ["normal"],
            "claims_parameter_supported": True,
            "display_values_supported": ["page", "popup", "touch", "wap"],
            "subject_types_supported": ["pairwise"],
            "claims_supported": ["name", "address", "gender", "birthdate", "picture", "email", "phone_number",
                                 "individual_id", "phone_number_verified", "registration_type", "updated_at"],
            "claims_locales_supported": ["en"],
            "ui_locales_supported": ["en"],
            "request_parameter_supported": False,
            "claims_in_verified_claims_supported": ["name", "address", "gender", "birthdate", "picture", "email",
                                                    "phone_number"],
            "dpop_signing_alg_values_supported": ["RS256", "PS256"],
            "code_challenge_methods_supported": ["S256"],
            "require_pushed_authorization_requests": False,
            "authorization_response_iss_parameter_supported": True,
        }

    def oauth_metadata(self):
        disco = self.discovery()
        keys = ("issuer", "authorization_endpoint", "token_endpoint", "jwks_uri",
                "pushed_authorization_request_endpoint", "token_endpoint_auth_methods_supported",
                "token_endpoint_auth_signing_alg_values_supported", "scopes_supported", "response_modes_supported")
        return {**{k: disco[k] for k in keys}, "grant_types_supported": ["authorization_code"],
                "response_types_supported": ["code"], "authorization_response_iss_parameter_supported": True}

    def jwks(self):
        keys = [self.oidc_key.public_jwk()]
        if self.kyc_key is not None:
            keys.append(self.kyc_key.public_jwk())
        return {"keys": keys}

    # ---- authorize (what POST /authorization/v3/oauth-details validates) ----------------------------------------
    def start_transaction(self, params):
        client = self.clients.get(params.get("client_id") or "")
        if client is None or client.get("status", "ACTIVE") != "ACTIVE":
            raise AuthorizeError("invalid_client_id")
        redirect_uri = params.get("redirect_uri") or ""
        if not any(ant_match(p, redirect_uri) for p in client.get("redirectUris", [])):
            raise AuthorizeError("invalid_redirect_uri")
        if params.get("response_type") != "code":
            raise AuthorizeError("invalid_response_type")
        if params.get("request_uri"):
            raise AuthorizeError("invalid_request")  # PAR is not emulated
        scope = (params.get("scope") or "").split()
        if "openid" not in scope:
            raise AuthorizeError("invalid_scope")
        if len(params.get("state") or "") > 256:
            raise AuthorizeError("invalid_state")
        if params.get("display") and params["display"] not in ("page", "popup", "touch", "wap"):
            raise AuthorizeError("invalid_display")
        prompt = params.get("prompt")
        if prompt and any(p not in ("none", "login", "consent", "select_account") for p in prompt.split()):
            raise AuthorizeError("invalid_prompt")
        requested = self._parse_claims(params.get("claims"))
        challenge, method = params.get("code_challenge"), params.get("code_challenge_method")
        if challenge or method:
            if method != "S256":
                raise AuthorizeError("unsupported_pkce_challenge_method")
            if not challenge:
                raise AuthorizeError("invalid_pkce_challenge")
        elif (client.get("additionalConfig") or {}).get("require_pkce"):
            raise AuthorizeError("use_pkce")
        registered = set(client.get("userClaims", []))
        essential, voluntary = [], []
        for name, spec in requested.items():
            if name not in registered:
                continue  # ClaimsHelperService drops unregistered claims silently
            (essential if isinstance(spec, dict) and spec.get("essential") else voluntary).append(name)
        for s in scope:
            for name in SCOPE_CLAIMS.get(s, []):
                if name in registered and name not in essential and name not in voluntary:
                    voluntary.append(name)
        acrs = self._resolve_acrs(client, params.get("acr_values"))
        nonce = params.get("nonce")
        now = self.now()
        with self.lock:
            if nonce:
                seen = self.nonces.get(nonce)
                if seen is not None and now - seen < NONCE_TTL:
                    raise AuthorizeError("invalid_request")  # a nonce may be used once per 24 h
                self.nonces[nonce] = now
            txn = Transaction(
                id=b64url(secrets.token_bytes(32)), client=client, redirect_uri=redirect_uri,
                state=params.get("state"), nonce=nonce, scope=scope, essential=essential, voluntary=voluntary,
                acrs=acrs, factors=[self._factor(acr) for acr in acrs],
                claims_locales=(params.get("claims_locales") or "").split(),
                ui_locales=(params.get("ui_locales") or "").split(), code_challenge=challenge, prompt=prompt,
                created=now)
            self.transactions[txn.id] = txn
        return txn

    @staticmethod
    def _parse_claims(raw):
        if not raw:
            return {}
        try:
            claims = json.loads(raw)
        except ValueError:
            try:
                claims = json.loads(unquote(raw))  # the UI runs decodeURI on it once more
            except ValueError:
                raise AuthorizeError("invalid_claim") from None
        try:
            jsonschema.validate(claims, CLAIMS_SCHEMA)
        except jsonschema.ValidationError:
            raise AuthorizeError("invalid_claim") from None
        if not isinstance(claims, dict):
            raise AuthorizeError("invalid_claim")
        return {k: v for k, v in (claims.get("userinfo") or {}).items() if k != "verified_claims"}

    @staticmethod
    def _resolve_acrs(client, acr_values):
        registered = client.get("authContextRefs", [])
        wanted = [a for a in (acr_values or "").split() if a in registered]
        return wanted or list(registered)  # none matching: every registered ACR is offered

    @staticmethod
    def _factor(acr):
        amr = AMR_ACR["acr_amr"].get(acr, [])
        types = [f["type"] for name in amr for f in AMR_ACR["amr"].get(name, [])]
        return {"acr": acr, "type": types[0] if types else "UNKNOWN", "amr": amr}

    def transaction(self, txn_id):
        with self.lock:
            txn = self.transactions.get(txn_id or "")
        if txn is None:
            raise FlowError("invalid_transaction")
        return txn

    def _check_pre_auth(self, txn):
        if self.now() - txn.created > PRE_AUTH_TTL:
            raise FlowError("transaction_timeout", redirect=True)

    def send_otp(self, txn_id, individual_id):
        txn = self.transaction(txn_id)
        self._check_pre_auth(txn)
        person = self.identities.get((individual_id or "").strip())
        if person is None:
            raise FlowError("invalid_individual_id")
        with self.lock:
            txn.otp_sent_to = person["individualId"]
        return {"maskedEmail": mask_email(person.get("email")), "maskedMobile": mask_phone(person.get("phone"))}

    def authenticate(self, txn_id, individual_id, factor, challenge):
        """Check one factor; returns consentAction CAPTURE or NOCAPTURE."""
        txn = self.transaction(txn_id)
        self._check_pre_auth(txn)
        individual_id = (individual_id or "").strip()
        person = self.identities.get(individual_id)
        chosen = next((f for f in txn.factors if f["type"] == factor), None)
        if chosen is None:
            raise FlowError("invalid_auth_factor")
        if person is None:
            raise FlowError("invalid_individual_id")
        ok = {
            "OTP": txn.otp_sent_to == individual_id and challenge == OTP_VALUE,
            "PIN": challenge == person.get("pin"),
            "PWD": challenge == person.get("password"),
            "BIO": challenge == "captured",  # the sandbox "scanner" always captures a match
        }.get(factor, False)
        if not ok:
            raise FlowError("auth_failed")
        now = self.now()
        with self.lock:
            txn.individual_id = individual_id
            txn.auth_time = now
            txn.acr = chosen["acr"]
            txn.amr = chosen["amr"]
            remembered = self.consents.get((txn.client["clientId"], individual_id))
            if (remembered and remembered[1] > now and "consent" not in (txn.prompt or "")
                    and set(txn.essential) <= set(remembered[0])):
                txn.accepted = [c for c in remembered[0] if c in txn.essential + txn.voluntary]
                return "NOCAPTURE"
        return "CAPTURE"

    def auth_code(self, txn_id, accepted):
        """Consent given: check the accepted claims and return the redirect to the relying party."""
        txn = self.transaction(txn_id)
        if txn.auth_time is None:
            raise FlowError("invalid_transaction", redirect=True)
        if txn.accepted is None:
            if self.now() - txn.auth_time > CONSENT_TTL:
                raise FlowError("transaction_timeout", redirect=True)
            accepted = list(dict.fromkeys(accepted or []))
            if not set(txn.essential) <= set(accepted) or not set(accepted) <= set(txn.essential + txn.voluntary):
                raise FlowError("invalid_accepted_claim")
            txn.accepted = accepted
            minutes = (txn.client.get("additionalConfig") or {}).get("consent_expire_in_mins")
            if minutes:
                self.consents[(txn.client["clientId"], txn.individual_id)] = (accepted, self.now() + 60 * minutes)
        code = b64url(secrets.token_bytes(24))
        with self.lock:
            if txn.code_hash:
                raise FlowError("invalid_transaction", redirect=True)
            txn.code_hash = sha256_b64(code)
            txn.code_issued = self.now()
            self.codes[txn.code_hash] = txn
        params = {}
        if txn.state:
            params["state"] = txn.state
        params.update(code=code, iss=self.issuer)
        return self._redirect(txn, params)

    def reject(self, txn_id, error, description):
        """The user cancelled, or the transaction failed after it existed: back to the RP with `error`."""
        txn = self.transaction(txn_id)
        with self.lock:
            self.transactions.pop(txn.id, None)
        return self._redirect(txn, {"error_description": description, "state": txn.state or "", "error": error})

    @staticmethod
    def _redirect(txn, params):
        sep = "&" if "?" in txn.redirect_uri else "?"
        return txn.redirect_uri + sep + urlencode(params)

    # ---- token ---------------------------------------------------------------------------------------------------
    def token(self, form):
        if form.get("grant_type") != "authorization_code":
            raise TokenError("unsupported_grant_type")
        if form.get("client_assertion_type") != JWT_BEARER or not form.get("client_assertion"):
            raise TokenError("invalid_client")
        if not form.get("redirect_uri"):
            raise TokenError("invalid_redirect_uri")
        if not form.get("code"):
            raise TokenError("invalid_grant")
        now = self.now()
        with self.lock:
            txn = self.codes.get(sha256_b64(form["code"]))
        if txn is None or now - txn.code_issued > CODE_TTL:
            raise TokenError("invalid_grant")
        client = txn.client
        if form.get("client_id") and form["client_id"] != client["clientId"]:
            raise TokenError("invalid_client_id")
        if form["redirect_uri"] != txn.redirect_uri:
            raise TokenError("invalid_redirect_uri")
        if txn.code_challenge:
            verifier = form.get("code_verifier") or ""
            if not verifier or sha256_b64(verifier) != txn.code_challenge:
                raise TokenError("invalid_grant")
        self._verify_assertion(client, form["client_assertion"], now)
        with self.lock:
            # The code is evicted only on success, so a failed request may be retried until it expires.
            if self.codes.pop(txn.code_hash, None) is None:
                raise TokenError("invalid_grant")
        return self._issue_tokens(txn, now)

    def _client_key(self, client, kid):
        if client.get("publicKey"):
            return import_key(client["publicKey"])
        if not client.get("jwksUri"):
            raise TokenError("invalid_client")
        try:
            response = httpx.get(client["jwksUri"], timeout=self.http_timeout)
            response.raise_for_status()
            keys = [k for k in response.json().get("keys", []) if k.get("use", "sig") == "sig"]
        except (httpx.HTTPError, ValueError, AttributeError):
            raise TokenError("invalid_client") from None
        matching = [k for k in keys if kid and k.get("kid") == kid] or (keys if not kid and len(keys) == 1 else [])
        if not matching:
            raise TokenError("invalid_client")
        return import_key(matching[0])

    def _verify_assertion(self, client, assertion, now):
        try:
            header = json.loads(base64.urlsafe_b64decode(assertion.split(".")[0] + "=="))
        except (ValueError, IndexError):
            raise TokenError("invalid_client") from None
        if not isinstance(header, dict) or header.get("alg") not in ASSERTION_ALGS:
            raise TokenError("invalid_client")
        key = self._client_key(client, header.get("kid"))
        try:
            claims = json.loads(jws.deserialize_compact(assertion, key, algorithms=[header["alg"]]).payload)
        except (JoseError, ValueError):
            raise TokenError("invalid_client") from None
        audience = claims.get("aud")
        audience = audience if isinstance(audience, list) else [audience]
        client_id = client["clientId"]
        checks = (
            claims.get("iss") == client_id and claims.get("sub") == client_id,
            any(a in (self.token_endpoint, self.issuer) for a in audience),
            isinstance(claims.get("exp"), (int, float)) and now <= claims["exp"] + LEEWAY,
            isinstance(claims.get("iat"), (int, float)),
            not isinstance(claims.get("nbf"), (int, float)) or claims["nbf"] <= now + LEEWAY,
            bool(claims.get("jti")),
        )
        if not all(checks):
            raise TokenError("invalid_client")
        with self.lock:
            seen = self.jtis.get((client_id, claims["jti"]))
            if seen is not None and now - seen < JTI_TTL:
                raise TokenError("invalid_client")  # jti single use (1.7+)
            self.jtis[(client_id, claims["jti"])] = now

    def _psut(self, txn):
        relying_party = txn.client.get("relyingPartyId") or txn.client["clientId"]
        return b64url(hashlib.sha3_256((txn.individual_id + relying_party).encode()).digest())

    def _issue_tokens(self, txn, now):
        iat = int(now)
        client_id = txn.client["clientId"]
        sub = self._psut(txn)
        access_claims = {"sub": sub, "aud": client_id, "iss": self.token_issuer, "exp": iat + ACCESS_TOKEN_TTL,
                         "iat": iat, "client_id": client_id}
        access_token = sign(access_claims, self.oidc_key.key, self.signing_alg)
        digest = hashlib.sha256(access_token.encode("ascii")).digest()
        id_claims = {"at_hash": b64url(digest[:16]), "sub": sub, "aud": client_id, "acr": txn.acr,
                     "auth_time": int(txn.auth_time), "iss": self.token_issuer, "exp": iat + ACCESS_TOKEN_TTL,
                     "iat": iat}
        if txn.nonce:
            id_claims["nonce"] = txn.nonce
        id_token = self._id_token(id_claims)
        with self.lock:
            self.tokens[sha256_b64(access_token)] = {"txn": txn, "sub": sub, "exp": iat + ACCESS_TOKEN_TTL}
        return {"id_token": id_token, "access_token": access_token, "token_type": "Bearer",
                "expires_in": ACCESS_TOKEN_TTL}

    def _id_token(self, claims):
        if self._take("wrong_iss"):
            claims["iss"] = "https://esignet.invalid"
        if self._take("wrong_aud"):
            claims["aud"] = "another-client"
        if self._take("wrong_nonce"):
            claims["nonce"] = b64url(secrets.token_bytes(12))
        if self._take("expired"):
            claims["iat"] -= 2 * ACCESS_TOKEN_TTL
            claims["exp"] = claims["iat"] + ACCESS_TOKEN_TTL
        if self._take("missing_iat"):
            claims.pop("iat")
        if self._take("missing_sub"):
            claims.pop("sub")
        return self._signed(claims, self.oidc_key, prefix="")

    def _signed(self, claims, signing_key: SigningKey, prefix):
        if self._take(prefix + "alg_none"):
            return unsigned(claims)
        if self._take(prefix + "bad_signature"):
            # Same kid as a published key, signed by a key nobody published.
            rogue = RSAKey.import_key(self.rogue_key.private_key, parameters={"kid": signing_key.kid})
            return sign(claims, rogue, self.signing_alg)
        with_kid = not (prefix == "" and self._take("missing_kid"))
        return sign(claims, signing_key.key, self.signing_alg, kid=with_kid)

    # ---- userinfo ---------------------------------------------------------------------------------------------------
    def userinfo(self, authorization):
        """The KYC of the token's transaction: a JWS by the ID system's key, or that JWS inside a JWE."""
        if not authorization:
            raise UserinfoError("missing_header")
        parts = authorization.split(" ")
        if len(parts) != 2:
            raise UserinfoError("invalid_token")
        with self.lock:
            entry = self.tokens.get(sha256_b64(parts[1]))
        if entry is None or self.now() > entry["exp"]:
            raise UserinfoError("invalid_token")
        txn = entry["txn"]
        payload = {"sub": entry["sub"]}
        if self._take("userinfo_sub_mismatch"):
            payload["sub"] = b64url(secrets.token_bytes(32))
        if self.userinfo_style == "mock":
            payload.update(iss=self.public_url + SERVLET_PATH, aud=txn.client["clientId"])
        payload.update(self.claims_for(self.identities[txn.individual_id], txn.accepted or [], txn.claims_locales))
        signed = self._signed(payload, self.kyc_key or self.oidc_key, prefix="userinfo_")
        enc_key = self._client_enc_key(txn.client)
        if enc_key is None:
            return signed
        if self.userinfo_jwe == "ida":
            return ida_jwe(signed, self.partner_certificate(enc_key, txn.client["clientId"]))
        # mosip/esignet-mock-services mock-identity-system AuthenticationServiceImpl.getJWE: RSA-OAEP-256, A256GCM,
        # cty JWT, kid = the relying party's key id, no compression.
        header = {"alg": "RSA-OAEP-256", "enc": "A256GCM", "cty": "JWT"}
        if enc_key.kid:
            header["kid"] = enc_key.kid
        return jwe.encrypt_compact(header, signed, enc_key, algorithms=["RSA-OAEP-256", "A256GCM"])

    def partner_certificate(self, public_key: RSAKey, common_name):
        """The X.509 certificate IDA encrypts to (kyc-exchange metadata `partnerCertificate`): here one issued once
        per key by a sandbox CA standing in for the partner management service."""
        thumbprint = public_key.thumbprint()
        with self.lock:
            if self._partner_ca is None:
                self._partner_ca = RSAKey.generate_key(2048)
            cert = self._partner_certs.get(thumbprint)
            if cert is None:
                issuer = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sandbox-esignet PMS CA")])
                subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
                now = datetime.datetime.now(datetime.timezone.utc)
                cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer)
                        .public_key(public_key.public_key).serial_number(x509.random_serial_number())
                        .not_valid_before(now - datetime.timedelta(days=1))
                        .not_valid_after(now + datetime.timedelta(days=365))
                        .sign(self._partner_ca.private_key, hashes.SHA256()))
                self._partner_certs[thumbprint] = cert
            return cert

    def _client_enc_key(self, client):
        if client.get("encPublicKey"):
            return import_key(client["encPublicKey"])
        if (client.get("additionalConfig") or {}).get("userinfo_response_type") != "JWE" or not client.get("jwksUri"):
            return None
        try:
            keys = httpx.get(client["jwksUri"], timeout=self.http_timeout).json().get("keys", [])
        except (httpx.HTTPError, ValueError, AttributeError):
            raise UserinfoError("unknown_error") from None
        enc = [k for k in keys if k.get("use") == "enc"]
        if not enc:
            raise UserinfoError("unknown_error")
        return import_key(enc[0])

    # ---- claims ------------------------------------------------------------------------------------------------------
    def claims_for(self, person, accepted, claims_locales):
        """Consented claims in IDA's format: single locale -> plain key; several -> `claim#xx`."""
        languages = [LANGUAGES.get(loc.split("-")[0].lower(), loc) for loc in claims_locales] or ["eng"]
        out = {}
        for claim in accepted:
            if claim == "address":
                out.update(self._address(person, languages))
                continue
            attribute = CLAIM_ATTRIBUTES.get(claim)
            value = person.get(attribute) if attribute else None
            if value in (None, "", []):
                continue  # missing attributes are simply absent
            if isinstance(value, list):
                out.update(self._localized(claim, value, languages))
            else:
                out[claim] = value
        return out

    def _suffix(self, language):
        if self.userinfo_style == "mock":
            return language
        return {v: k for k, v in LANGUAGES.items()}.get(language, language[:2])

    def _localized(self, claim, values, languages):
        by_language = {v["language"]: v["value"] for v in values}
        found = [(lang, by_language[lang]) for lang in languages if lang in by_language]
        if not found:
            return {claim: values[0]["value"]}
        if len(found) == 1:
            return {claim: found[0][1]}
        return {f"{claim}#{self._suffix(lang)}": value for lang, value in found}

    def _address(self, person, languages):
        results = {}
        for lang in languages:
            parts = {}
            for claim, attribute in ADDRESS_PARTS.items():
                value = person.get(attribute)
                if isinstance(value, list):
                    value = next((v["value"] for v in value if v["language"] == lang), None)
                if value:
                    parts[claim] = value
            if parts:
                results[lang] = parts
        if not results:
            return {}
        many = len(results) > 1
        out = {}
        for lang, parts in results.items():
            suffix = f"#{self._suffix(lang)}" if many else ""
            if self.address_style == "parts":
                value = {k + suffix: v for k, v in parts.items()}
            else:
                value = {"formatted" + suffix: self.address_separator.join(parts.values())}
            out["address" + suffix] = value
        return out
