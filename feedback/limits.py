"""Size limits on every text a user writes, shared by forms, API inputs and services."""

TITLE_MIN = 5
TITLE_MAX = 200
DESCRIPTION_MAX = 20_000  # well under PostgreSQL's 1 MB search-vector limit
COMMENT_MAX = 10_000
PUBLIC_MESSAGE_MAX = 5_000
SAVED_VIEW_NAME_MAX = 80
SEARCH_MAX = 200
