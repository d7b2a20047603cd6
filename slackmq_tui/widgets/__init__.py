"""Widgets of the console; each module holds one widget (or a small family) and its messages."""
