"""Models of this part arrive with its issue (see docs/architecture.md)."""
