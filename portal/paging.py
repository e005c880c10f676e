"""Page numbers from the query string: whatever a browser sends gives a page, never an error.

Absent, not a whole number, zero or negative: the first page. Larger than `MAX_PAGE`: `MAX_PAGE`, which is far past
the end of any list staff page through (an empty page), and keeps the database's OFFSET within its integer."""

from flask import request

MAX_PAGE = 100_000


def page_arg(name="page", source=None):
    """The page number `name` of `source` (the request's query string by default), 1 to MAX_PAGE."""
    value = (request.args if source is None else source).get(name, "")
    text = value.strip() if isinstance(value, str) else ""
    if not (text.isascii() and text.isdigit()):
        return 1
    if len(text) > 9:  # ten or more digits: past MAX_PAGE whatever they say, and no huge int is built
        return MAX_PAGE
    return min(max(1, int(text)), MAX_PAGE)
