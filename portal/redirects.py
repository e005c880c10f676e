"""Where a `next` parameter may send the browser: a path in the portal, read the way the browser will read it.

A browser cleans a Location value before it resolves it (WHATWG URL standard, "basic URL parser"): it strips
leading and trailing spaces and control characters, removes every tab and newline, and reads `\\` as `/`. So
`/\\t/evil.com` is `//evil.com` (another host) to it, whatever a check on the raw text said. The target is
judged after that same clean-up, and a control character anywhere refuses it (a newline cannot go into a
header anyway).
"""

from urllib.parse import urlsplit


def local_path(target, fallback, prefix="/"):
    """`target` if it is a path under `prefix` on this site once a browser has cleaned it, else `fallback`."""
    if not target or any(ord(c) < 0x20 or ord(c) == 0x7F for c in target):
        return fallback
    seen = target.strip(" ").replace("\\", "/")
    parts = urlsplit(seen)
    if parts.scheme or parts.netloc or seen != target or not seen.startswith(prefix) or seen.startswith("//"):
        return fallback
    return target
