"""npm configuration and registry access: config, HTTP client, cache, offline directory.

The only package that touches the network (through `RegistryClient`).
"""

from __future__ import annotations

from auditor.registry.cache import ResponseCache, default_cache_dir
from auditor.registry.client import (
    DEFAULT_CONCURRENCY,
    FetchError,
    HttpResponse,
    NetworkSettings,
    RegistryClient,
)
from auditor.registry.config import NpmConfig, Secret, resolve_npm_config
from auditor.registry.offline import OfflineDirectory
from auditor.registry.packument import PackumentError, parse_packument
from auditor.registry.sources import Fetched, OfflineSource, RegistrySource, Source

__all__ = [
    "DEFAULT_CONCURRENCY",
    "FetchError",
    "Fetched",
    "HttpResponse",
    "NetworkSettings",
    "NpmConfig",
    "OfflineDirectory",
    "OfflineSource",
    "PackumentError",
    "RegistryClient",
    "RegistrySource",
    "ResponseCache",
    "Secret",
    "Source",
    "default_cache_dir",
    "parse_packument",
    "resolve_npm_config",
]
