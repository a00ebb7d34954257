"""Tag suggestions: which concepts of the knowledge base a new article names, the role each
plays (about or mentions), and the evaluation of the suggester on a labelled corpus."""
