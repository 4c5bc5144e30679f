"""The identity context's routers, listed once in ``adapters.http.app``.

The development issuer's router (``dev_issuer.dev_issuer_router``) is not among
them: the app adds it only where that issuer runs, never in production.
"""

from __future__ import annotations

from fastapi import APIRouter

from adapters.http.identity import keys, me, sign_in, users

ROUTERS: tuple[APIRouter, ...] = (sign_in.router, me.router, users.router, keys.router)
