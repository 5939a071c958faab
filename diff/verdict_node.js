#!/usr/bin/env node
// Verdicts of twilio-node (validateRequest / validateRequestWithBody) for the
// differential test cases.
//
// Reads cases (JSON lines, see gen_cases.py) on stdin and writes one line per case:
// {"id": ..., "node": true|false}. Each request is handed to the library the way an
// Express app would: form bodies parsed by querystring.parse (what
// express.urlencoded({ extended: false }) does), the raw body for a URL carrying
// bodySHA256 (validateRequestWithBody) unless it is a GET or HEAD without a body
// (validateRequest with the empty parsed body, which checks the URL alone). The
// algorithm is the library's own getSignatureAlgorithm() of the settings header, as
// its webhook() middleware reads it. A header sent twice is joined by ", ", as Node's
// http module joins a repeated header it does not know. With a settings header the
// app tries each shared key it has (the library reads no key id); without one, its
// tokens.
"use strict";

const path = require("path");
const readline = require("readline");
const querystring = require("querystring");
const twilio = require(path.join(__dirname, "node_modules", "twilio"));


const FORM = "application/x-www-form-urlencoded";

// The library warns of every unknown algorithm; the verdict (false) is what counts.
console.warn = () => {};

function header(c, name) {
  for (const [key, value] of Object.entries(c.headers)) {
    if (key.toLowerCase() === name) return Array.isArray(value) ? value.join(", ") : value;
  }
  return undefined;
}

function mediaType(c) {
  return c.content_type.split(";")[0].trim().toLowerCase();
}

function verdict(c) {
  const url = c.base_url + c.path_and_query;
  const signature = header(c, "x-twilio-signature") || "";
  const settings = header(c, "x-twilio-webhooks-signature-settings");

  let secrets;
  let algorithm;
  if (settings) {
    algorithm = twilio.getSignatureAlgorithm(settings);
    secrets = Object.values(c.shared_keys);
  } else {
    secrets = [c.auth_token, ...c.secondary_tokens];
  }

  const bodyless = (c.method === "GET" || c.method === "HEAD") && !c.body;
  const withBody = url.indexOf("bodySHA256") !== -1 && !bodyless;
  const params = c.method === "POST" && mediaType(c) === FORM ? querystring.parse(c.body) : {};
  return secrets.some((secret) => {
    try {
      return withBody
        ? twilio.validateRequestWithBody(secret, signature, url, c.body, algorithm)
        : twilio.validateRequest(secret, signature, url, params, algorithm);
    } catch (e) {
      return false;
    }
  });
}

const lines = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
lines.on("line", (line) => {
  if (!line.trim()) return;
  const c = JSON.parse(line);
  process.stdout.write(JSON.stringify({ id: c.id, node: verdict(c) }) + "\n");
});
