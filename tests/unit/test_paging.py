"""page_arg: whatever the query string says, a page from 1 to MAX_PAGE."""

import pytest
from werkzeug.datastructures import MultiDict

from portal.paging import MAX_PAGE, page_arg


@pytest.mark.parametrize("sent, page", [
    (None, 1), ("", 1), ("3", 3), (" 7 ", 7), ("0", 1), ("-3", 1), ("two", 1), ("2.5", 1), ("١٢", 1),
    (str(MAX_PAGE), MAX_PAGE), (str(MAX_PAGE + 1), MAX_PAGE), ("99999999999999999999", MAX_PAGE),
])
def test_a_page_number(sent, page):
    source = MultiDict({} if sent is None else {"page": sent})
    assert page_arg(source=source) == page
