"""Talking to dimail: the API client and a simulator of the server."""
