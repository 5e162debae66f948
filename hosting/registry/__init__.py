"""The image registry: token auth issued by the web app, the registry client, the upload guide.

The registry itself is the Distribution registry (Debian's `docker-registry`); see
docs/registry-notes.md for the protocol details this package relies on.
"""
