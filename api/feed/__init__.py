"""The change feed over HTTP: ``/api/v1/changes`` as JSON pages and as Server-Sent Events, and
``/api/v1/changes/{n}`` as JSON or RDF Patch (``views``); the event streams, their per-process
cap, heartbeats, life limit and shutdown (``stream``). What the events say is ``kb.feed``'s."""
