"""Shared helpers of the sandbox MOSIP tests: login, hand-made packets, a WebSub subscriber stand-in, and the hub
over real HTTP (a token, a subscription, the sandbox's state, a birth through the workflow, a credential decrypted)."""

import base64
import datetime
import json
import re
import threading
import time
from pathlib import Path

import httpx
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from flask import Flask, request

AUTH = "/v1/authmanager/authenticate/clientidsecretkey"
CREATE = "/commons/v1/packetmanager/createPacket"
EXTERNAL_STATUS_ID = "mosip.registration.external.status"
WORKFLOW = "/registrationprocessor/v1/workflowmanager/workflowinstance"
SCHEMA_JSON = (Path(__file__).parents[2] / "portal_sandbox" / "mosip" / "id_schema.json").read_text()
TOPIC = "opencrvs-partner/CREDENTIAL_ISSUED"
SECRET = "hub-secret"


def auth_body(client_id="opencrvs-partner", secret="opencrvs-partner-secret"):
    return {"id": "mosip.io.clientId.pwd", "version": "1.0", "requesttime": now(), "metadata": {},
            "request": {"clientId": client_id, "secretKey": secret, "appId": "regproc"}}


def login(client, client_id="opencrvs-partner", secret="opencrvs-partner-secret"):
    response = client.post(AUTH, json=auth_body(client_id, secret))
    assert response.status_code == 200
    return client


def now():
    moment = datetime.datetime.now(datetime.timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def ml(value):
    return json.dumps([{"language": "eng", "value": value}])


def birth_fields(**overrides):
    fields = {
        "IDSchemaVersion": "0.1", "fullName": ml("Ada Lovelace"), "dateOfBirth": "2022/08/24", "gender": ml("Female"),
        "addressLine1": ml("12 Main Road"), "region": ml("Central"), "province": ml("Ibombo"), "city": ml("Isamba"),
        "zone": ml("Zone A"), "postalCode": "NA", "birthCertificateNumber": "2022B60QW1Y",
    }
    fields.update(overrides)
    return {k: v for k, v in fields.items() if v is not None}


def packet_body(rid, fields=None, process="CRVS_NEW", source="CRVS1", audits=None, brn="2022B60QW1Y"):
    return {
        "id": "mosip.registration.packet.writer", "version": "v1", "requesttime": now(),
        "request": {
            "id": rid, "refId": "10001_10004", "offlineMode": False, "process": process, "source": source,
            "schemaVersion": "0.1", "schemaJson": SCHEMA_JSON,
            "fields": birth_fields() if fields is None else fields,
            "metaInfo": {"metaData": json.dumps([{"label": "opencrvsBRN", "value": brn}]), "registrationId": rid,
                         "creationDate": rid[-14:]},
            "audits": [{"uuid": "a1", "eventId": "REG-EVT-066", "id": rid}] if audits is None else audits,
        },
    }


def workflow_body(rid, process="CRVS_NEW", source="CRVS1", **overrides):
    body = {"id": "mosip.registration.processor.workflow.instance", "version": "v1", "requesttime": now(),
            "request": {"registrationId": rid, "process": process, "source": source, "additionalInfoReqId": "",
                        "notificationInfo": {"name": "crvs_user", "phone": "+1234567890", "email": "u@example.com"}}}
    body.update(overrides)
    return body


def status_body(*rids, **overrides):
    """A `/registrationstatus/search` request (the external search wants `id=EXTERNAL_STATUS_ID`)."""
    body = {"id": "mosip.registration.status", "version": "1.0", "requesttime": now(),
            "request": [{"registrationId": rid} for rid in rids]}
    body.update(overrides)
    return body


def new_rid(client):
    return client.get("/v1/ridgenerator/generate/rid/10001/10004").json["response"]["rid"]


class Receiver:
    """Serve `app` with `tests.peers.live_peer(lambda _: receiver.app)`; callback URL is `<url>/cb`.

    `echo` (default True) answers the hub's challenge; `fail_next` makes the next N deliveries answer 500."""

    def __init__(self, echo=True):
        self.echo = echo
        self.fail_next = 0
        self.verifications = []
        self.deliveries = []
        self._lock = threading.Lock()
        self.app = Flask("mosip-receiver")
        self.app.add_url_rule("/cb", "verify", self._verify, methods=["GET"])
        self.app.add_url_rule("/cb", "deliver", self._deliver, methods=["POST"])

    def _verify(self):
        with self._lock:
            self.verifications.append(dict(request.args))
        if not self.echo:
            return "not-the-challenge"
        return request.args.get("hub.challenge", "")

    def _deliver(self):
        with self._lock:
            self.deliveries.append({"signature": request.headers.get("X-Hub-Signature"), "body": request.get_data()})
            if self.fail_next > 0:
                self.fail_next -= 1
                return "try later", 500
        return "", 200

    def wait_for(self, what, count=1, timeout=5.0):
        """Wait until `count` verifications/deliveries arrived; returns the list."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            with self._lock:
                items = list(getattr(self, what))
            if len(items) >= count:
                return items
            time.sleep(0.02)
        raise AssertionError(f"only {len(items)} {what} after {timeout}s")


def wait_until(predicate, timeout=5.0, interval=0.02):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError("condition not met in time")


def token(url, client_id="opencrvs-partner", secret="opencrvs-partner-secret"):
    response = httpx.post(url + AUTH, json=auth_body(client_id, secret))
    return response.cookies["Authorization"]


def hub(url, jwt, **form):
    headers = {"Cookie": f"Authorization={jwt}"} if jwt else {}
    return httpx.post(url + "/hub", data=form, headers=headers)


def subscribe(url, callback, jwt=None, topic=TOPIC, **extra):
    return hub(url, jwt or token(url), **{"hub.mode": "subscribe", "hub.topic": topic, "hub.callback": callback,
                                          "hub.secret": SECRET, **extra})


def state(url):
    return httpx.get(url + "/_sandbox/state").json()


def birth(url, jwt):
    cookies = {"Authorization": jwt}
    rid = httpx.get(url + "/v1/ridgenerator/generate/rid/10001/10004", cookies=cookies).json()["response"]["rid"]
    assert httpx.put(url + CREATE, json=packet_body(rid), cookies=cookies).json()["response"]
    assert httpx.post(url + WORKFLOW, json=workflow_body(rid), cookies=cookies).json()["response"]
    return rid


def decrypt(blob_b64):
    pem = (Path(__file__).parents[2] / "portal_sandbox/mosip/demo-partner-key.pem").read_bytes()
    key = serialization.load_pem_private_key(pem, None)
    blob = base64.urlsafe_b64decode(blob_b64 + "=" * (-len(blob_b64) % 4))
    head, content = blob.split(b"#KEY_SPLITTER#", 1)
    assert head.startswith(b"VER_R2")
    aes = key.decrypt(head[38:], padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=None))
    return json.loads(AESGCM(aes).decrypt(content[:12], content[32:], content[:32]))


FIXTURES = Path(__file__).parents[1] / "fixtures" / "mosip"


def stock_properties(name):
    """A mosip-config v1.3.0 `<name>-default.properties` (tests/fixtures/mosip, verbatim) as a dict; values
    unescaped as java.util.Properties reads them (`\\/` is `/`, `\\\\` is `\\`)."""
    values = {}
    for line in (FIXTURES / f"mosip-config_v1.3.0_{name}-default.properties").read_text().splitlines():
        line = line.strip()
        if not line or line[0] in "#!" or "=" not in line:
            continue
        key, _, value = line.partition("=")
        values[key.strip()] = re.sub(r"\\(.)", r"\1", value.strip())
    return values


README = Path(__file__).parents[2] / "README.md"
CORRECTIONS_CRVS1 = "PORTAL_MOSIP_PROCESS_CORRECTION=CRVS_UPDATE with PORTAL_MOSIP_SOURCE=CRVS1"


def readme_properties(title):
    """The MOSIP lines of the README's ```properties block whose first line is `# <title>`, as a dict; values
    unescaped as java.util.Properties reads them (`source:CRVS1\\/process:…` is `source:CRVS1/process:…`)."""
    match = re.search(r"```properties\n# " + re.escape(title) + r"\n(.*?)```", README.read_text(), re.S)
    assert match, f"README has no properties block titled {title!r}"
    lines = [line for line in match.group(1).splitlines() if line and not line.startswith("#")]
    return {key: re.sub(r"\\(.)", r"\1", value) for key, value in (line.split("=", 1) for line in lines)}
