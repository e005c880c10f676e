"""Settings read from the environment, each by name, with its sandbox default in demo mode.

Moving from the sandbox peers to real ones is configuration only: every peer URL and credential is here.
A bad value stops start-up with a message that names the variable (no guessing of types).
"""

import os
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import limits

# The installed package: templates/, static/, migrations/ and translations/ are inside it (in a checkout
# portal/templates, portal/static and portal/migrations are links to the top-level folders; a wheel carries copies).
PACKAGE_DIR = Path(__file__).resolve().parent
MIGRATIONS_DIR = PACKAGE_DIR / "migrations"
TRANSLATIONS_DIR = PACKAGE_DIR / "translations"
# The checkout (developer commands only: the demo's working folder, catalogue extraction); never read at run time.
PROJECT_ROOT = PACKAGE_DIR.parent


def instance_path(env=None):
    """PORTAL_INSTANCE_PATH (absolute, or relative to the working folder), else None: Flask's default
    (`<checkout>/instance`, or `<prefix>/var/portal-instance` for an installed package)."""
    value = (os.environ if env is None else env).get("PORTAL_INSTANCE_PATH")
    return os.path.abspath(value) if value else None

# Where the demo finds the sandbox peers (portal_sandbox/run.py starts them on these ports).
SANDBOX = {
    "esignet": "http://127.0.0.1:8101",
    "openimis": "http://127.0.0.1:8102",
    "openspp": "http://127.0.0.1:8103",
    "mosip": "http://127.0.0.1:8104",
    "opencrvs": "http://127.0.0.1:8105",
}

DEMO_SECRET_KEY = "demo-only-secret-key-do-not-use-in-production"


class ConfigError(RuntimeError):
    """A setting is missing or malformed; the message names the variable."""


def env_bool(env, name, default):
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    if raw.lower() in ("1", "true", "yes", "on"):
        return True
    if raw.lower() in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{name} must be 1/0, true/false, yes/no or on/off, not {raw!r}")


# The largest whole-number setting: what a PostgreSQL integer column holds (counts, ids), and far beyond any
# sensible number of seconds, so no setting can overflow a column, a timedelta or a sleep.
MAX_INT_SETTING = 2**31 - 1


def env_int(env, name, default, minimum=0, maximum=MAX_INT_SETTING):
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, not {raw!r}") from None
    if value < minimum:
        raise ConfigError(f"{name} must be at least {minimum}, not {value}")
    if value > maximum:
        raise ConfigError(f"{name} must be at most {maximum}, not {raw[:30]}")
    return value


def env_choice(env, name, choices):
    """One of `choices`; the first is the default."""
    raw = env.get(name) or choices[0]
    if raw not in choices:
        raise ConfigError(f"{name} must be one of {', '.join(choices)}, not {raw!r}")
    return raw


def env_limit(env, name, default):
    """Rate limits in Flask-Limiter's notation ("5 per minute;30 per hour"), checked now rather than at the first
    request they apply to."""
    raw = env.get(name) or default
    try:
        limits.parse_many(raw)
    except ValueError:
        raise ConfigError(f"{name} must be rate limits such as '5 per minute;30 per hour', not {raw!r}") from None
    return raw


def ratelimit_storage_options(uri, key_prefix):
    """Redis: every key starts with `key_prefix` (several portals, or test runs, may share one Redis), and a Redis
    that does not answer costs a request 2 seconds at most before the in-memory fallback takes over."""
    if not uri.split(":", 1)[0].startswith(("redis", "valkey")):
        return {}
    return {"key_prefix": key_prefix, "socket_timeout": 2, "socket_connect_timeout": 2}


def env_str(env, name, demo_default=None, *, demo=False, default=None):
    value = env.get(name)
    if value:
        return value
    return demo_default if demo else default


def load_config(env=None):
    """Build the Flask config dict from `env` (the process environment by default)."""
    env = os.environ if env is None else env
    demo = env_bool(env, "PORTAL_DEMO", False)

    def s(name, demo_default=None, default=None):
        return env_str(env, name, demo_default, demo=demo, default=default)

    idle_minutes = env_int(env, "PORTAL_SESSION_IDLE_MINUTES", 30, minimum=1)
    max_hours = env_int(env, "PORTAL_SESSION_MAX_HOURS", 12, minimum=1)
    public_url = (s("PORTAL_PUBLIC_URL", "http://127.0.0.1:5000") or "").rstrip("/")
    ratelimit_storage = env.get("PORTAL_RATELIMIT_STORAGE") or "memory://"
    return {
        "PORTAL_DEMO": demo,
        "SECRET_KEY": s("PORTAL_SECRET_KEY", DEMO_SECRET_KEY),
        "PORTAL_PUBLIC_URL": public_url,
        # unset: `portal.sqlite3` in the instance folder (create_app fills it in once that folder is known)
        "SQLALCHEMY_DATABASE_URI": env.get("DATABASE_URL"),
        # A database error's text leaves out the statement's parameters: they hold names and birth dates.
        # pool_pre_ping: a pooled connection is tested before use and replaced when PostgreSQL has dropped it
        # (restart, failover, idle timeout), so the next request does not fail on it (a refused OpenCRVS webhook
        # is never sent again).
        "SQLALCHEMY_ENGINE_OPTIONS": {"hide_parameters": True, "pool_pre_ping": True},
        # Sessions: Secure cookies everywhere but the local demo on plain http://127.0.0.1.
        "SESSION_COOKIE_SECURE": env_bool(env, "PORTAL_SECURE_COOKIES", not public_url.startswith("http://")),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_NAME": "portal_session",
        "PERMANENT_SESSION_LIFETIME": timedelta(hours=max_hours),
        "PORTAL_SESSION_IDLE": timedelta(minutes=idle_minutes),
        "PORTAL_PROXY_HOPS": env_int(env, "PORTAL_PROXY_HOPS", 0),
        "MAX_CONTENT_LENGTH": env_int(env, "PORTAL_MAX_BODY_BYTES", 2 * 1024 * 1024, minimum=1024),
        "WTF_CSRF_TIME_LIMIT": None,  # the token lives as long as the session, which has its own limits
        # Rate limits. Several processes must count together (Redis): each gunicorn worker counting in its own
        # memory multiplies every limit by the number of workers (gunicorn.conf.py refuses that outside demo mode).
        "RATELIMIT_STORAGE_URI": ratelimit_storage,
        "RATELIMIT_STORAGE_OPTIONS": ratelimit_storage_options(
            ratelimit_storage, env.get("PORTAL_RATELIMIT_KEY_PREFIX") or "portal"),
        "RATELIMIT_ENABLED": env_bool(env, "PORTAL_RATELIMIT_ENABLED", True),
        # "5 per minute" means 5 in any 60 seconds, not 5 before the window resets and 5 more just after.
        "RATELIMIT_STRATEGY": "moving-window",
        # Redis down: each process counts in its own memory meanwhile (and logs it) rather than failing logins.
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
        # Failed logins (OWASP ASVS V2.2.1): per account from one address, per address whatever the account, and a
        # slower limit per account from every address, so that an attacker at one address cannot lock anyone out.
        "PORTAL_LOGIN_LIMIT_ACCOUNT_ADDRESS": env_limit(env, "PORTAL_LOGIN_LIMIT_ACCOUNT_ADDRESS",
                                                        "5 per minute;30 per hour"),
        "PORTAL_LOGIN_LIMIT_ACCOUNT": env_limit(env, "PORTAL_LOGIN_LIMIT_ACCOUNT", "100 per hour"),
        "PORTAL_LOGIN_LIMIT_ADDRESS": env_limit(env, "PORTAL_LOGIN_LIMIT_ADDRESS", "20 per minute;200 per hour"),
        "BABEL_DEFAULT_LOCALE": "en",
        "PORTAL_LANGUAGES": ("en", "fr"),
        "PORTAL_LOG_LEVEL": env.get("PORTAL_LOG_LEVEL") or "INFO",
        # Jobs
        "PORTAL_JOB_LEASE_SECONDS": env_int(env, "PORTAL_JOB_LEASE_SECONDS", 300, minimum=1),
        "PORTAL_JOB_BACKOFF_BASE": env_int(env, "PORTAL_JOB_BACKOFF_BASE", 5, minimum=0),
        "PORTAL_JOB_BACKOFF_CAP": env_int(env, "PORTAL_JOB_BACKOFF_CAP", 3600, minimum=1),
        "PORTAL_JOB_MAX_ATTEMPTS": env_int(env, "PORTAL_JOB_MAX_ATTEMPTS", 8, minimum=1),
        "PORTAL_JOB_MODULES": [m for m in (env.get("PORTAL_JOB_MODULES") or "").split(",") if m],
        "PORTAL_PEER_CHECK_SECONDS": env_int(env, "PORTAL_PEER_CHECK_SECONDS", 60, minimum=5),
        "PORTAL_PEER_TIMEOUT_SECONDS": env_int(env, "PORTAL_PEER_TIMEOUT_SECONDS", 3, minimum=1),
        # eSignet
        "PORTAL_ESIGNET_ISSUER": s("PORTAL_ESIGNET_ISSUER", SANDBOX["esignet"]),  # eSignet 1.8: the domain root
        # eSignet 1.5-1.7 sign tokens with their service path as `iss` while discovery names the domain
        "PORTAL_ESIGNET_TOKEN_ISSUER": env.get("PORTAL_ESIGNET_TOKEN_ISSUER") or None,
        "PORTAL_ESIGNET_CLIENT_ID": s("PORTAL_ESIGNET_CLIENT_ID", "interop-portal"),
        "PORTAL_ESIGNET_PRIVATE_KEY": env.get("PORTAL_ESIGNET_PRIVATE_KEY"),
        "PORTAL_ESIGNET_ENC_KEY": env.get("PORTAL_ESIGNET_ENC_KEY"),
        "PORTAL_ESIGNET_ACR_VALUES": env.get("PORTAL_ESIGNET_ACR_VALUES") or "mosip:idp:acr:generated-code",
        "PORTAL_ESIGNET_TIMEOUT": env_int(env, "PORTAL_ESIGNET_TIMEOUT", 10, minimum=1),
        # Registration: how eSignet's one-string `name` splits, which openIMIS identification type the national
        # id is stored as, the largest photo kept, how long an eSignet round trip may take.
        "PORTAL_REGISTRATION_NAME_ORDER": env_choice(env, "PORTAL_REGISTRATION_NAME_ORDER",
                                                     ("given_first", "family_first")),
        "PORTAL_REGISTRATION_ID_TYPE": env.get("PORTAL_REGISTRATION_ID_TYPE") or "N",
        "PORTAL_REGISTRATION_MAX_PHOTO_KB": env_int(env, "PORTAL_REGISTRATION_MAX_PHOTO_KB", 512, minimum=1),
        "PORTAL_REGISTRATION_LOGIN_MINUTES": env_int(env, "PORTAL_REGISTRATION_LOGIN_MINUTES", 15, minimum=1),
        "PORTAL_REGISTRATION_GENDER_LABELS": None,  # extra {label: M/F/O}, set from code or a test
        # openIMIS
        "PORTAL_OPENIMIS_URL": s("PORTAL_OPENIMIS_URL", SANDBOX["openimis"]),
        "PORTAL_OPENIMIS_USER": s("PORTAL_OPENIMIS_USER", "Admin"),
        "PORTAL_OPENIMIS_PASSWORD": s("PORTAL_OPENIMIS_PASSWORD", "admin123"),
        "PORTAL_OPENIMIS_TIMEOUT": env_int(env, "PORTAL_OPENIMIS_TIMEOUT", 10, minimum=1),
        # openIMIS's insuree_number_length / insuree_number_modulo_root; 0 means "no rule"
        "PORTAL_OPENIMIS_INSUREE_NUMBER_LENGTH": env_int(env, "PORTAL_OPENIMIS_INSUREE_NUMBER_LENGTH", 10),
        "PORTAL_OPENIMIS_INSUREE_NUMBER_MODULO": env_int(env, "PORTAL_OPENIMIS_INSUREE_NUMBER_MODULO", 10),
        # generate: the portal proposes a number that passes openIMIS's rule; enter: the officer types it
        "PORTAL_OPENIMIS_INSUREE_NUMBER_MODE": env_choice(env, "PORTAL_OPENIMIS_INSUREE_NUMBER_MODE",
                                                          ("generate", "enter")),
        # openSPP
        "PORTAL_OPENSPP_URL": s("PORTAL_OPENSPP_URL", SANDBOX["openspp"]),
        "PORTAL_OPENSPP_CLIENT_ID": s("PORTAL_OPENSPP_CLIENT_ID", "interop-portal"),
        "PORTAL_OPENSPP_CLIENT_SECRET": s("PORTAL_OPENSPP_CLIENT_SECRET", "demo-openspp-secret"),
        # dci: the DCI social-registry search (authenticated; the only one with birthdate, sex and ids);
        # registry: openSPP's registry REST API.
        "PORTAL_OPENSPP_API": env_choice(env, "PORTAL_OPENSPP_API", ("dci", "registry")),
        "PORTAL_OPENSPP_DB": env.get("PORTAL_OPENSPP_DB") or "openspp",
        "PORTAL_OPENSPP_SENDER_ID": env.get("PORTAL_OPENSPP_SENDER_ID") or "interop-portal",
        "PORTAL_OPENSPP_DCI_PATH": env.get("PORTAL_OPENSPP_DCI_PATH") or "/registry/sync/search",
        "PORTAL_OPENSPP_TOKEN_PATH": env.get("PORTAL_OPENSPP_TOKEN_PATH") or "/oauth2/client/token",
        "PORTAL_OPENSPP_REGISTRY_PATH": env.get("PORTAL_OPENSPP_REGISTRY_PATH") or "/api/v1/registry",
        "PORTAL_OPENSPP_DCI_ID_QUERY": env.get("PORTAL_OPENSPP_DCI_ID_QUERY") or "",
        "PORTAL_OPENSPP_DCI_ID_TYPE": env.get("PORTAL_OPENSPP_DCI_ID_TYPE") or "National ID",
        "PORTAL_OPENSPP_TIMEOUT": env_int(env, "PORTAL_OPENSPP_TIMEOUT", 10, minimum=1),
        "PORTAL_OPENSPP_RETRIES": env_int(env, "PORTAL_OPENSPP_RETRIES", 2),
        "PORTAL_OPENSPP_CACHE_SECONDS": env_int(env, "PORTAL_OPENSPP_CACHE_SECONDS", 30),
        "PORTAL_ENROLLMENT_LOCATION_ID": env.get("PORTAL_ENROLLMENT_LOCATION_ID"),
        # The DCI enrollment API (openSPP pushes to us) and its OAuth2 client-credentials tokens.
        "PORTAL_API_TOKEN_SECONDS": env_int(env, "PORTAL_API_TOKEN_SECONDS", 3600, minimum=60),
        "PORTAL_API_TOKEN_LIMIT": env_limit(env, "PORTAL_API_TOKEN_LIMIT", "30 per minute"),
        "PORTAL_DCI_MAX_BODY_BYTES": env_int(env, "PORTAL_DCI_MAX_BODY_BYTES", 1024 * 1024, minimum=1024),
        "PORTAL_DCI_MAX_RECORDS": env_int(env, "PORTAL_DCI_MAX_RECORDS", 1000, minimum=1),
        "PORTAL_DCI_RECEIVER_ID": env.get("PORTAL_DCI_RECEIVER_ID") or "interop-portal",
        "PORTAL_DCI_PRODUCT_CODE": env.get("PORTAL_DCI_PRODUCT_CODE") or "SPC0001",
        "PORTAL_DCI_OFFICER_CODE": env.get("PORTAL_DCI_OFFICER_CODE") or "E00001",
        "PORTAL_DCI_LOCATION_ID": env.get("PORTAL_DCI_LOCATION_ID"),
        # MOSIP
        "PORTAL_MOSIP_URL": s("PORTAL_MOSIP_URL", SANDBOX["mosip"]),
        "PORTAL_MOSIP_CLIENT_ID": s("PORTAL_MOSIP_CLIENT_ID", "mosip-crvs-client"),
        "PORTAL_MOSIP_SECRET": s("PORTAL_MOSIP_SECRET", "demo-mosip-secret"),
        "PORTAL_MOSIP_APP_ID": s("PORTAL_MOSIP_APP_ID", "regproc"),
        "PORTAL_MOSIP_CENTRE_ID": s("PORTAL_MOSIP_CENTRE_ID", "10001"),
        "PORTAL_MOSIP_MACHINE_ID": s("PORTAL_MOSIP_MACHINE_ID", "10001"),
        "PORTAL_MOSIP_WEBSUB_URL": s("PORTAL_MOSIP_WEBSUB_URL", SANDBOX["mosip"] + "/hub"),
        "PORTAL_MOSIP_WEBSUB_SECRET": s("PORTAL_MOSIP_WEBSUB_SECRET", "demo-websub-secret"),
        "PORTAL_MOSIP_PARTNER_ID": s("PORTAL_MOSIP_PARTNER_ID", "opencrvs-partner"),
        # Our partner private key (PEM or .p12) that decrypts VER_R2 credentials from CREDENTIAL_ISSUED events.
        "PORTAL_MOSIP_PARTNER_KEY": s("PORTAL_MOSIP_PARTNER_KEY",
                                      str(PACKAGE_DIR.parent / "portal_sandbox/mosip/demo-partner-key.pem")),
        "PORTAL_MOSIP_PARTNER_KEY_PASSWORD": env.get("PORTAL_MOSIP_PARTNER_KEY_PASSWORD"),
        "PORTAL_MOSIP_TIMEOUT": env_int(env, "PORTAL_MOSIP_TIMEOUT", 10, minimum=1),
        "PORTAL_MOSIP_CONCURRENCY": env_int(env, "PORTAL_MOSIP_CONCURRENCY", 4, minimum=1),
        "PORTAL_MOSIP_PROCESS_BIRTH": env.get("PORTAL_MOSIP_PROCESS_BIRTH") or "CRVS_NEW",
        "PORTAL_MOSIP_PROCESS_DEATH": env.get("PORTAL_MOSIP_PROCESS_DEATH") or "CRVS_DEATH",
        "PORTAL_MOSIP_PROCESS_CORRECTION": env.get("PORTAL_MOSIP_PROCESS_CORRECTION") or "CRVS_UPDATE",
        # A stock MOSIP v1.3.0 (mosip-config application-default.properties) writes and reads CRVS_NEW and
        # CRVS_DEATH packets only from source CRVS1 (`provider.packetwriter.crvs1`, `packetmanager.default.priority`)
        # and routes them (`registration-processor-camel-routes-{infant-crvs_new,crvs_death}-default.xml`).
        # CRVS_UPDATE is registered nowhere: corrections need the MOSIP lines of the README's MOSIP section.
        "PORTAL_MOSIP_SOURCE": env.get("PORTAL_MOSIP_SOURCE") or "CRVS1",
        "PORTAL_MOSIP_RID_MODE": env_choice(env, "PORTAL_MOSIP_RID_MODE", ("remote", "local")),
        "PORTAL_MOSIP_DEATH_MODE": env_choice(env, "PORTAL_MOSIP_DEATH_MODE", ("packet", "idrepo")),
        # What a birth's `child.nid` / MOSIP_PSUT_TOKEN_ID carries back. Unset: what OpenCRVS's own integration
        # sends for PORTAL_OPENCRVS_GENERATION: v1 the partner UIN token (mosip/mosip-opencrvs
        # ReceiveCredentialService), v1.9 the credential's VID (opencrvs/mosip websub-credential-issued.ts).
        "PORTAL_MOSIP_RETURN_ID": env_choice(env, "PORTAL_MOSIP_RETURN_ID", tuple(dict.fromkeys((
            "vid" if env.get("PORTAL_OPENCRVS_GENERATION") == "v1.9" else "token", "token", "vid", "uin")))),
        "PORTAL_MOSIP_TOKEN_PARTNER": env.get("PORTAL_MOSIP_TOKEN_PARTNER"),
        "PORTAL_MOSIP_TOKEN_INTERMEDIARY": env.get("PORTAL_MOSIP_TOKEN_INTERMEDIARY"),
        "PORTAL_MOSIP_WEBSUB_LEASE_SECONDS": env_int(env, "PORTAL_MOSIP_WEBSUB_LEASE_SECONDS", 86400, minimum=60,
                                                     maximum=366 * 86400),
        "PORTAL_PACKETS_POLL_BASE": env_int(env, "PORTAL_PACKETS_POLL_BASE", 5),
        "PORTAL_PACKETS_POLL_CAP": env_int(env, "PORTAL_PACKETS_POLL_CAP", 300, minimum=1),
        "PORTAL_PACKETS_POLL_MAX": env_int(env, "PORTAL_PACKETS_POLL_MAX", 500, minimum=1),
        "PORTAL_PACKETS_NOT_FOUND_MAX": env_int(env, "PORTAL_PACKETS_NOT_FOUND_MAX", 10, minimum=1),
        "PORTAL_PACKETS_CREDENTIAL_GRACE": env_int(env, "PORTAL_PACKETS_CREDENTIAL_GRACE", 60),
        "PORTAL_PACKETS_STUCK_SECONDS": env_int(env, "PORTAL_PACKETS_STUCK_SECONDS", 1800, minimum=1),
        "PORTAL_PACKETS_POLL_SECONDS": env_int(env, "PORTAL_PACKETS_POLL_SECONDS", 5, minimum=1),
        # OpenCRVS
        "PORTAL_OPENCRVS_URL": s("PORTAL_OPENCRVS_URL", SANDBOX["opencrvs"]),
        "PORTAL_OPENCRVS_WEBHOOK_SECRET": s("PORTAL_OPENCRVS_WEBHOOK_SECRET", "demo-opencrvs-webhook-secret"),
        # The system client the portal authenticates as (authenticateSystemClient).
        "PORTAL_OPENCRVS_CLIENT_ID": s("PORTAL_OPENCRVS_CLIENT_ID", "interop-portal"),
        "PORTAL_OPENCRVS_CLIENT_SECRET": s("PORTAL_OPENCRVS_CLIENT_SECRET", "demo-opencrvs-client-secret"),
        "PORTAL_OPENCRVS_GENERATION": env_choice(env, "PORTAL_OPENCRVS_GENERATION", ("v1", "v1.9")),
        "PORTAL_OPENCRVS_TIMEOUT": env_int(env, "PORTAL_OPENCRVS_TIMEOUT", 10, minimum=1),
        "PORTAL_OPENCRVS_CONCURRENCY": env_int(env, "PORTAL_OPENCRVS_CONCURRENCY", 4, minimum=1),
        # Each defaults from PORTAL_OPENCRVS_URL (see portal/clients/opencrvs/client.py) when unset.
        "PORTAL_OPENCRVS_AUTH_URL": env.get("PORTAL_OPENCRVS_AUTH_URL"),
        "PORTAL_OPENCRVS_WEBHOOKS_URL": env.get("PORTAL_OPENCRVS_WEBHOOKS_URL"),
        "PORTAL_OPENCRVS_MEDIATOR_URL": env.get("PORTAL_OPENCRVS_MEDIATOR_URL"),
        "PORTAL_OPENCRVS_GATEWAY_URL": env.get("PORTAL_OPENCRVS_GATEWAY_URL"),
        "PORTAL_OPENCRVS_PUBLIC_KEY_URL": env.get("PORTAL_OPENCRVS_PUBLIC_KEY_URL"),
        "PORTAL_OPENCRVS_JWT_ISSUER": env.get("PORTAL_OPENCRVS_JWT_ISSUER") or "opencrvs:auth-service",
    }


def ensure_required(config):
    """Outside demo mode the portal refuses to start without its own secret and public URL."""
    if config["PORTAL_DEMO"]:
        return
    missing = [name for name, key in (("PORTAL_SECRET_KEY", "SECRET_KEY"), ("PORTAL_PUBLIC_URL", "PORTAL_PUBLIC_URL"))
               if not config.get(key) or config[key] == DEMO_SECRET_KEY]
    if missing:
        raise ConfigError(
            f"{' and '.join(missing)} must be set (or set PORTAL_DEMO=1 for the local demo with sandbox peers)"
        )
    if len(config["SECRET_KEY"]) < 32:
        raise ConfigError("PORTAL_SECRET_KEY must be at least 32 characters long")
    # A peer without an address would fail only when someone's work first needs it: refuse to start instead.
    unusable = [name for name in PEER_URL_SETTINGS if not _is_http_url(config.get(name))]
    if unusable:
        raise ConfigError(f"{', '.join(unusable)} must be set to the peer's http(s) address "
                          f"(or set PORTAL_DEMO=1 for the local demo with sandbox peers)")


def ensure_shared_rate_limits(config, workers):
    """Outside demo mode, several processes may not each count rate limits in their own memory: with 3 of them,
    5 wrong passwords a minute became 15 (issue 12). gunicorn.conf.py calls this with gunicorn's worker count."""
    if workers <= 1 or config["PORTAL_DEMO"] or not config["RATELIMIT_ENABLED"]:
        return
    if config["RATELIMIT_STORAGE_URI"].startswith("memory://"):
        raise ConfigError(
            f"{workers} gunicorn workers would each count rate limits (failed logins, API tokens) in their own "
            f"memory, which multiplies every limit by {workers}: set PORTAL_RATELIMIT_STORAGE to a Redis every "
            f"process shares (redis://HOST:6379/0), or run one worker"
        )


# The address of each peer; outside demo mode every one must be an absolute http(s) URL.
PEER_URL_SETTINGS = ("PORTAL_ESIGNET_ISSUER", "PORTAL_OPENIMIS_URL", "PORTAL_OPENSPP_URL", "PORTAL_MOSIP_URL",
                     "PORTAL_MOSIP_WEBSUB_URL", "PORTAL_OPENCRVS_URL")


def _is_http_url(value):
    if not isinstance(value, str):
        return False
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc)
