"""The county registry: towns (乡镇/街道), villages (村/社区) and households, and their import."""
