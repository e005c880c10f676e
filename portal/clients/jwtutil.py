"""Reading a peer's token without verifying it: only to know when to ask for a new one."""

import base64
import json


def jwt_expiry(token):
    """The `exp` claim of a JWT, unverified, or None when the token is not a readable JWT."""
    try:
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        return float(claims["exp"])
    except (AttributeError, IndexError, KeyError, TypeError, ValueError):
        return None
