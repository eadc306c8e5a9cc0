"""The model this replica serves, and its hot reload (pub/sub message or pointer change).

Requests read `store.model` once; a reload builds a complete new `SegmentModel` and
swaps the reference in one assignment, so no request sees a half-loaded model.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import OrderedDict
from pathlib import Path

from redis.asyncio import Redis
from redis.asyncio.client import PubSub
from segshared.contracts.events import MODEL_PUBLISHED_CHANNEL
from segshared.errors import ServiceUnavailable

from ml_service.engine.predictor import SegmentModel
from ml_service.serving import registry

logger = logging.getLogger("ml_service.serving.model_store")

KEEP_OTHER_VERSIONS = 4
NOT_TRAINED = "Model not trained. Please train the model first"


class ModelStore:
    """Holds the served model; `watch()` keeps it in step with the `current` pointer."""

    def __init__(self, root: Path, poll_seconds: float) -> None:
        self.root = root
        self.poll_seconds = poll_seconds
        self.model: SegmentModel | None = None
        self._refused: str | None = None
        self._lock = asyncio.Lock()
        self._others: OrderedDict[str, SegmentModel] = OrderedDict()  # recently read versions

    def require(self) -> SegmentModel:
        """The served model, or 503 when there is none yet."""
        model = self.model
        if model is None:
            raise ServiceUnavailable(NOT_TRAINED)
        return model

    async def version(self, version: str) -> SegmentModel:
        """Any stored version: the served one, else loaded (and verified) from disk.

        The last few read are kept, so an analyst browsing one model's explanation,
        projection and drift loads it once. Raises `registry.ArtifactError`.
        """
        model = self.model
        if model is not None and model.version == version:
            return model
        cached = self._others.get(version)
        if cached is None:
            cached = await asyncio.to_thread(registry.load_version, self.root, version)
            self._others[version] = cached
            while len(self._others) > KEEP_OTHER_VERSIONS:
                self._others.popitem(last=False)
        self._others.move_to_end(version)
        return cached

    async def sync(self) -> bool:
        """Load the pointed-to version if it differs from the served one; True on a swap."""
        async with self._lock:
            version = await asyncio.to_thread(registry.read_pointer, self.root)
            current = self.model.version if self.model else None
            if version is None or version == current or version == self._refused:
                return False
            try:
                model = await asyncio.to_thread(registry.load_version, self.root, version)
            except registry.ArtifactError as exc:
                self._refused = version
                logger.error("refusing model %s, keeping %s: %s", version, current, exc)
                return False
            self.model = model
            self._refused = None
            logger.info("serving model %s", version)
            return True

    async def watch(self, redis: Redis) -> None:
        """Reload on `model.published` or when the pointer changes, whichever comes first."""
        pubsub: PubSub | None = None
        try:
            pubsub = redis.pubsub(ignore_subscribe_messages=True)
            await pubsub.subscribe(MODEL_PUBLISHED_CHANNEL)
        except Exception:
            logger.warning("model.published subscription failed; polling only")
            pubsub = None
        try:
            while True:
                try:
                    if pubsub is not None:
                        await pubsub.get_message(timeout=self.poll_seconds)
                    else:
                        await asyncio.sleep(self.poll_seconds)
                except asyncio.CancelledError:
                    raise
                except Exception:
                    logger.warning("model.published wait failed; polling the pointer")
                    await asyncio.sleep(self.poll_seconds)
                try:
                    await self.sync()
                except asyncio.CancelledError:
                    raise
                except Exception:
                    logger.exception("model reload failed")
        finally:
            if pubsub is not None:
                with contextlib.suppress(Exception):
                    await pubsub.aclose()
