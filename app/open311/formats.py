"""The gateway's two formats, as GeoReport v2 writes them: JSON, and XML whose lists repeat
an element named for one item (`<services><service>`), in UTF-8 with the spec's types."""

import json
from xml.etree import ElementTree

from flask import Response

TYPES = {"json": "application/json; charset=utf-8", "xml": "text/xml; charset=utf-8"}
# What one item of each list is called in XML.
ITEM = {
    "services": "service",
    "service_requests": "request",
    "errors": "error",
    "endpoints": "endpoint",
    "formats": "format",
    "attributes": "attribute",
    "values": "value",
    "notes": "note",
    "media_urls": "media_url",
}


def _text(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def _element(name, value):
    element = ElementTree.Element(name)
    if isinstance(value, dict):
        element.extend(_element(key, item) for key, item in value.items())
    elif isinstance(value, list):
        element.extend(_element(ITEM[name], item) for item in value)
    else:
        element.text = _text(value)
    return element


def respond(fmt, root, data, status=200):
    """`data` (a list for the lists, a dict otherwise) as `fmt`; `root` names the XML root."""
    if fmt == "xml":
        body = ElementTree.tostring(_element(root, data), encoding="utf-8", xml_declaration=True)
    else:
        body = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()
    return Response(body, status=status, headers={"Content-Type": TYPES[fmt]})


def errors(fmt, status, description):
    return respond(fmt, "errors", [{"code": status, "description": description}], status)
