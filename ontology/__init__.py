"""The hairkg ontology and SHACL shapes, shipped as package data.

This package holds files, not code: the OWL ontology editors read and diff, and the
shapes every entity is checked against. Import it only to find those files.
"""

from pathlib import Path

ONTOLOGY_DIR = Path(__file__).resolve().parent
ONTOLOGY_FILE = ONTOLOGY_DIR / "hairkg.ttl"
SHAPES_FILE = ONTOLOGY_DIR / "shapes.ttl"
