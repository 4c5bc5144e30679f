"""The careers context's write side: its application, messages and handlers."""
