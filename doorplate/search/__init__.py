"""Search by words: posts indexed as jieba-segmented terms, queries expanded through the county's
synonym list and ranked (see :mod:`doorplate.search.service`)."""
