"""Publications (三务公开): posts for a village, a town or the county, reviewed before they go out
(先审后发), with sanitised Markdown and a personal-data gate on approval."""
