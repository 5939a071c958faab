// Builds each document of cases.json with twilio-node's TwiML classes.
// argv[2]: cases.json. stdout: one JSON line per document, {id, xml} or
// {id, error} when the library refuses or fails.
"use strict";
const fs = require("fs");
const path = require("path");
const twiml = require(path.join(__dirname, "node_modules/twilio/lib/twiml/VoiceResponse.js"));
const VoiceResponse = twiml.default || twiml;
const mr = require(path.join(__dirname, "node_modules/twilio/lib/twiml/MessagingResponse.js"));
const MessagingResponse = mr.default || mr;

function attributes(node) {
  const out = {};
  for (const a of node.attrs) out[a.name] = a.value; // arrays: the library joins them with spaces
  return out;
}

function add(parent, node, vocab) {
  const el = vocab[node.type];
  const attrs = attributes(node);
  const child = el.text === "none" ? parent[node.method](attrs) : parent[node.method](attrs, node.text);
  for (const c of node.children) add(child, c, vocab);
}

const cases = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
const vocabulary = JSON.parse(fs.readFileSync(path.join(__dirname, "../../twiml/vocabulary.json"), "utf8"));
const vocabs = {};
for (const r of vocabulary.responses) {
  vocabs[r.module] = {};
  for (const e of r.elements) vocabs[r.module][e.type] = e;
}
for (const c of cases) {
  try {
    const root = c.module === "voice" ? new VoiceResponse() : new MessagingResponse();
    for (const child of c.root.children) add(root, child, vocabs[c.module]);
    process.stdout.write(JSON.stringify({ id: c.id, xml: root.toString() }) + "\n");
  } catch (e) {
    process.stdout.write(JSON.stringify({ id: c.id, error: String(e) }) + "\n");
  }
}
