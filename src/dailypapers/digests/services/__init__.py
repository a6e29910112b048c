"""Writes of the digests feature: ``subscriptions`` (opt-in, preferences, unsubscribe, "not
interested"), ``compose`` (what each reader gets, recorded in the outbox) and ``delivery``
(sending the outbox over SMTP)."""
