"""A private PostgreSQL cluster and free ports for the load tests, which crash-restart the
cluster and stop Redis: never the shared ones (CI's database server keeps running throughout).

The load tests run only when the suite runs on PostgreSQL, as root (``pg_createcluster`` runs
the server as ``postgres``), with Debian's postgresql-common and ``redis-server`` installed;
otherwise they are skipped, saying which is missing. Creating and starting the cluster takes
about 4 s.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from served import free_port
from sqlalchemy import make_url


@dataclass(frozen=True)
class PrivateCluster:
    version: str
    name: str
    port: int

    @property
    def spec(self) -> str:
        return f"{self.version}/{self.name}"

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def restart_immediately(self) -> None:
        subprocess.run(
            [_tool("pg_ctlcluster"), self.version, self.name, "restart", "-m", "immediate"],
            check=True,
        )


def _tool(name: str) -> str:
    path = shutil.which(name)
    assert path is not None, name
    return path


def _missing(database_url: str) -> str | None:
    if make_url(database_url).get_backend_name() != "postgresql":
        return "load tests run on PostgreSQL only (set DOORPLATE_TEST_DATABASE_URL)"
    if os.geteuid() != 0:
        return "load tests create a private PostgreSQL cluster with pg_createcluster: run as root"
    for tool in ("pg_createcluster", "pg_ctlcluster", "pg_dropcluster", "redis-server"):
        if shutil.which(tool) is None:
            return f"load tests need {tool} (postgresql-common, redis-server)"
    return None


@pytest.fixture(scope="session")
def private_cluster(database_url: str) -> Iterator[PrivateCluster]:
    """A throwaway cluster of the server's major version, on a free port, trust auth."""
    if reason := _missing(database_url):
        pytest.skip(reason)
    installed = Path("/usr/lib/postgresql").glob("*/bin/postgres")
    servers = [path.parent.parent.name for path in installed]
    if not servers:
        pytest.skip("load tests need a PostgreSQL server installed under /usr/lib/postgresql")
    major = max(servers, key=int)
    cluster = PrivateCluster(major, f"doorplate_load_{os.getpid()}", free_port())
    subprocess.run(
        [_tool("pg_createcluster"), major, cluster.name, "-p", str(cluster.port),
         "--", "--auth=trust"],
        check=True, capture_output=True,
    )  # fmt: skip
    try:
        subprocess.run([_tool("pg_ctlcluster"), major, cluster.name, "start"], check=True)
        yield cluster
    finally:
        subprocess.run(
            [_tool("pg_dropcluster"), major, cluster.name, "--stop"],
            check=False,
            capture_output=True,
        )
