"""Public views of campaigns: `links` (the click redirect) and `landing` (campaign pages)."""
