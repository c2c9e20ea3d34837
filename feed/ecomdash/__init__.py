"""The ecomdash API: an async client and a sandbox that behaves like the real service."""
