"""Reads of the scheduling context: meetings, availability, notifications and the
iCalendar feed, over the views' typed readers (never over aggregates)."""
