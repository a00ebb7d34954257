"""A private Virtuoso Open Source 7 for the tests (no tests here).

``virtuoso-t -f -c <own virtuoso.ini>`` on its own database directory, its SQL and HTTP ports
picked free on loopback; once it answers, ``isql-vt`` grants the ``SPARQL_UPDATE`` role to a
dedicated user (``hairkg``), who writes through ``/sparql-auth`` with HTTP Digest, as a
production Virtuoso is set up. The anonymous ``/sparql`` endpoint stays read-only.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from helpers import fetch, wait_until

from kb.store.managed import free_port

UPDATE_USER = "hairkg"
UPDATE_PASSWORD = "virtuoso-test-secret"
DBA_PASSWORD = "dba"

INI = """\
[Database]
DatabaseFile = {db}/virtuoso.db
ErrorLogFile = {db}/virtuoso.log
LockFile = {db}/virtuoso.lck
TransactionFile = {db}/virtuoso.trx
xa_persistent_file = {db}/virtuoso.pxa
ErrorLogLevel = 7
FileExtend = 200
MaxCheckpointRemap = 2000
Striping = 0
TempStorage = TempDatabase

[TempDatabase]
DatabaseFile = {db}/virtuoso-temp.db
TransactionFile = {db}/virtuoso-temp.trx
MaxCheckpointRemap = 2000
Striping = 0

[Parameters]
ServerPort = 127.0.0.1:{sql_port}
DisableUnixSocket = 1
DisableTcpSocket = 0
MaxClientConnections = 10
CheckpointInterval = 60
CaseMode = 2
DirsAllowed = ., {db}
NumberOfBuffers = {buffers}
MaxDirtyBuffers = {dirty_buffers}
ThreadsPerQuery = 2
AsyncQueueMaxThreads = 4
MaxQueryMem = 500M

[HTTPServer]
ServerPort = 127.0.0.1:{http_port}
ServerRoot = {db}
MaxClientConnections = 10
ServerThreads = 10
MaxKeepAlives = 10
KeepAliveTimeout = 10
EnabledDavVSP = 0
Charset = UTF-8
EnabledGzipContent = 0

[SPARQL]
ResultSetMaxRows = {max_rows}
MaxQueryCostEstimationTime = 400
MaxQueryExecutionTime = {max_execution_s}
MaxSortedTopRows = 100000
"""


class Virtuoso:
    """One ``virtuoso-t`` process; ``url`` is its HTTP base (``/sparql``, ``/sparql-auth``).
    The defaults are Debian's (80 MB of buffers) and its limits; ``scripts/bench.py`` asks
    for more buffers and rows at a million triples, as Virtuoso's tuning notes advise."""

    def __init__(
        self,
        directory: Path,
        *,
        buffers: int = 10000,
        max_rows: int = 1000000,
        max_execution_s: int = 60,
    ):
        self.directory = directory
        self.settings = {
            "buffers": buffers,
            "dirty_buffers": buffers * 3 // 5,
            "max_rows": max_rows,
            "max_execution_s": max_execution_s,
        }
        self.sql_port = free_port()
        self.http_port = free_port()
        self.url = f"http://127.0.0.1:{self.http_port}"
        self.process: subprocess.Popen | None = None

    def start(self, ready_timeout_s: float = 120) -> None:
        binary = shutil.which("virtuoso-t")
        if not binary:
            raise RuntimeError("virtuoso-t is missing: run scripts/setup (virtuoso-opensource)")
        self.directory.mkdir(parents=True, exist_ok=True)
        ini = self.directory / "virtuoso.ini"
        ini.write_text(
            INI.format(
                db=self.directory,
                sql_port=self.sql_port,
                http_port=self.http_port,
                **self.settings,
            )
        )
        self.process = subprocess.Popen(
            [binary, "-f", "-c", str(ini)],
            cwd=self.directory,
            stdout=(self.directory / "stdout.log").open("ab"),
            stderr=subprocess.STDOUT,
        )
        wait_until(self._answers, ready_timeout_s, 0.3, f"virtuoso did not start: {self.log()}")
        self.isql(
            f"USER_CREATE('{UPDATE_USER}', '{UPDATE_PASSWORD}');",
            f'GRANT SPARQL_UPDATE TO "{UPDATE_USER}";',
        )

    def _answers(self) -> bool:
        if self.process and self.process.poll() is not None:
            raise RuntimeError(f"virtuoso-t exited with {self.process.returncode}: {self.log()}")
        try:
            status, _, _ = fetch(self.url + "/sparql?query=ASK%7B%7D", timeout=2)
        except OSError:
            return False
        return status == 200

    def bulk_load(self, nquads: Path, timeout_s: float = 3600) -> None:
        """Loads an N-Quads file with Virtuoso's bulk loader (``ld_dir``, ``rdf_loader_run``),
        then a checkpoint; the file is linked into the database directory (DirsAllowed)."""
        target = self.directory / "load" / nquads.name
        target.parent.mkdir(exist_ok=True)
        target.unlink(missing_ok=True)
        target.symlink_to(nquads.resolve())
        self.isql(
            f"ld_dir('{target.parent}', '{nquads.name}', 'urn:x-hairkg:unused-default-graph');",
            "rdf_loader_run();",
            "checkpoint;",
            timeout_s=timeout_s,
        )
        errors = self.isql(
            "SELECT ll_file, ll_error FROM DB.DBA.LOAD_LIST WHERE ll_error IS NOT NULL;"
        )
        if nquads.name in errors:
            raise RuntimeError(f"virtuoso's bulk load failed: {errors}")

    def isql(self, *statements: str, timeout_s: float = 60) -> str:
        run = subprocess.run(
            ["isql-vt", f"127.0.0.1:{self.sql_port}", "dba", DBA_PASSWORD],
            input="\n".join(statements) + "\nEXIT;\n",
            capture_output=True,
            text=True,
            timeout=timeout_s,
            check=False,
        )
        if run.returncode != 0 or "*** Error" in run.stdout + run.stderr:
            raise RuntimeError(f"isql-vt failed: {run.stdout}\n{run.stderr}")
        return run.stdout

    def log(self) -> str:
        path = self.directory / "virtuoso.log"
        return path.read_text(errors="replace")[-3000:] if path.exists() else ""

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
