"""A page number from the query string is any whole number the officer's browser may send: absent, text, zero,
negative or 99999999999999999999 gives a page (the first, or an empty one past the end), never a 500 (issue
"Hardening": OverflowError in the database's OFFSET on every paged list)."""

import pytest

PAGED = ["/jobs/?status=dead&page={}", "/audit/?page={}", "/registration/?page={}", "/enrollment/selection?page={}",
         "/enrollment/batches?page={}", "/packets/?page={}", "/packets/panels/list?page={}",
         "/packets/panels/failures?fpage={}", "/packets/panels/unmatched?upage={}"]


@pytest.mark.parametrize("url", PAGED)
@pytest.mark.parametrize("value", ["99999999999999999999", "-3", "0", "two", ""])
def test_any_page_number_gives_a_page(make_app, login_as, url, value):
    client = make_app().test_client()
    login_as(client, "admin")
    response = client.get(url.format(value))
    assert response.status_code == 200, (url.format(value), response.status_code)
