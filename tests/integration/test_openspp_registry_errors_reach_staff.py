"""Over real HTTP, an officer searching openSPP reads the registry's own error code and message, and a clear
"shape" error for an answer the portal cannot read (never "0 individuals found"), in English and in French.

The sandbox openSPP answers the way the real servers do: OpenSPP 2's ERR acknowledgement for an unsigned
envelope (spp_dci_server `verify_dci_signature`), openIMIS api_dci's `registry_data.data[]` answer."""

import html

import pytest

from tests.integration.enrollment_support import live_peers, portal_config

SIGNATURE_REQUIRED = {"DCI_REQUIRE_SIGNATURE": True}
OPENIMIS_SHAPE = {"DCI_ANSWER_SHAPE": "openimis"}
EXPECTED = "message.search_response[0].data.reg_records[]"
FOUND = "message.search_response[0] {reference_id, registry_data, status, status_reason_code, " \
        "status_reason_message, timestamp}"


@pytest.fixture
def search_page(make_app, login_as):
    """search_page(spp_config, language) -> the text of the officer's search page for "Gurung"."""
    def search(spp_config, language):
        with live_peers(spp_config=spp_config) as (imis, spp):
            app = make_app(portal_config(imis, spp))
            client = app.test_client()
            login_as(client, "social")
            page = client.get("/enrollment/?q=Gurung", headers={"Accept-Language": language})
            assert page.status_code == 200
            return html.unescape(page.get_data(as_text=True))

    return search


@pytest.mark.parametrize("spp_config, language, said", [
    (SIGNATURE_REQUIRED, "en",
     "openSPP answered the search with error err.signature.missing (HTTP 401): Missing signature in envelope"),
    (SIGNATURE_REQUIRED, "fr",
     "openSPP a répondu à la recherche par l'erreur err.signature.missing (HTTP 401) : "
     "Missing signature in envelope"),
    (OPENIMIS_SHAPE, "en",
     f"openSPP's search answer is in a shape the portal does not read: expected {EXPECTED}, found {FOUND}"),
    (OPENIMIS_SHAPE, "fr",
     f"la réponse d'openSPP à la recherche a une forme que le portail ne sait pas lire : attendu {EXPECTED}, "
     f"reçu {FOUND}"),
], ids=["err-ack-en", "err-ack-fr", "unknown-shape-en", "unknown-shape-fr"])
def test_the_officer_reads_what_went_wrong(search_page, spp_config, language, said):
    page = search_page(spp_config, language)
    assert said in page
    assert "individuals found" not in page and "personnes trouvées" not in page
    # a refusal or an unreadable answer is not an outage: the page does not say openSPP is unreachable
    assert "could not be reached" not in page and "Impossible de joindre" not in page
