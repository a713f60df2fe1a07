"""Repository-only test setup: pytester. The plugin never needs this file."""

from __future__ import annotations

# pytester's in-process runs restore sys.modules afterwards, dropping modules first imported
# inside them; drivers imported again later then mix old and new classes (requests fails with
# "You can only merge into CookieJar"). Importing the drivers up front keeps one copy of each.
import http.cookiejar  # noqa: F401

import kubernetes.client  # noqa: F401
import nats  # noqa: F401
import psycopg  # noqa: F401
import redis  # noqa: F401
import requests  # noqa: F401
import urllib3  # noqa: F401

import pytest_readiness.connectors.http  # noqa: F401

pytest_plugins = ["pytester"]
