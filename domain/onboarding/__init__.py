"""The onboarding context: NPOs, their offerings, communities and their leaders.

An NPO user registers an organisation (``Npo``) and publishes offerings
(``Offering``); the first offering recorded through the offering flow completes the
NPO's registration, places it in the communities whose tags meet its own
(``CommunityDirectory``, ``Community``) and gives it a community leader in turn
(``round_robin`` over the community's ``LeaderRoster`` and each ``Leader``'s cap).
The leader verifies it, an admin approves it (its offerings become visible) or
deletes it. Admins set the categories (``Catalogue``) and default caps
(``OnboardingPolicy``). Value objects are in ``values`` and ``offering_content``.
"""
