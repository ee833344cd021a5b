"""Ledarforum's platform-neutral core."""
