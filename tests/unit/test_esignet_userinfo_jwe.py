"""Encrypted userinfo as MOSIP IDA sends it through eSignet: a DEF-compressed JWE (RSA-OAEP-256, A256GCM, kid and
x5t#S256 = the certificate's thumbprint) around the JWS; and what stays refused (plain JSON inside, another
compression, an inflated size beyond the portal's cap, a broken DEFLATE stream)."""

import datetime
import json
import zlib

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.x509.oid import NameOID

from portal.clients import esignet
from portal_sandbox.esignet.state import deflate, ida_jwe, seal_jwe
from tests.fakes.esignet import FakeEsignet, compact, login_request, rsa


@pytest.fixture()
def fake():
    return FakeEsignet()


def partner_certificate(key):
    """The relying party's encryption key in an X.509 certificate, as IDA receives it (signed by some CA)."""
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "portal-client")])
    now = datetime.datetime.now(datetime.timezone.utc)
    return (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key)
            .serial_number(1).not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=30)).sign(rsa("pms-ca").private_key, hashes.SHA256()))


IDA_HEADER = {"cty": "JWT", "typ": "JWT", "alg": "RSA-OAEP-256", "enc": "A256GCM", "kid": "thumb", "zip": "DEF",
              "x5t#S256": "thumb"}


def finish(fake, enc_key):
    return fake.client(enc_key=enc_key).finish_login(login_request(), "code-1")


def test_an_ida_jwe_userinfo_is_inflated_then_verified(fake):
    enc = rsa("enc-1")
    fake.userinfo_body = ida_jwe(fake.userinfo_value(), partner_certificate(enc))
    identity = finish(fake, enc)
    assert identity.claims == {"name": "Amina Diallo", "birthdate": "1992/03/08", "gender": "Female"}


def test_a_large_ida_jwe_userinfo_with_a_photo_is_accepted(fake):
    enc = rsa("enc-1")
    photo = "data:image/jpeg;base64," + "QUJD" * 120_000  # ~480 KB, as PORTAL_REGISTRATION_MAX_PHOTO_KB allows
    fake.userinfo_claims["picture"] = photo
    fake.userinfo_body = ida_jwe(fake.userinfo_value(), partner_certificate(enc))
    assert finish(fake, enc).claims["picture"] == photo


def test_an_ida_jwe_around_plain_json_is_refused(fake):
    enc = rsa("enc-1")
    plain = json.dumps({"sub": fake.sub, "name": "Amina Diallo"})
    fake.userinfo_body = ida_jwe(plain, partner_certificate(enc))
    with pytest.raises(esignet.UserinfoNotSignedError):
        finish(fake, enc)


def bomb():
    """A small DEF stream that inflates past the portal's cap (zeros compress about a thousand to one)."""
    return deflate(b"0" * (esignet.USERINFO_MAX_BYTES + 1))


REFUSED = [
    ("other-zip", lambda signed: ({**IDA_HEADER, "zip": "GZIP"}, deflate(signed))),
    ("empty-zip", lambda signed: ({**IDA_HEADER, "zip": ""}, deflate(signed))),
    ("zlib-wrapped", lambda signed: (IDA_HEADER, zlib.compress(signed))),
    ("truncated-stream", lambda signed: (IDA_HEADER, deflate(signed)[:-8])),
    ("not-deflate", lambda signed: (IDA_HEADER, signed)),
    ("decompression-bomb", lambda signed: (IDA_HEADER, bomb())),
    ("trailing-bytes", lambda signed: (IDA_HEADER, deflate(signed) + b"junk")),
]


@pytest.mark.parametrize("build", [case[1] for case in REFUSED], ids=[case[0] for case in REFUSED])
def test_a_jwe_that_does_not_inflate_cleanly_is_refused(fake, build):
    enc = rsa("enc-1")
    header, content = build(fake.userinfo_value().encode())
    fake.userinfo_body = seal_jwe(header, content, enc.public_key)
    with pytest.raises(esignet.DecryptionError):
        finish(fake, enc)


def test_a_deflated_jws_signed_by_an_unpublished_key_is_still_refused(fake):
    enc = rsa("enc-1")
    forged = compact(fake.userinfo_header, {"sub": fake.sub, "name": "x"}, rsa("rogue-kyc"))
    fake.userinfo_body = ida_jwe(forged, partner_certificate(enc))
    with pytest.raises(esignet.BadSignatureError):
        finish(fake, enc)
