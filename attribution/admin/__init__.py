"""Attribution's admin: sources, sales and credit, CSV imports, lift on the campaign page."""

from attribution.admin import exports, imports, lift, sales, sources, thanks  # noqa: F401 - each module registers its pages
