// The example page: the broker client (built from client/src) and nothing else.
import { BrokerClient, BrokerProblemError } from "./broker-client.js";

const params = new URLSearchParams(location.search);
const brokerUrl = params.get("broker") ?? "http://127.0.0.1:8787";
const signatureApi = params.get("signatureApi") ?? "http://127.0.0.1:9404";
const output = document.getElementById("output");
let callerToken; // the app's own sign-in: here the local dev issuer; in production your IdP SDK

async function signIn() {
  const response = await fetch(`${brokerUrl}/local/dev-token`, { method: "POST" });
  if (!response.ok)
    throw new Error(`dev sign-in failed (${response.status}): only with BROKER_LOCAL_AUTH=dev`);
  callerToken = (await response.json()).accessToken;
}

const client = new BrokerClient({
  baseUrl: brokerUrl,
  getAccessToken: async ({ forceRefresh }) => {
    if (!callerToken || forceRefresh) await signIn();
    return callerToken;
  },
});

const describe = (error) =>
  error instanceof BrokerProblemError
    ? { problem: error.type, status: error.status, requestId: error.requestId, retryAfter: error.retryAfter }
    : { error: error.name, message: error.message };

async function show(action) {
  try {
    output.textContent = JSON.stringify(await action(), null, 2);
  } catch (error) {
    output.textContent = JSON.stringify(describe(error), null, 2);
  }
}

const app = {
  BrokerClient,
  client,
  describe,
  signIn,
  /** For tests: act as if the IdP's token went stale. */
  setCallerToken: (token) => {
    callerToken = token;
  },
  listConnections: async () => (await client.connections()).map((c) => `${c.name} (${c.delivery})`),
  /** Headers mode: the page holds a 15 s signature for the x-signature API and calls the API itself. */
  callSignatureApi: async () => {
    const response = await client.fetch("demo-signed", `${signatureApi}/v1/hello`);
    return { status: response.status, body: await response.json() };
  },
  /** Proxy mode: the Ledger-shaped API sends no CORS headers; the broker calls it for the page. */
  callLedgerViaProxy: async () => {
    const response = await client.proxy("demo-ledger", "v1/accounts");
    return { status: response.status, body: await response.json() };
  },
};
window.exampleApp = app;

document
  .getElementById("sign-in")
  .addEventListener("click", () => show(async () => (await signIn(), "Signed in.")));
document.getElementById("list").addEventListener("click", () => show(app.listConnections));
document.getElementById("headers-mode").addEventListener("click", () => show(app.callSignatureApi));
document.getElementById("proxy-mode").addEventListener("click", () => show(app.callLedgerViaProxy));
