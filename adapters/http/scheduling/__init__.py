"""The scheduling context's HTTP face: availability, meetings, calendar feeds and
in-app notifications of the signed-in user."""
