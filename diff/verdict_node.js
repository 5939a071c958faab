#!/usr/bin/env node
// Verdicts of twilio-node (validateRequest / validateRequestWithBody) for the
// differential test cases.
//
// Reads cases (JSON lines, see gen_cases.py) on stdin and writes one line per case:
// {"id": ..., "node": true|false}. Each request is handed to the library the way an
// Express app would: form bodies parsed by querystring.parse (what
// express.urlencoded({ extended: false }) does), the raw body for a URL carrying
// bodySHA256. twilio-node has no HMAC-SHA256, so a settings header naming it fails.
"use strict";

const path = require("path");
const readline = require("readline");
const querystring = require("querystring");
const twilio = require(path.join(__dirname, "node_modules", "twilio"));

const FORM = "application/x-www-form-urlencoded";

function header(c, name) {
  for (const [key, value] of Object.entries(c.headers)) {
    if (key.toLowerCase() === name) return value;
  }
  return undefined;
}

// A field of "key=...,algorithm=...", parsed like twilio-python's get_signature_algorithm.
function settingsField(settings, field) {
  for (const part of settings.split(",")) {
    const eq = part.indexOf("=");
    if (eq === -1) continue;
    const value = part.slice(eq + 1).trim();
    if (part.slice(0, eq).trim() === field && value) return value;
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
  if (settings) {
    const algorithm = (settingsField(settings, "algorithm") || "HMAC_SHA1").toUpperCase();
    if (algorithm !== "HMAC_SHA1") return false; // no HMAC-SHA256 in twilio-node 6.2.0
    const keyId = settingsField(settings, "key");
    if (keyId === undefined || !Object.prototype.hasOwnProperty.call(c.shared_keys, keyId)) {
      return false;
    }
    secrets = [c.shared_keys[keyId]];
  } else {
    secrets = [c.auth_token, ...c.secondary_tokens];
  }

  const withBody = url.indexOf("bodySHA256") !== -1;
  const params = c.method !== "GET" && mediaType(c) === FORM ? querystring.parse(c.body) : {};
  return secrets.some((secret) => {
    try {
      return withBody
        ? twilio.validateRequestWithBody(secret, signature, url, c.body)
        : twilio.validateRequest(secret, signature, url, params);
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
