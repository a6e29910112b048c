"""Writes of the community app: ``votes``, ``trending``, ``comments``, ``submissions``, ``moderation``."""
