"""Models of the program app."""
