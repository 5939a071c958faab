// The peer a Node user would pick: Express with twilio-node's webhook()
// middleware, answering the same TwiML as bench/load_server.rs. Started by
// bench/load.sh; listens on 127.0.0.1 only.
//
//   TWILIO_AUTH_TOKEN=... node bench/express_peer.js (webhook|bare) PORT
"use strict";

const express = require("express");
const twilio = require("twilio");

const [mode, port] = process.argv.slice(2);
if (!["webhook", "bare"].includes(mode) || !port) {
  console.error("usage: express_peer.js (webhook|bare) PORT");
  process.exit(2);
}

const TWIML =
  '<?xml version="1.0" encoding="UTF-8"?><Response><Say>Hello from the benchmark.</Say></Response>';

const app = express();
app.use(express.urlencoded({ extended: false }));
const voice = (req, res) => res.type("text/xml").send(TWIML);
if (mode === "webhook") {
  // The public URL Twilio signed is https://example.com + the request path,
  // as for the axum server (TwilioValidateLayer::base_url("https://example.com")).
  const validate = twilio.webhook(process.env.TWILIO_AUTH_TOKEN, {
    host: "example.com",
    protocol: "https",
  });
  app.post("/twilio/voice", validate, voice);
} else {
  app.post("/twilio/voice", voice);
}
app.listen(Number(port), "127.0.0.1", (error) => {
  // Express 5 hands a listen error (such as EADDRINUSE) to this callback.
  if (error) {
    console.error(`express_peer: cannot listen on 127.0.0.1:${port}: ${error.message}`);
    process.exit(1);
  }
  console.error(`express_peer: ${mode} on http://127.0.0.1:${port}/twilio/voice (pid ${process.pid})`);
});
