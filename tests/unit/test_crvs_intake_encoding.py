"""encodeURIComponent as OpenCRVS's signature uses it: the fast encoder gives urllib's exact answer."""

import random
from urllib.parse import quote

import pytest

from portal.clients.opencrvs.webhook import encode_uri_component

# JavaScript's encodeURIComponent keeps A-Z a-z 0-9 - _ . ! ~ * ' ( ); quote() keeps _.-~ and alnum by itself.
JS_SAFE = "!*'()"


@pytest.mark.parametrize("text", [
    "", "plain", "".join(chr(c) for c in range(0, 256)), '{"name": "Ｊｏｓé Muñoz 😀", "q": "a&b=c/d?e#f"}',
    "%41%%25 already-escaped-looking text %", "".join(chr(random.Random(7).randrange(1, 0xD000)) for _ in range(2000)),
], ids=["empty", "plain", "latin-1", "json-unicode", "percent", "random-bmp"])
def test_the_encoder_encodes_exactly_like_quote(text):
    assert encode_uri_component(text) == quote(text, safe=JS_SAFE)
    assert encode_uri_component(text.encode("utf-8")) == quote(text, safe=JS_SAFE)
