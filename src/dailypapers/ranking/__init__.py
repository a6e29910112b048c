"""Ranking: pure functions that order papers (trending). No database, no Django models."""
