"""RSS 2.0 and Atom feeds (django.contrib.syndication) of the daily, weekly and monthly lists,
trending, an organization and an author. Every text is made XML-safe in ``feeds.text``."""
