"""The entity description model: what the JSON card and the Linked Data page both show.

Values are ``Ref`` (an IRI or a blank node, labelled) or ``Text`` (a literal). Lists are in the
order every face shows them; a face may leave a section out (the card has no picture, the page
no article counts) but never orders or labels it its own way.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from kb.read.entities import local_name


@dataclass(frozen=True)
class Ref:
    """An IRI or a blank node (``iri`` starting with ``_:``) as people read it."""

    iri: str
    label: str
    id: str | None = None  # the JSON API's id (kb name or hk:Name), None when not served
    type: str | None = None  # local name of its most specific hk: class (Article for articles)
    external: bool = False  # outside https://w3id.org/hairkg/

    @property
    def blank(self) -> bool:
        return self.iri.startswith("_:")


@dataclass(frozen=True)
class Text:
    """A literal."""

    value: str
    language: str = ""
    datatype: str | None = None  # full IRI; None for plain and language-tagged strings
    url: str | None = None  # where it leads: an http(s) value, or a CURIE's resolver URL


Value = Ref | Text


@dataclass
class Statement:
    """``property value`` said of the described node (or of a claim or correction)."""

    property: Ref
    value: Value
    inferred: bool = False  # stated by the reasoner only (known when the source knows graphs)
    details: list[tuple[Ref, Value]] = field(default_factory=list)  # a blank node's statements


@dataclass
class TypeOf:
    cls: Ref
    inferred: bool = False  # not asserted: inferred by the reasoner or an ancestor class


@dataclass
class Synonym:
    text: str
    language: str
    scopes: list[str]  # exact, related, narrow, broad, hidden (in that order)


@dataclass
class Xref:
    """One external resource the entity is mapped to, however many statements name it."""

    text: str  # as people know it: MONDO:0005339, DOI:10..., or the IRI
    url: str | None
    names: list[tuple[str, str]]  # (the literal or IRI stated, its property as a CURIE)
    kinds: list[str]  # the mappings in words: database cross-reference, exact match, ...


@dataclass
class Relation:
    """A link between the entity and another node, in one direction."""

    property: Ref
    direction: str  # "outgoing" (entity -> other) or "incoming" (other -> entity)
    other: Ref
    inferred: bool = False
    details: list[tuple[Ref, Value]] = field(default_factory=list)  # for a blank-node other


@dataclass
class Correction:
    ref: Ref
    definition: str | None
    statements: list[Statement]  # every property but its type, labels and definitions


@dataclass
class Claim:
    """A reified statement (hk:Claim) about the entity, with its sources and the verdict."""

    ref: Ref
    role: str | None  # "subject" or "object": where the entity appears in it
    subject: Value | None
    predicate: Value | None
    object: Value | None
    status: Ref | None  # hk:claimStatus: established, disputed, corrected ...
    statements: list[Statement]  # everything else, by property IRI then value
    corrections: list[Correction]

    def values(self, property_iri: str) -> list[Value]:
        return [s.value for s in self.statements if s.property.iri == property_iri]

    def others(self, *leave_out: str) -> list[Statement]:
        return [s for s in self.statements if s.property.iri not in leave_out]

    @property
    def status_name(self) -> str | None:
        return local_name(self.status.iri) if self.status and not self.status.blank else None


@dataclass
class EntityDescription:
    ref: Ref
    types: list[TypeOf]  # named classes with their ancestors, most specific first
    definitions: list[Text]  # IAO:0000115 then skos:definition; English first
    comments: list[Text]  # rdfs:comment
    synonyms: list[Synonym]  # by text
    xrefs: list[Xref]  # by text
    attributes: list[Statement]  # literal values outside the sections above, by property label
    relations: list[Relation]  # outgoing first, then by property label and the other's label
    tagged_by: list[Relation]  # articles about it or mentioning it (hk:about / hk:mentions)
    claims: list[Claim]  # whose rdf:subject or rdf:object it is, by IRI
    corrections: list[Correction]  # of it or of its claims, by IRI
    deprecated: bool = False
    successor: Ref | None = None  # dcterms:isReplacedBy / obo:IAO_0100001
    deprecation_reason: Text | None = None

    @property
    def iri(self) -> str:
        return self.ref.iri

    @property
    def label(self) -> str:
        return self.ref.label

    @property
    def type_name(self) -> str | None:
        """The local name of its most specific hk: class, else of its first class."""
        if self.ref.type:
            return self.ref.type
        return local_name(self.types[0].cls.iri) if self.types else None

    @property
    def definition(self) -> str | None:
        """The one definition a short answer shows (a comment when it has none)."""
        chosen = self.definitions or self.comments
        return chosen[0].value if chosen else None
