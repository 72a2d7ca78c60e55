"""Visits to plate pages: the exact, anonymous count behind the county's 访问人次 figure."""
