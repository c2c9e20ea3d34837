"""The merchant's catalog: field parsing, identifier checks and all-or-nothing bulk import."""
