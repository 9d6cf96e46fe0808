"""A count of attempts per key in a window, kept in the cache (CACHE_URL): for asking for a
password reset, where a failure to count must never let the request through unchecked twice."""

from __future__ import annotations

import hashlib

from django.core.cache import cache


def allow(kind: str, key: str, *, limit: int, window_seconds: int) -> bool:
    """Count one attempt; False once `limit` attempts have been made in the window. The key is
    hashed, so no email address is kept in the cache."""
    name = f"throttle:{kind}:{hashlib.sha256(key.encode()).hexdigest()}"
    cache.add(name, 0, timeout=window_seconds)
    try:
        count = cache.incr(name)
    except ValueError:  # expired between add and incr: this is the first of a new window
        cache.add(name, 1, timeout=window_seconds)
        count = 1
    return count <= limit
