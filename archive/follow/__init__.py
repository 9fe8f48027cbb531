"""Following news sources and watching searches.

``table`` keeps the followed sources and the watched searches beside the
index (SQLite, which ``archive rebuild`` leaves in place), ``fetch`` gets a
URL politely (conditional requests, timeouts, retries that honour
Retry-After, bounded sizes), ``discover`` finds a site's feeds, ``opml``
speaks the feed readers' list format, and ``update`` fetches every source
and indexes what is new in one commit.
"""
