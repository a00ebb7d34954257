"""Every change to the store: the write gate (compute, validate, commit as one transaction),
the editor's JSON documents and the triples they mean, and the change history kept in the
store."""
