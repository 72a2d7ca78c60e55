"""Statistics: the county's figures counted from the raw records, and the annual report."""
