"""The hairkg knowledge base: its data files and the code that loads, validates,
reasons over, stores and queries them. Depends on `ontology`, never on `api`."""
