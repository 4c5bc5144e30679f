"""The identity context's write side: its application, messages, handlers, ports."""
