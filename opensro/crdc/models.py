"""Models of the crdc app."""
