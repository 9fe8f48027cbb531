"""Following news sources and watching searches.

``table`` keeps the followed sources and the watched searches beside the
index (SQLite, which ``archive rebuild`` leaves in place), ``fetch`` gets a
URL politely (conditional requests, timeouts, retries that honour
Retry-After), within bounds: ``watchdog`` gives each request a wall-clock
deadline, ``body`` inflates answers a piece at a time up to a size, and
``addresses`` keeps to web addresses and off private networks. ``feeds``
reads what was fetched through the source readers, ``discover`` finds what
``archive follow`` takes from an address, ``pages`` gets entries' full text,
``opml`` speaks the feed readers' list format, and ``update`` fetches every
source and indexes what is new in one commit.
"""
