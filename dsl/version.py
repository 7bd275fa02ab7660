"""The installed flowc's version: one definition for every layer (cache keys, manifests, SARIF, `--version`)."""

from __future__ import annotations

from importlib import metadata


def version() -> str:
    try:
        return metadata.version("flowc")
    except metadata.PackageNotFoundError:  # running from a checkout without install
        return "0+unknown"
