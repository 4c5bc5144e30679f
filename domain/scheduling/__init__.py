"""The scheduling context: availability, meetings, series, calendar feeds, notices.

Users say when they are free each week (``availability``); introductions are booked
in the first slot every party shares 1-2 weeks after what triggered them
(``meeting``, planned by ``slots``); community and mentoring meetings recur as RFC
5545 rules kept in the series' own time zone (``meeting_series``, ``recurrence``).
Users subscribe to their meetings with a secret feed URL (``calendar_feed``), read
their in-app notices (``read_receipt``) and are forgotten when erased
(``erasure``); what the notification subsystem must send leaves as a ``dispatch``.
Time zones and wall-clock arithmetic are in ``clock``, value objects in ``values``.
"""
