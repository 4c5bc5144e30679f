"""The scheduling context's write side: its application, messages, handlers and the
process manager turning other contexts' events into scheduling commands."""
