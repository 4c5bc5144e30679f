"""The scheduling context's views: meetings (with availability and calendar feeds),
in-app notifications, and the integration events it publishes."""
