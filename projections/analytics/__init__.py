"""The analytics export's rules: which fields leave, rows, pseudonyms."""
