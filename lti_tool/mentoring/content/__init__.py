"""Training content: modules of text, links, embedded videos and files, with progress tracking."""
