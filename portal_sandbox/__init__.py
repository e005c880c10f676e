"""Faithful emulators of the portal's five peers, for the demo and the tests.

Each peer is a small Flask app with its own `create_app(config=None)`. The portal never
imports this package: it reaches the peers only through the URLs in its configuration.
"""
