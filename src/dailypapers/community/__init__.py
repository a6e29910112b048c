"""Community activity around papers: upvotes and trending scores, comments, submissions, moderation.

``services/`` writes: ``votes`` (upvote, withdraw), ``trending`` (store the scores computed by
``ranking.trending``), ``comments`` (post, reply, edit, delete, hide), ``submissions`` (put a paper
on today's feed) and ``moderation`` (hide papers, suspend accounts, merge duplicates). ``queries``
reads (who voted for what, the trending order, discussions). ``views`` is the vote endpoint,
``comment_views`` and ``submission_views`` the comment and submission pages; ``templatetags``
render the vote box and the discussion; ``markdown`` renders comments safely; ``tasks`` holds the
huey jobs that keep the trending scores current; ``admin`` the moderators' screens.
"""
