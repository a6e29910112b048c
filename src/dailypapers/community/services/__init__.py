"""Writes of the community app: ``votes`` (upvote, withdraw) and ``trending`` (store the scores)."""
