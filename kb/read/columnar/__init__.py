"""Indexes as compact, memory-mapped columns shared by the processes of one host.

A snapshot of a dataset version is a directory of numpy arrays (``.npy``) written once and
opened with ``numpy.load(mmap_mode="r")`` by every worker, so N workers share one copy through
the page cache and a restart maps it instead of unpickling it:

- ``files``: writing such a directory crash-safely (a temporary directory, every file fsynced,
  a manifest written last, renamed into place in one step) and opening only complete ones;
- ``tables``: string tables (one UTF-8 blob plus offsets, looked up through a sorted array of
  64-bit hashes with ``np.searchsorted``);
- ``columns``: the related-content index's columns, written from either storage;
- ``related``: the related-content index in that form (``MappedRelatedIndex``: CSR postings,
  per-article columns) with a small in-memory overlay of the articles changed since, folded
  in at the next snapshot;
- ``graph_columns``: the concept graph's columns (a term table, each subject's statements and
  each node's incoming links in CSR form, labels, inverse properties, article titles);
- ``graph``: the concept graph in that form (``MappedEntityGraph``, a
  ``kb.read.entities.ConceptGraph`` like the in-memory ``EntityGraph``), decoded on demand,
  with an overlay of the article titles changed since.
"""
