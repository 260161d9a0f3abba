"""Slash-command cogs: each command parses its options, calls the service, and shows the reply."""
