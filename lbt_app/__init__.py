"""LBT permits: the Reflex app, its services and the `lbt` command."""

from functools import cache
from importlib import metadata


@cache
def app_version() -> str:
    """This installation's version (pyproject.toml), as /api/health and backups name it."""
    try:
        return metadata.version("lbt-app")
    except metadata.PackageNotFoundError:
        return "unknown"
