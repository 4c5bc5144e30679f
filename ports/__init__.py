"""Ports: what the write and read sides need from the outside world.

One module per port; import from it by name (this package re-exports nothing). Each
port has an embedded implementation (``adapters/embedded``) used by ``make run`` and
unit tests, and a real one (``adapters/postgres``, ``mongo``, ``redis``, ``kafka``,
``s3``). One contract suite per port (``tests/contract``) runs against both.

The bottom layer: it imports only the standard library.
"""
