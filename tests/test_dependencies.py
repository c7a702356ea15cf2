"""One direction of dependency: accounts <- campaigns <- promotions <- attribution (docs/architecture.md).

Read from the source with `ast`, so an import added anywhere — inside a function too — is caught.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LAYERS = ["common", "accounts", "campaigns", "promotions", "attribution"]


def imported_modules(path):
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module


def sources(package):
    return [path for path in (ROOT / package).rglob("*.py") if "migrations" not in path.parts]


@pytest.mark.parametrize("package", LAYERS)
def test_no_app_imports_an_app_to_its_right(package):
    above = LAYERS[LAYERS.index(package) + 1:] + ["config"] * (package != "config")
    wrong = [(str(path.relative_to(ROOT)), module) for path in sources(package)
             for module in imported_modules(path) if module.split(".")[0] in above]
    assert wrong == [], f"{package} imports from a layer above it: {wrong}"


def test_campaign_models_and_links_do_not_import_each_other():
    """Model-free destination rules live in campaigns/destinations.py so models.py needs nothing above it."""
    assert "campaigns.links" not in set(imported_modules(ROOT / "campaigns" / "models.py"))
    assert "campaigns.destinations" in set(imported_modules(ROOT / "campaigns" / "models.py"))
