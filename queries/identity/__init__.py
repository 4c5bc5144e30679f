"""Reads of the identity context: users, over the identity views' typed readers."""
