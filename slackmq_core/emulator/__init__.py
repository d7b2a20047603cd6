"""A local, wire-faithful Slack Web API + Socket Mode server.

Imports nothing from the rest of slackmq_core. See docs/ARCHITECTURE.md for the file layout.
"""
