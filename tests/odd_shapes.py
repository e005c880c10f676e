"""Odd shapes for the tests that replace each node of a JSON document in turn by a value of another type (the OpenCRVS
FHIR bundles and interop payloads): the replacement values, every node's path, and a path as refusals name it."""

ODD = {"list": ["x"], "object": {"a": "b"}, "boolean": True, "number": 7, "null": None, "text": "x"}


def nodes(value, path=()):
    """Every node's path, the root first."""
    yield path
    children = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, child in list(children):
        yield from nodes(child, (*path, key))


def rendered(path):
    """("entry", 0, "resource") -> "entry[0].resource", as refusals name a path."""
    text = ""
    for key in path:
        text += f"[{key}]" if isinstance(key, int) else f".{key}" if text else key
    return text
