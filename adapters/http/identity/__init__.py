"""The identity context's HTTP face: sign-in, own record, admin's users, keys."""
