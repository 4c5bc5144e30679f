"""The identity context's read side: users view, user cache, integration events."""
