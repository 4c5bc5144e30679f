"""The identity context: users, their roles and the identities they sign in with.

A ``User`` (``user.py``) holds the profile (personal data, encrypted at rest: see
``domain.personal_data``), the roles, the linked sign-in identities and the disabled
and erased flags. Two tiny claim aggregates make uniqueness work on an event store
without reading views: an ``IdentityLink`` (``identity_link.py``, its id derived from
issuer and subject) and an ``EmailClaim`` (``email_claim.py``, its id derived from the
normalised email) each name the user holding them (``claim.py``); creating one twice
fails on the store's version check, so two concurrent first sign-ins cannot make two
users. Value objects are in ``values.py``, refusals in ``errors.py``.
"""
