"""HTTP face of the sandbox eSignet: the relying-party endpoints, the login pages, and the /_sandbox/ switches.

Paths as eSignet 1.8 deploys them (notes/esignet.md §1.1): the UI at the domain root (`/authorize`, `/login`,
`/consent`), the service under `/v1/esignet`, and the well-known documents at both places.
"""

from flask import Blueprint, current_app, jsonify, redirect, render_template, request

from .state import MISBEHAVIOURS, SERVLET_PATH, AuthorizeError, FlowError, TokenError, UserinfoError

bp = Blueprint("esignet", __name__)

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}

# The eSignet UI's own texts (oidc-ui public/locales), shortened; only en and fr here.
TEXTS = {
    "en": {
        "login_with": "Login with", "OTP": "OTP", "PIN": "PIN", "PWD": "Password", "BIO": "Biometrics",
        "WLA": "Wallet", "KBI": "Knowledge", "uin_vid": "UIN/VID", "get_otp": "Get OTP",
        "otp_sent": "OTP has been sent to your registered mobile number {mobile} and email {email}",
        "otp_sent_mobile": "OTP has been sent to your registered mobile number {mobile}",
        "enter_otp": "Enter the 6-digit OTP", "verify": "Verify", "resend_otp": "Resend OTP",
        "pin": "PIN", "password": "Password", "login": "Login", "scan": "Scan and verify",
        "bio_hint": "Place your finger on the sandbox scanner (it always captures a match).",
        "not_available": "This authentication method is not available in the sandbox.",
        "consent_request_msg": "{client} is requesting access to:", "essential_claims": "Essential claims",
        "voluntary_claims": "Voluntary claims", "required": "Required", "allow": "Allow", "cancel": "Cancel",
        "select_all": "Select all", "error": "Error", "purpose_verify": "Verify your identity with",
        "name": "Name", "given_name": "Given name", "family_name": "Family name", "middle_name": "Middle name",
        "birthdate": "Birth date", "gender": "Gender", "phone_number": "Phone number", "email": "Email",
        "individual_id": "Individual ID", "address": "Address", "picture": "Photo", "locale": "Locale",
        "errors": {
            "invalid_client_id": "Invalid client ID", "invalid_redirect_uri": "Invalid redirect URI",
            "invalid_response_type": "Invalid response type", "invalid_scope": "Invalid scope",
            "invalid_request": "Invalid request", "invalid_claim": "Invalid claims request",
            "unsupported_pkce_challenge_method": "Unsupported PKCE challenge method",
            "invalid_pkce_challenge": "Invalid PKCE challenge", "use_pkce": "PKCE is required for this client",
            "invalid_transaction": "Invalid transaction", "invalid_individual_id": "Invalid UIN/VID",
            "auth_failed": "Authentication failed", "invalid_accepted_claim": "Accept every essential claim",
            "invalid_auth_factor": "Invalid authentication method", "invalid_state": "Invalid state",
            "invalid_display": "Invalid display", "invalid_prompt": "Invalid prompt",
            "transaction_timeout": "Transaction timed out",
        },
    },
    "fr": {
        "login_with": "Se connecter avec", "OTP": "OTP", "PIN": "PIN", "PWD": "Mot de passe",
        "BIO": "Biométrie", "WLA": "Portefeuille", "KBI": "Connaissances", "uin_vid": "UIN/VID",
        "get_otp": "Obtenir l'OTP",
        "otp_sent": "L'OTP a été envoyé à votre numéro de mobile {mobile} et à votre e-mail {email}",
        "otp_sent_mobile": "L'OTP a été envoyé à votre numéro de mobile {mobile}",
        "enter_otp": "Saisissez l'OTP à 6 chiffres", "verify": "Vérifier", "resend_otp": "Renvoyer l'OTP",
        "pin": "PIN", "password": "Mot de passe", "login": "Connexion", "scan": "Scanner et vérifier",
        "bio_hint": "Posez le doigt sur le scanner du bac à sable (il trouve toujours une correspondance).",
        "not_available": "Cette méthode n'est pas disponible dans le bac à sable.",
        "consent_request_msg": "{client} demande l'accès à :", "essential_claims": "Informations essentielles",
        "voluntary_claims": "Informations facultatives", "required": "Obligatoire", "allow": "Autoriser",
        "cancel": "Annuler", "select_all": "Tout sélectionner", "error": "Erreur",
        "purpose_verify": "Vérifiez votre identité avec", "name": "Nom", "given_name": "Prénom",
        "family_name": "Nom de famille", "middle_name": "Deuxième prénom", "birthdate": "Date de naissance",
        "gender": "Genre", "phone_number": "Téléphone", "email": "E-mail", "individual_id": "Identifiant",
        "address": "Adresse", "picture": "Photo", "locale": "Langue",
        "errors": {},
    },
}


def state():
    return current_app.extensions["esignet_state"]


def texts(txn=None):
    for locale in (txn.ui_locales if txn else []) + (request.args.get("ui_locales") or "").split():
        lang = locale.split("-")[0].lower()
        if lang in TEXTS:
            return lang, {**TEXTS["en"], **TEXTS[lang], "errors": {**TEXTS["en"]["errors"], **TEXTS[lang]["errors"]}}
    return "en", TEXTS["en"]


def page(template, txn=None, status=200, **context):
    lang, t = texts(txn)
    client_name = None
    if txn is not None:
        names = txn.client.get("clientName") or {}
        if isinstance(names, str):
            client_name = names
        else:
            client_name = names.get({"fr": "fra"}.get(lang, "eng")) or names.get("@none") or txn.client["clientId"]
    return render_template(f"esignet/{template}", t=t, lang=lang, txn=txn, client_name=client_name,
                           **context), status


def flow_failure(txn_id, error: FlowError, template, **context):
    """A failed step: back to the relying party when eSignet would redirect, else the page with the error."""
    if error.redirect:
        return redirect(state().reject(txn_id, error.code, error.code), 302)
    try:
        txn = state().transaction(txn_id)
    except FlowError:
        return page("error.html", None, error="invalid_transaction")
    return page(template, txn, error=error.code, **context)


# ---- discovery and keys -------------------------------------------------------------------------------------------
@bp.get("/.well-known/openid-configuration")
@bp.get(SERVLET_PATH + "/oidc/.well-known/openid-configuration")
def openid_configuration():
    response = jsonify(state().discovery())
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


@bp.get(SERVLET_PATH + "/oauth/.well-known/oauth-authorization-server")
def oauth_authorization_server():
    return jsonify(state().oauth_metadata())


@bp.get("/.well-known/jwks.json")
@bp.get(SERVLET_PATH + "/oauth/.well-known/jwks.json")
def jwks():
    response = jsonify(state().jwks())
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


# ---- the login pages (the eSignet UI) --------------------------------------------------------------------------------
@bp.get("/authorize")
def authorize():
    try:
        txn = state().start_transaction(request.args.to_dict())
    except AuthorizeError as exc:
        # oauth-details errors are shown on eSignet's own page, never redirected.
        return page("error.html", None, error=exc.code)
    return redirect(f"/login?transactionId={txn.id}", 302)


@bp.get("/login")
def login():
    try:
        txn = state().transaction(request.args.get("transactionId"))
    except FlowError as exc:
        return page("error.html", None, error=exc.code)
    types = [f["type"] for f in txn.factors]
    method = request.args.get("method") if request.args.get("method") in types else types[0]
    return page("login.html", txn, method=method, step="start")


@bp.post("/login/send-otp")
def send_otp():
    txn_id = request.form.get("transactionId")
    individual_id = request.form.get("individualId", "")
    try:
        masked = state().send_otp(txn_id, individual_id)
    except FlowError as exc:
        return flow_failure(txn_id, exc, "login.html", method="OTP", step="start", individual_id=individual_id)
    return page("login.html", state().transaction(txn_id), method="OTP", step="otp", individual_id=individual_id,
                masked=masked)


@bp.post("/login/authenticate")
def authenticate():
    txn_id = request.form.get("transactionId")
    factor = request.form.get("factor", "OTP")
    individual_id = request.form.get("individualId", "")
    try:
        action = state().authenticate(txn_id, individual_id, factor, request.form.get("challenge", ""))
    except FlowError as exc:
        step = "otp" if factor == "OTP" and exc.code == "auth_failed" else "start"
        return flow_failure(txn_id, exc, "login.html", method=factor, step=step, individual_id=individual_id,
                            masked=None)
    if action == "NOCAPTURE":
        return redirect(state().auth_code(txn_id, []), 302)
    return page("consent.html", state().transaction(txn_id))


@bp.post("/consent")
def consent():
    txn_id = request.form.get("transactionId")
    try:
        return redirect(state().auth_code(txn_id, request.form.getlist("accepted")), 302)
    except FlowError as exc:
        return flow_failure(txn_id, exc, "consent.html")


@bp.post("/cancel")
def cancel():
    txn_id = request.form.get("transactionId")
    try:
        # Consent.js onError: redirect_uri?error_description=…&state=…&error=access_denied
        return redirect(state().reject(txn_id, "access_denied", "Consent rejected by the user"), 302)
    except FlowError as exc:
        return page("error.html", None, error=exc.code)


# ---- token and userinfo --------------------------------------------------------------------------------------------
@bp.post(SERVLET_PATH + "/oauth/v2/token")
def token():
    if request.mimetype != "application/x-www-form-urlencoded":
        return jsonify(error="invalid_request", error_description="invalid_request"), 400, NO_STORE
    try:
        body = state().token(request.form.to_dict())
    except TokenError as exc:
        return jsonify(exc.body()), 400, NO_STORE
    return jsonify(body), 200, NO_STORE


@bp.get(SERVLET_PATH + "/oidc/userinfo")
def userinfo():
    try:
        body = state().userinfo(request.headers.get("Authorization"))
    except UserinfoError as exc:
        # Java eSignet: 401, empty body, no "Bearer" scheme in the challenge.
        return "", 401, {"WWW-Authenticate": f'error="{exc.code}"'}
    return body, 200, {"Content-Type": "application/jwt"}


# ---- sandbox-only switches -------------------------------------------------------------------------------------------
@bp.route("/_sandbox/misbehave", methods=["GET", "POST"])
def misbehave():
    """`{"mode": "wrong_nonce", "count": 1}` switches one misbehaviour on; `rotated_key` rotates now; `clear`."""
    if request.method == "POST":
        body = request.get_json(force=True, silent=True) or {}
        modes = body.get("modes") or [body.get("mode")]
        try:
            for mode in modes:
                state().set_misbehaviour(mode, body.get("count"))
        except ValueError:
            return jsonify(error=f"unknown mode; use clear, rotated_key or one of {sorted(MISBEHAVIOURS)}"), 400
    return jsonify(active=state().misbehaviour, kids=[k["kid"] for k in state().jwks()["keys"]])


@bp.post("/_sandbox/clock")
def clock():
    """`{"advance": 301}` moves the sandbox's clock forward (codes, transactions and tokens expire)."""
    body = request.get_json(force=True, silent=True) or {}
    state().advance_clock(float(body.get("advance", 0)))
    return jsonify(offset=state().clock_offset)


@bp.get("/_sandbox/identities")
def identities():
    """The demo individuals (id, English name): what to type on the login page. The OTP is always 111111."""
    people = []
    for person in state().identities.values():
        names = person.get("fullName") or []
        name = next((n["value"] for n in names if n["language"] == "eng"), names[0]["value"] if names else "")
        people.append({"individualId": person["individualId"], "name": name})
    return jsonify(identities=people, otp="111111")

