"""Public giveaway pages, one module per page family."""
