"""A call run on a thread while its caller goes on, its value or error handed back in the caller's thread.

Scoring opens some members in the background (the evidence word list beside the model load, the full path's
session while a bulk worker scores its first chunk): the work is numpy, zlib or onnxruntime, which release the GIL
for much of it. The caller meets an error where it would have met it doing the work itself, when it asks for the
result; nothing is lost on the thread.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from types import TracebackType
from typing import Generic, TypeVar

T = TypeVar("T")


class Background(Generic[T]):
    """``call()`` on a daemon thread named ``name``, started at once."""

    def __init__(self, call: Callable[[], T], name: str) -> None:
        self._call: Callable[[], T] | None = call
        self._value: T | None = None
        self._error: BaseException | None = None
        self._traceback: TracebackType | None = None
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            self._value = self._call()  # type: ignore[misc]
        except BaseException as exc:  # noqa: BLE001 - raised by result(), in the caller's thread
            self._error, self._traceback = exc, exc.__traceback__
        self._call = None  # what the call held (a stored word list, say) goes with it

    @property
    def done(self) -> bool:
        return not self._thread.is_alive()

    def wait(self) -> None:
        """Until the call has ended (its error, if any, is kept for ``result``)."""
        self._thread.join()

    def result(self) -> T:
        """The call's value, once it has ended; its exception, raised here, if it raised one.

        Raised from the call's own traceback each time: a caller may ask again after a failure (``Scorer._once``
        caches none), and re-raising one object would grow its traceback by every caller's frames."""
        self.wait()
        if self._error is not None:
            raise self._error.with_traceback(self._traceback)
        return self._value  # type: ignore[return-value]
