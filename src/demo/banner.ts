/** What the banner shows. */
export interface BannerInput {
  /** Base URL of the HTTP API, e.g. `http://127.0.0.1:8080`. */
  apiUrl: string;
  apiKey: string;
  adminToken: string;
  dataDir: string;
  smsc: { host: string; port: number };
  /** The demo receiver's URL, or undefined when no webhook endpoint is registered. */
  webhookUrl: string | undefined;
  /** False on later runs, which reuse the first run's account and key. */
  firstRun: boolean;
}

/** The number the demo curl sends to (a range reserved for drama, never a real phone). */
export const DEMO_RECIPIENT = "+447700900123";
export const DEMO_TEXT = "Hello from smpp-bridge!";

/** Quotes for a POSIX shell: the value between single quotes, any single quote closed and escaped. */
export function shellQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

/** The one-line curl that sends the demo message with the given key. */
export function demoCurl(apiUrl: string, apiKey: string): string {
  const body = JSON.stringify({ to: DEMO_RECIPIENT, text: DEMO_TEXT });
  return [
    "curl -sS",
    shellQuote(`${apiUrl}/v1/messages`),
    "-H",
    shellQuote(`Authorization: Bearer ${apiKey}`),
    "-H",
    shellQuote("Content-Type: application/json"),
    "-d",
    shellQuote(body),
  ].join(" ");
}

/**
 * The first-run banner (DESIGN.md §4): the API and docs URLs, the lines `API key: …` and
 * `Admin token: …`, and exactly one line starting with `curl` that sends a message. Secrets are
 * printed here only: the demo runs on the embedded database, never with DATABASE_URL.
 */
export function formatBanner(input: BannerInput): string {
  const rule = "─".repeat(78);
  const webhook =
    input.webhookUrl === undefined
      ? "Webhooks:   (not available in this build)"
      : `Webhooks:   demo receiver at ${input.webhookUrl} (verifies and logs each event)`;
  return [
    "",
    rule,
    ` smpp-bridge demo — embedded database, built-in SMSC simulator${input.firstRun ? "" : " (data reused)"}`,
    rule,
    ` API:        ${input.apiUrl}`,
    ` Docs:       ${input.apiUrl}/docs`,
    ` Data:       ${input.dataDir}`,
    ` SMSC:       simulator at ${input.smsc.host}:${input.smsc.port} (upstream "demo-smsc")`,
    ` ${webhook}`,
    "",
    `API key: ${input.apiKey}`,
    `Admin token: ${input.adminToken}`,
    "",
    " Send your first SMS (paste this line into another terminal):",
    "",
    demoCurl(input.apiUrl, input.apiKey),
    "",
    " Then GET /v1/messages/{id} with the same key shows it `delivered`, and this log shows its webhooks.",
    " Production: set DATABASE_URL, ADMIN_TOKEN and SECRET_KEY (see README.md).",
    rule,
    "",
  ].join("\n");
}
