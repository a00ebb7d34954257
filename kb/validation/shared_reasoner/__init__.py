"""One reasoner process per host, shared by ``hairkg serve``'s workers.

HermiT runs in a JVM (~117 MiB per process with HermiT loaded). Instead of one per gunicorn
worker, ``hairkg serve`` runs one reasoner process that keeps HermiT warm, and the workers
send it their runs over a Unix socket in the data dir (``run/reasoner.sock``, mode 0600,
connections authenticated with a key in ``run/reasoner.key``, mode 0600). The protocol is
the standard library's :mod:`multiprocessing.connection` (message framing and the HMAC
challenge); the messages are JSON and the document's bytes, never pickles.

- :mod:`.client`: the workers' side: :func:`.client.classify` has the same signature, time
  limit and errors as :func:`kb.validation.hermit.classify`, plus
  :class:`kb.validation.hermit.ReasonerUnavailable` when the process cannot be reached;
- :mod:`.process`: the reasoner process itself (``python -m
  kb.validation.shared_reasoner.process``): warm at start, one HermiT run at a time;
- :mod:`.supervisor`: starts it (a new interpreter through ``subprocess``, never a fork of
  a process with threads or a JVM), restarts it if it dies, stops it with the server.

``hairkg load`` on a data dir a server runs on sends its runs there too (warm: no JVM to
start), falling back to HermiT in its own process should the server go away;
``hairkg validate`` and a load elsewhere reason in process.
"""
