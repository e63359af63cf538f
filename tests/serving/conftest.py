"""Fixtures for the platform integrations: one SparkSession for the whole test session (JVM start-up is slow)."""

from __future__ import annotations

import os
import shutil

import pytest


@pytest.fixture(scope="session")
def spark():
    """A local[2] SparkSession. Skipped only when there is no ``java`` AND we are not under CI (CI must run it)."""
    if shutil.which("java") is None and not os.environ.get("CI"):
        pytest.skip("no `java` on PATH: the Spark tests need a Java 17+ runtime (CI installs one in .ci/run)")
    if not os.environ.get("CI"):  # under CI a missing pyspark is an error (the import below), never a skip
        pytest.importorskip("pyspark", reason="the spark extra is not installed (pip install -e '.[test]')")
    from mlmrisk.serving.spark import get_session

    session = get_session("local[2]", app_name="mlmrisk-tests")
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()
