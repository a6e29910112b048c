"""Email digests: subscriptions (double opt-in), personal picks, and an outbox that sends each
reader one digest per period, exactly once. See docs/digests.md."""
