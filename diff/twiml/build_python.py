"""Builds each document of cases.json with twilio-python's TwiML classes.

stdin: nothing; argv[1]: cases.json. stdout: one JSON line per document,
{"id", "xml"} (or {"id", "error"} when the library refuses or fails).
"""
import inspect
import json
import sys

from twilio.twiml import GenericNode, messaging_response, voice_response

MODULES = {"voice": voice_response, "messaging": messaging_response}


def value(a):
    v = a["value"]
    if a["list"]:
        return " ".join(str(x) for x in v)
    return v


def build(module, node):
    attrs = {a["name"]: value(a) for a in node["attrs"]}
    text = node.get("text")
    if node["type"] == "Response":
        el = module.VoiceResponse() if module is voice_response else module.MessagingResponse()
    else:
        cls = getattr(module, node["type"], None)
        if cls is None:
            # An element twilio-python does not have (MediaFilter): its generic
            # node, attributes set directly (MediaFilter has one called `name`,
            # which GenericNode's own parameter would take).
            el = GenericNode(node["name"], text)
            el.attrs.update(attrs)
        else:
            params = [p for p in inspect.signature(cls.__init__).parameters.values()
                      if p.kind == p.POSITIONAL_OR_KEYWORD and p.name != "self"]
            el = cls(text, **attrs) if params else cls(**attrs)
    for child in node["children"]:
        el.append(build(module, child))
    return el


for case in json.load(open(sys.argv[1], encoding="utf-8")):
    try:
        xml = build(MODULES[case["module"]], case["root"]).to_xml()
        print(json.dumps({"id": case["id"], "xml": xml}, ensure_ascii=False))
    except Exception as e:  # the library refusing a document is a result
        print(json.dumps({"id": case["id"], "error": "%s: %s" % (type(e).__name__, e)}))
