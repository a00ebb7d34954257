"""The entity page: an ``EntityDescription`` (``kb.read.description``) drawn as HTML — links to
where each term is browsable, the neighbourhood picture, the template's context."""

from __future__ import annotations

from api.render.graph_picture import Neighbour, neighbourhood_svg
from api.render.terms import is_local, local_href
from kb.rdf import HK
from kb.read.description.model import Claim, Correction, EntityDescription, Ref, Statement
from kb.read.description.terms import obo_compact

# Shown in their own rows of a claim, not again among its other statements.
CLAIM_ROWS = (str(HK.statedIn), str(HK.supportedBy), str(HK.claimStatus), str(HK.correctedBy))


def href(iri_or_url: str) -> str | None:
    """Where a term or a URL-valued literal leads: its page here, or the URL itself."""
    return local_href(iri_or_url) or (
        iri_or_url if iri_or_url.startswith(("http://", "https://")) else None
    )


def claim_statements(claim: Claim) -> list[Statement]:
    """A claim's statements beyond its status, sources and corrections."""
    fixes = {c.ref.iri for c in claim.corrections}
    return [
        s
        for s in claim.others(*CLAIM_ROWS)
        if not (isinstance(s.value, Ref) and s.value.iri in fixes)
    ]


def correction_statements(correction: Correction) -> list[Statement]:
    return [s for s in correction.statements if s.property.iri != str(HK.corrects)]


def entity_page(description: EntityDescription) -> dict:
    """The template's context for ``entity.html``."""
    on_claims = {c.ref.iri for claim in description.claims for c in claim.corrections}
    return {
        "entity": description,
        "picture": neighbourhood_svg(description.label, _neighbours(description)),
        "own_corrections": [c for c in description.corrections if c.ref.iri not in on_claims],
        "outgoing": [r for r in description.relations if r.direction == "outgoing"],
        "incoming": [r for r in description.relations if r.direction == "incoming"]
        + description.tagged_by,
        "href": href,
        "curie": obo_compact,
        "claim_statements": claim_statements,
        "claim_rows": {"stated_in": str(HK.statedIn), "supported_by": str(HK.supportedBy)},
        "correction_statements": correction_statements,
    }


def _neighbours(description: EntityDescription) -> list[Neighbour]:
    found: dict[str, Neighbour] = {}
    for relation in [*description.relations, *description.tagged_by]:
        other = relation.other
        if other.blank:
            continue
        neighbour = found.setdefault(
            other.iri, Neighbour(other.iri, other.label, href(other.iri), other.type)
        )
        side = neighbour.outgoing if relation.direction == "outgoing" else neighbour.incoming
        side.append(relation.property.label)
    # Local entities first, then by how many relations link them, then by label.
    return sorted(
        found.values(),
        key=lambda n: (
            not is_local(n.key),
            -(len(n.outgoing) + len(n.incoming)),
            n.label.lower(),
        ),
    )
