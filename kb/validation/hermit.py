"""HermiT as text: its command line's output for an N-Triples document, from a warm JVM.

``classify(ntriples)`` returns what ``java org.semanticweb.HermiT.cli.CommandLine -c -O -I
<file> -Y`` prints (owlready2's build of HermiT, whose ``-Y`` adds the inferred property
values): the class and object property hierarchies, inferred property values and the most
specific types of named individuals (``types_of``: of these individuals only; a local check
needs a handful, and HermiT then finds them one by one instead of realising every
individual). The data property hierarchy (``-D``) is not computed: nothing reads it, and it
cost a sixth of a warm run. :mod:`kb.validation.reasoning` reads that text; here are only the two
ways
of producing it:

- **in process** (the default): a JVM started once per process through JPype, HermiT called
  directly. Starting a JVM costs ~0.2 s and HermiT's first run ~0.5 s more; later runs take
  tens of milliseconds instead of a second for a new ``java`` process.
- **a ``java`` subprocess** running the command line, when the in-process JVM cannot be
  used: JPype is not installed, ``HAIRKG_REASONER=subprocess``, or the JVM was started by
  a parent process before a fork (a JVM does not survive ``fork``).

``hairkg serve``'s workers use neither: they send their runs to the host's one reasoner
process (:mod:`kb.validation.shared_reasoner`), which calls :func:`classify` here.

Both stop at a time limit: the in-process run through HermiT's ``interrupt()`` from a timer,
the subprocess by being killed.
"""

from __future__ import annotations

import contextlib
import logging
import os
import subprocess
import tempfile
import threading
from collections.abc import Callable, Iterable
from pathlib import Path

from kb.settings import variable

DEFAULT_TIMEOUT_S = 300.0
log = logging.getLogger(__name__)
_CLI = "org.semanticweb.HermiT.cli.CommandLine"
_CLI_ARGS = ("-c", "-O", "-I")  # then the document IRI, then -Y
_TINY = (
    b"<urn:hairkg:warm#A> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> "
    b"<http://www.w3.org/2002/07/owl#Class> .\n"
    b"<urn:hairkg:warm#a> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> "
    b"<urn:hairkg:warm#A> .\n"
)


class HermitError(RuntimeError):
    """HermiT could not run, could not read the document, or was stopped at the limit."""


class Inconsistent(HermitError):
    """HermiT found the ontology inconsistent."""


class ReasonerUnavailable(HermitError):
    """The host's shared reasoner process (:mod:`kb.validation.shared_reasoner`) could not
    be reached or did not answer in time: nothing was decided about the graph, so a write
    that needs reasoning is refused (503), never accepted unreasoned."""


last_producer = ""
"""Which producer answered the last call in this process: "jvm" or "subprocess"."""

_lock = threading.Lock()  # one in-process run at a time (and one JVM start)
_jvm_pid: int | None = None  # the process that started the JVM
_java = None  # the Java classes, once the JVM runs
_jvm_refused = False  # keep_jvm_out_of_this_process() was called here


def _hermit_dir() -> Path:
    import owlready2

    return Path(owlready2.__file__).parent / "hermit"


def _classpath() -> list[str]:
    here = _hermit_dir()
    return [str(here), str(here / "HermiT.jar")]


IDLE_GC_INTERVAL_MS = 5000
# Only the JVM's quick (C1) compiler: a reasoning run is seconds of work, and the optimising
# compiler (C2) spent more CPU compiling HermiT than it saved. Ten classifications of the
# shipped graph in a new JVM: 11.0 s of CPU instead of 21.7 (the first 2.6 s instead of
# 5.5), 160 instead of 220 MiB RSS once idle (docs/benchmarks.md, "The reasoner's JIT").
JIT_CLIENT_ONLY = "-XX:TieredStopAtLevel=1"


def _java_memory_mb() -> int:
    from owlready2 import reasoning

    return int(reasoning.JAVA_MEMORY)


def keep_jvm_out_of_this_process() -> None:
    """No JVM in this process: ``hairkg serve``'s master (it forks the workers, and a JVM
    does not survive a fork; its release build uses the subprocess) and a worker without a
    shared reasoner process (the subprocess, should it ever reason)."""
    global _jvm_refused
    _jvm_refused = True


def in_process_possible() -> bool:
    """True when this process can run HermiT in its own JVM (see the module docstring)."""
    if _jvm_refused or variable("reasoner").lower() == "subprocess":
        return False
    try:
        import jpype
    except ImportError:
        return False
    if jpype.isJVMStarted():
        return _jvm_pid == os.getpid() and _java is not None
    return _jvm_pid is None  # None: never started here nor in a parent


def classify(
    ntriples: bytes,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    types_of: Iterable[str] | None = None,
) -> str:
    """HermiT's command-line output for ``ntriples``; raises Inconsistent or HermitError.
    ``types_of``: print the types of these individuals (IRIs) only."""
    global last_producer
    wanted = frozenset(types_of) if types_of is not None else None
    if in_process_possible():
        try:
            classes = _start_jvm()
        except HermitError:
            classes = None
        if classes is not None:
            last_producer = "jvm"
            return _classify_in_process(classes, ntriples.decode("utf-8"), timeout_s, wanted)
    last_producer = "subprocess"
    output = _classify_subprocess(ntriples, timeout_s)
    if wanted is None:
        return output
    return "".join(
        line
        for line in output.splitlines(keepends=True)
        if not line.startswith("Type( <") or line[7 : line.find(">")] in wanted
    )


def warm_up(work: Callable[[], object] | None = None) -> threading.Thread | None:
    """Start the JVM and run HermiT (``work``; by default once on a tiny ontology) in a
    daemon thread, so that the first real write does not pay for it. The thread runs at the
    lowest priority: it takes the CPU only when the host has nothing else to do (the workers
    loading their indexes at start). Called by the shared reasoner process
    (:mod:`kb.validation.shared_reasoner.process`). Returns the thread, or None when the
    in-process JVM cannot be used."""
    if not in_process_possible():
        return None

    def run() -> None:
        with contextlib.suppress(OSError, AttributeError):  # Linux: a thread's own priority
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 19)
        try:
            if work is not None:
                work()
            else:
                classify(_TINY, timeout_s=60.0)
        except Exception as error:  # a warm-up failing only means a slower first write
            log.warning("HermiT warm-up failed: %s", error)

    thread = threading.Thread(target=run, name="hermit-warm-up", daemon=True)
    thread.start()
    return thread


# --- in process -------------------------------------------------------------------------


class _Classes:
    """The Java classes used, imported once the JVM runs."""

    def __init__(self) -> None:
        from java.io import PrintWriter, StringWriter  # type: ignore[import-not-found]
        from org.semanticweb.HermiT import (  # type: ignore[import-not-found]
            Configuration,
            Reasoner,
        )
        from org.semanticweb.owlapi.apibinding import (  # type: ignore[import-not-found]
            OWLManager,
        )
        from org.semanticweb.owlapi.io import (  # type: ignore[import-not-found]
            StringDocumentSource,
        )
        from org.semanticweb.owlapi.reasoner import (  # type: ignore[import-not-found]
            InconsistentOntologyException,
            InferenceType,
            ReasonerInterruptedException,
        )

        self.PrintWriter, self.StringWriter = PrintWriter, StringWriter
        self.Configuration, self.Reasoner = Configuration, Reasoner
        self.OWLManager, self.StringDocumentSource = OWLManager, StringDocumentSource
        self.InconsistentOntologyException = InconsistentOntologyException
        self.ReasonerInterruptedException = ReasonerInterruptedException
        # what the command line's -c -O -I -Y precompute (ClassifyAction.run); the class
        # assertions only when every individual's types are printed
        self.inferences = [
            InferenceType.CLASS_HIERARCHY,
            InferenceType.OBJECT_PROPERTY_HIERARCHY,
            InferenceType.OBJECT_PROPERTY_ASSERTIONS,
            InferenceType.DATA_PROPERTY_ASSERTIONS,
        ]
        self.class_assertions = InferenceType.CLASS_ASSERTIONS


def _start_jvm() -> _Classes:
    global _java, _jvm_pid
    if _java is not None:
        return _java
    import jpype
    import jpype.imports  # makes Java packages importable

    with _lock:
        if _java is None:
            try:
                if not jpype.isJVMStarted():
                    jpype.startJVM(
                        f"-Xmx{_java_memory_mb()}M",
                        # -Xrs: the JVM leaves SIGTERM/SIGQUIT/SIGINT to the Python process
                        # (gunicorn's signals; no thread dump printed on stdout)
                        "-Xrs",
                        "-Djava.awt.headless=true",
                        JIT_CLIENT_ONLY,
                        # an idle JVM gives its unused heap back to the system (G1's periodic
                        # collection, JEP 346, and a heap shrunk to 5-20 % free after each
                        # collection): the host's reasoner process after its warm-up and
                        # between writes, 321 -> 147 MiB PSS at 1M (docs/benchmarks.md)
                        f"-XX:G1PeriodicGCInterval={IDLE_GC_INTERVAL_MS}",
                        "-XX:MaxHeapFreeRatio=20",
                        "-XX:MinHeapFreeRatio=5",
                        classpath=_classpath(),
                        convertStrings=False,
                        interrupt=False,
                    )
                    _jvm_pid = os.getpid()
                from java.lang import System  # type: ignore[import-not-found]

                System.setOut(System.err)  # stdout carries the CLI commands' output
                _java = _Classes()
            except Exception as error:  # no JVM library, a broken jar: use the subprocess
                _jvm_pid = _jvm_pid or -1
                raise HermitError(f"cannot start a JVM for HermiT: {error}") from error
    return _java


def _classify_in_process(
    j: _Classes, document: str, timeout_s: float, types_of: frozenset[str] | None
) -> str:
    with _lock:
        manager = j.OWLManager.createOWLOntologyManager()
        try:
            ontology = manager.loadOntologyFromOntologyDocument(j.StringDocumentSource(document))
        except Exception as error:  # OWLOntologyCreationException, a parser's Error
            raise HermitError(f"HermiT could not read the graph: {_message(error)}") from error
        reasoner = None
        limit = None
        try:
            reasoner = j.Reasoner(j.Configuration(), ontology)
            limit = _TimeLimit(reasoner, timeout_s)
            every_type = [j.class_assertions] if types_of is None else []
            reasoner.precomputeInferences([*j.inferences, *every_type])
            out = j.StringWriter()
            writer = j.PrintWriter(out)
            reasoner.dumpHierarchies(writer, True, True, False, True)
            for individual in ontology.getIndividualsInSignature():  # what -I prints
                name = str(individual.toStringID())
                if types_of is not None and name not in types_of:
                    continue
                for node in reasoner.getTypes(individual, True):
                    for cls in node.getEntities():
                        writer.print_(f"Type( <{name}> <{cls.toStringID()}> )\n")
            writer.flush()
            return str(out.toString())
        except j.InconsistentOntologyException as error:
            raise Inconsistent(_message(error)) from error
        except j.ReasonerInterruptedException as error:
            raise HermitError(_limit_message(timeout_s)) from error
        except Exception as error:  # any other Java exception
            raise HermitError(f"HermiT failed: {_message(error)}") from error
        finally:
            if limit is not None:
                limit.stop()
            if reasoner is not None:
                reasoner.dispose()


class _TimeLimit(threading.Thread):
    """Interrupts a reasoner at the deadline, and again every 20 ms until stopped: HermiT
    clears its interrupt flag when each of its tasks (classification, realisation, ...)
    starts, so one interrupt between two tasks would be lost."""

    def __init__(self, reasoner, timeout_s: float) -> None:
        super().__init__(name="hermit-time-limit", daemon=True)
        self._reasoner = reasoner
        self._timeout_s = timeout_s
        self._done = threading.Event()
        self.start()

    def run(self) -> None:
        if self._done.wait(self._timeout_s):
            return
        while True:
            self._reasoner.interrupt()
            if self._done.wait(0.02):
                return

    def stop(self) -> None:
        self._done.set()
        self.join()


def _message(error: Exception) -> str:
    text = str(error.getMessage() if hasattr(error, "getMessage") else error) or repr(error)
    text = text.strip()
    return text if len(text) <= 2000 else text[:2000] + " ..."


def _limit_message(timeout_s: float) -> str:
    return f"HermiT stopped at the time limit of {timeout_s:g} s (HAIRKG_REASONER_TIMEOUT_S)"


# --- subprocess -------------------------------------------------------------------------


def _classify_subprocess(ntriples: bytes, timeout_s: float) -> str:
    import owlready2

    with tempfile.TemporaryDirectory(prefix="hairkg-reason-") as tmp:
        path = Path(tmp) / "input.nt"
        path.write_bytes(ntriples)
        command = [
            owlready2.JAVA_EXE,
            f"-Xmx{_java_memory_mb()}M",
            JIT_CLIENT_ONLY,
            "-cp",
            os.pathsep.join(_classpath()),
            _CLI,
            *_CLI_ARGS,
            path.as_uri(),
            "-Y",
        ]
        try:
            done = subprocess.run(command, capture_output=True, timeout=timeout_s, check=False)
        except subprocess.TimeoutExpired as error:  # run() has killed it
            raise HermitError(_limit_message(timeout_s)) from error
        except OSError as error:  # no java
            raise HermitError(f"cannot start Java for HermiT: {error}") from error
    stdout = done.stdout.decode("utf-8", "replace").replace("\r", "")
    stderr = done.stderr.decode("utf-8", "replace").strip()
    if done.returncode == 1 and "Inconsistent ontology" in stdout + stderr:
        raise Inconsistent("Inconsistent ontology")
    # The command line reports an unreadable document on stderr and still exits 0.
    if done.returncode != 0 or "It all went pear-shaped" in stderr:
        detail = stderr[-2000:] or f"exit code {done.returncode}"
        raise HermitError(f"HermiT failed: {detail}")
    return stdout


def _after_fork_in_child() -> None:
    global _lock, _java, _jvm_refused
    _lock = threading.Lock()  # a thread of the parent may have held it
    _jvm_refused = False
    if _java is not None:
        # The parent's JVM is not usable here; the subprocess producer takes over, and the
        # child must not try to shut that JVM down when it exits.
        _java = None
        with contextlib.suppress(Exception):
            import jpype.config

            jpype.config.onexit = False


os.register_at_fork(after_in_child=_after_fork_in_child)

__all__ = [
    "DEFAULT_TIMEOUT_S",
    "HermitError",
    "Inconsistent",
    "ReasonerUnavailable",
    "classify",
    "in_process_possible",
    "keep_jvm_out_of_this_process",
    "warm_up",
]
