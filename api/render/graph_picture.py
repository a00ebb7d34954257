"""A small picture of an entity's neighbourhood, drawn on the server as inline SVG.

No JavaScript and no layout library: the entity sits in the middle, the entities it links
to in a column on the right and those linking to it on the left, each box naming the
relations between the two (arrows show their direction). Nodes are links to their own
pages. Colours come from presentation attributes, not ``style``, so a strict
Content-Security-Policy holds.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from markupsafe import Markup, escape

WIDTH = 800
COLUMN = 262  # width of a neighbour's box
ROW = 42  # vertical step between boxes
BOX_HEIGHT = 34
PAD = 12
CENTRE_WIDTH = 220
CHAR_WIDTH = 6.4  # average advance of the 12 px sans-serif face

# Fill colours by kind (local name of the entity's class); others get NEUTRAL.
PALETTE = {
    "Condition": "#fde2e1",
    "HairLossDisorder": "#fde2e1",
    "AdverseEffect": "#fbd5c0",
    "RiskFactor": "#fbe7c0",
    "Treatment": "#d9f0d9",
    "Procedure": "#d9f0d9",
    "Drug": "#d4ecf7",
    "Device": "#e3ddf5",
    "Mechanism": "#f3e6f7",
    "Study": "#fff4c2",
    "Article": "#e8e8e8",
    "ArticleSection": "#eeeeee",
    "Claim": "#ffffff",
    "Correction": "#ffd6d6",
}
NEUTRAL = "#f4f6f8"
CENTRE = "#1f4e79"


@dataclass
class Neighbour:
    key: str  # identity (IRI or literal text)
    label: str
    href: str | None = None
    kind: str | None = None  # class local name for the colour
    outgoing: list[str] = field(default_factory=list)  # labels of centre -> neighbour
    incoming: list[str] = field(default_factory=list)  # labels of neighbour -> centre


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _relation_text(neighbour: Neighbour) -> str:
    parts = [f"{p} →" for p in dict.fromkeys(neighbour.outgoing)]
    parts += [f"← {p}" for p in dict.fromkeys(neighbour.incoming)]
    return ", ".join(parts)


def neighbourhood_svg(
    centre_label: str,
    neighbours: list[Neighbour],
    *,
    per_side: int = 10,
    title: str | None = None,
) -> Markup:
    """The SVG element (as safe markup): the entity in the middle, the entities it points
    to on the right, those pointing to it on the left; each box names the relation."""
    right = [n for n in neighbours if n.outgoing]
    left = [n for n in neighbours if not n.outgoing]
    # Balance the columns when one side is short, so the picture shows as much as it can.
    while len(right) > per_side and len(left) < per_side:
        left.append(right.pop())
    while len(left) > per_side and len(right) < per_side:
        right.append(left.pop())
    hidden = max(0, len(right) - per_side) + max(0, len(left) - per_side)
    right, left = right[:per_side], left[:per_side]
    rows = max(len(right), len(left), 1)
    height = rows * ROW + 2 * PAD + (18 if hidden else 0)
    cx, cy = WIDTH / 2, PAD + rows * ROW / 2
    title = title or f"Neighbourhood of {centre_label}"
    shown = right + left

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="neighbourhood" role="group" '
        f'viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}" '
        f'aria-labelledby="nbh-title nbh-desc" font-family="system-ui, sans-serif">',
        f'<title id="nbh-title">{escape(title)}</title>',
        f'<desc id="nbh-desc">{escape(_description(centre_label, shown, hidden))}</desc>',
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
        'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" '
        'fill="#7b8794"/></marker></defs>',
    ]
    edges, nodes = [], []
    for side, column in ((1, right), (-1, left)):
        offset = (rows - len(column)) * ROW / 2
        for index, neighbour in enumerate(column):
            y = PAD + offset + index * ROW + ROW / 2
            box_x = WIDTH - PAD - COLUMN if side == 1 else PAD
            near_x = box_x if side == 1 else box_x + COLUMN  # the box side facing the centre
            start_x = cx + side * CENTRE_WIDTH / 2
            markers = ""
            if neighbour.outgoing:
                markers += ' marker-end="url(#arrow)"'
            if neighbour.incoming:
                markers += ' marker-start="url(#arrow)"'
            mid = (start_x + near_x) / 2
            edges.append(
                f'<path d="M{start_x:.1f},{cy:.1f} C{mid:.1f},{cy:.1f} {mid:.1f},{y:.1f} '
                f'{near_x - side * 2:.1f},{y:.1f}" fill="none" stroke="#9aa5b1" '
                f'stroke-width="1.3"{markers}/>'
            )
            fill = PALETTE.get(neighbour.kind or "", NEUTRAL)
            chars = int((COLUMN - 16) / CHAR_WIDTH)
            box = (
                f'<rect x="{box_x:.1f}" y="{y - BOX_HEIGHT / 2:.1f}" width="{COLUMN}" '
                f'height="{BOX_HEIGHT}" rx="6" fill="{fill}" stroke="#7b8794"/>'
                f'<text x="{box_x + 8:.1f}" y="{y - 4:.1f}" font-size="10" fill="#52606d">'
                f"{escape(_short(_relation_text(neighbour), int(chars * 1.15)))}</text>"
                f'<text x="{box_x + 8:.1f}" y="{y + 11:.1f}" font-size="12" fill="#1f2933">'
                f"{escape(_short(neighbour.label, chars))}</text>"
            )
            tooltip = f"<title>{escape(neighbour.label)}</title>"
            if neighbour.href:
                nodes.append(f'<a href="{escape(neighbour.href)}" class="node">{tooltip}{box}</a>')
            else:
                nodes.append(f'<g class="node">{tooltip}{box}</g>')
    out += edges
    out += nodes
    out.append(
        f'<rect x="{cx - CENTRE_WIDTH / 2:.1f}" y="{cy - 20:.1f}" width="{CENTRE_WIDTH}" '
        f'height="40" rx="8" fill="{CENTRE}"/>'
        f'<text x="{cx:.1f}" y="{cy + 5:.1f}" text-anchor="middle" font-size="13" '
        f'font-weight="bold" fill="#ffffff">{escape(_short(centre_label, 30))}</text>'
    )
    if hidden:
        out.append(
            f'<text x="{WIDTH - PAD}" y="{height - 6}" text-anchor="end" font-size="11" '
            f'fill="#52606d">+{hidden} more, listed below</text>'
        )
    if not shown:
        out.append(
            f'<text x="{cx:.1f}" y="{cy + 36:.1f}" text-anchor="middle" font-size="12" '
            f'fill="#52606d">no linked entities</text>'
        )
    out.append("</svg>")
    return Markup("\n".join(out))


def _description(centre: str, shown: list[Neighbour], hidden: int) -> str:
    parts = []
    for n in shown:
        relations = [f"{centre} {p} {n.label}" for p in dict.fromkeys(n.outgoing)]
        relations += [f"{n.label} {p} {centre}" for p in dict.fromkeys(n.incoming)]
        parts.append("; ".join(relations))
    text = ". ".join(parts)
    if hidden:
        text += f". And {hidden} more."
    return text
