"""English and French: from the browser's language, or chosen on any page."""


def test_the_browser_language_picks_french(client):
    page = client.get("/login", headers={"Accept-Language": "fr-FR,fr;q=0.9"}).data.decode()
    assert "Connexion" in page and 'lang="fr"' in page


def test_the_language_switch_is_remembered(client):
    response = client.post("/language", data={"language": "fr", "next": "/login"})
    assert response.status_code == 303 and response.headers["Location"] == "/login"
    assert "utilisateur" in client.get("/login").data.decode()
    client.post("/language", data={"language": "en", "next": "/login"})
    assert "Username" in client.get("/login").data.decode()


def test_an_unknown_language_is_refused(client):
    assert client.post("/language", data={"language": "xx"}).status_code == 400


def test_error_pages_are_translated_too(client):
    page = client.get("/no-such-page", headers={"Accept-Language": "fr"}).data.decode()
    assert "Introuvable" in page
