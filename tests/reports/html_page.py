"""Reading an HTML report back for the tests: the timeline as XML, the data blocks, the page's elements."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections import Counter
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

from orcli.drill.records import DrillResult

SVG_NS = "{http://www.w3.org/2000/svg}"


@dataclass
class Element:
    tag: str
    attrs: dict[str, str]
    text: list[str] = field(default_factory=list)

    @property
    def classes(self) -> set[str]:
        return set(self.attrs.get("class", "").split())


class PageParser(HTMLParser):
    """Every element with its attributes and the text directly inside it, in document order."""

    VOID = frozenset({"meta", "link", "br", "hr", "img", "input"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[Element] = []
        self.stack: list[Element] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, {k: v or "" for k, v in attrs})
        self.elements.append(element)
        if tag not in self.VOID:
            self.stack.append(element)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append(Element(tag, {k: v or "" for k, v in attrs}))

    def handle_endtag(self, tag: str) -> None:
        while self.stack:
            if self.stack.pop().tag == tag:
                break

    def handle_data(self, data: str) -> None:
        if self.stack:
            self.stack[-1].text.append(data)


def parse_page(page: str) -> list[Element]:
    parser = PageParser()
    parser.feed(page)
    parser.close()
    return parser.elements


def timelines(page: str) -> list[ET.Element]:
    """Each drill's timeline SVG, parsed as XML (so it must be well-formed)."""
    blocks = re.findall(r'<svg class="timeline".*?</svg>', page, flags=re.S)
    return [ET.fromstring(block) for block in blocks]


def data_blocks(page: str) -> list[dict[str, Any]]:
    blocks = re.findall(r'<script type="application/json" id="drill-data-\d+">(.*?)</script>', page, flags=re.S)
    return [json.loads(block) for block in blocks]


def lanes(svg: ET.Element) -> list[ET.Element]:
    return [g for g in svg.iter(f"{SVG_NS}g") if g.get("class") == "lane"]


def faults(svg: ET.Element) -> list[ET.Element]:
    return [g for g in svg.iter(f"{SVG_NS}g") if g.get("class") == "fault"]


def lane_marks(lane: ET.Element) -> int:
    """Marks drawn one by one, or the counts the lane's bucket paths stand for."""
    marks = [r for r in lane.iter(f"{SVG_NS}rect") if "m" in (r.get("class") or "").split()]
    bucketed = sum(int(p.get("data-count", "0")) for p in lane.iter(f"{SVG_NS}path"))
    return len(marks) + bucketed


def expected_routes(result: DrillResult) -> Counter[str]:
    """Every attempt's route, and every provider OpenRouter tried inside an attempt, as the spec counts them."""
    routes: Counter[str] = Counter()
    for record in result.requests:
        for attempt in record.result.attempts:
            for hop in attempt.upstream_hops[:-1]:
                routes[f"{hop.model}@{hop.provider}"] += 1
            routes[f"{attempt.served_model or attempt.model}@{attempt.provider or '?'}"] += 1
    return routes


def svg_text(element: ET.Element) -> str:
    return "".join(element.itertext())
