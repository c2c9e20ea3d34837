"""The custom export: template, rows, writers and atomic snapshots."""
