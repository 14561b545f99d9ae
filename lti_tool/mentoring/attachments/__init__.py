"""Files attached to posts in a match's threads."""
