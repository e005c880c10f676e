"""The form that starts an eSignet login is allowed, by its Content-Security-Policy, to post on to the host of
eSignet's authorize endpoint as discovery names it, which a real deployment may serve apart from the issuer."""

import dataclasses

from portal.clients import esignet


ELSEWHERE = "https://login.example.org"


def form_action(response):
    return response.headers["Content-Security-Policy"].split("form-action", 1)[1].split(";")[0].split()


def test_the_form_may_post_on_to_the_authorize_host_named_by_discovery(officer, esignet_clean, monkeypatch):
    found = esignet.EsignetClient.discovery

    def authorize_elsewhere(self, force=False):
        return dataclasses.replace(found(self, force), authorization_endpoint=ELSEWHERE + "/authorize")

    monkeypatch.setattr(esignet.EsignetClient, "discovery", authorize_elsewhere)
    targets = form_action(officer.get("/registration/new"))
    assert targets[0] == "'self'" and ELSEWHERE in targets and esignet_clean.url in targets
    # A page that starts no login keeps the narrow policy.
    assert ELSEWHERE not in form_action(officer.get("/registration/"))
