"""Reading the knowledge base fast: in-memory indexes built from the store (entity
descriptions and typed views, search, related content), snapshots of them, and following the
store's version."""
