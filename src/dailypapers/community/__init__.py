"""Community activity: upvotes (one per user per paper) and the stored trending scores.

``services`` writes (casting and withdrawing votes, recomputing scores), ``queries`` reads,
``tasks`` holds the huey jobs that keep the trending scores current, ``views`` the vote endpoint.
"""
