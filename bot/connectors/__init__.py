"""Connectors: each turns a platform's events into neutral messages and renders the replies."""
