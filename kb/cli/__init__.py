"""The knowledge-base commands of ``hairkg`` (validate, build, query, export, load, template,
diff, suggest, history, revert) and what they share: the error guard and opening a store.
``api.cli`` adds ``serve``."""
