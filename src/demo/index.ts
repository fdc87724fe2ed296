/**
 * The first-run demo (issue 7): with no DATABASE_URL, `smpp-bridge serve` also starts the built-in
 * SMSC simulator and a local webhook receiver, creates a demo upstream, account, API key, route and
 * webhook endpoint through the API, and prints a banner with a ready-to-paste curl. With DATABASE_URL
 * none of this happens.
 *
 * The serve command calls, around `startService`:
 * ```ts
 * const demo = await prepareDemo(config, { logger });           // undefined with DATABASE_URL
 * const service = await startService(demo?.config ?? config, …);
 * if (demo) await runDemo(demo, service.url);                    // provisions, prints the banner
 * // on shutdown: await service.stop(); await demo?.close();
 * ```
 */
import type { Config } from "../config.js";
import { Simulator } from "../simulator/simulator.js";
import { ApiClient } from "./api-client.js";
import { formatBanner } from "./banner.js";
import type { DemoLogger } from "./logger.js";
import { DEMO_SMPP_PASSWORD, DEMO_SYSTEM_ID, type DemoData, provisionDemo } from "./provision.js";
import { DemoWebhookReceiver } from "./webhook-receiver.js";

export type { DemoLogger } from "./logger.js";
export type { DemoData } from "./provision.js";

/** Delay between a submit and its receipt at the demo simulator (ms): long enough to see `sent`. */
const DEMO_DLR_DELAY_MS = 300;

export interface PrepareDemoOptions {
  /** Where the simulator and the receiver log (the service's logger). */
  logger: DemoLogger;
}

export interface RunDemoOptions {
  /** Where the banner goes. Default: stdout. */
  write?: (text: string) => void;
}

/** The demo's own servers, started before the service so their ports are known. */
export class DemoEnvironment {
  private closed = false;

  constructor(
    /** The configuration to start the service with (see {@link prepareDemo}). */
    readonly config: Config,
    readonly simulator: Simulator,
    readonly receiver: DemoWebhookReceiver,
    private readonly logger: DemoLogger,
  ) {}

  /**
   * Creates or updates the demo data through the running service at `serviceUrl`, then prints the
   * banner. Resolves with what was set up.
   */
  async run(serviceUrl: string, options: RunDemoOptions = {}): Promise<DemoData> {
    const apiUrl = displayUrl(serviceUrl);
    const data = await provisionDemo({
      admin: new ApiClient(apiUrl, this.config.adminToken),
      dataDir: this.config.dataDir,
      smsc: { host: this.simulator.host, port: this.simulator.port },
      webhookUrl: this.receiver.url,
      logger: this.logger,
    });
    if (data.webhookSecret !== undefined) this.receiver.setSecret(data.webhookSecret);
    const banner = formatBanner({
      apiUrl,
      apiKey: data.apiKey,
      adminToken: this.config.adminToken,
      dataDir: this.config.dataDir,
      smsc: { host: this.simulator.host, port: this.simulator.port },
      webhookUrl: data.webhookSecret === undefined ? undefined : this.receiver.url,
      firstRun: data.firstRun,
    });
    (options.write ?? ((text: string) => process.stdout.write(text)))(banner);
    return data;
  }

  /** Stops the simulator and the receiver; call it after the service has stopped (sessions unbound). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.allSettled([this.simulator.close(), this.receiver.close()]);
  }
}

/**
 * Starts the demo's simulator and webhook receiver when `config` has no DATABASE_URL; undefined
 * otherwise (production: no simulator, no demo data, nothing secret printed). The returned `config`
 * is `config` with `webhookAllowPrivate` on, since the demo receiver listens on 127.0.0.1; the
 * embedded database is a local development setup, so this widens nothing a production setup uses.
 */
export async function prepareDemo(
  config: Config,
  options: PrepareDemoOptions,
): Promise<DemoEnvironment | undefined> {
  if (config.databaseUrl !== undefined) return undefined;
  const simulator = await Simulator.start({
    host: "127.0.0.1",
    port: 0,
    accounts: [{ systemId: DEMO_SYSTEM_ID, password: DEMO_SMPP_PASSWORD }],
    dlrDelayMs: DEMO_DLR_DELAY_MS,
    logger: options.logger,
  });
  let receiver: DemoWebhookReceiver;
  try {
    receiver = await DemoWebhookReceiver.start(options.logger);
  } catch (error) {
    await simulator.close();
    throw error;
  }
  return new DemoEnvironment({ ...config, webhookAllowPrivate: true }, simulator, receiver, options.logger);
}

/** Provisions the demo through the running service and prints the banner (see {@link DemoEnvironment.run}). */
export function runDemo(
  demo: DemoEnvironment,
  serviceUrl: string,
  options?: RunDemoOptions,
): Promise<DemoData> {
  return demo.run(serviceUrl, options);
}

/** A URL a person can paste: a wildcard bind address is reached on loopback. */
export function displayUrl(serviceUrl: string): string {
  const url = new URL(serviceUrl);
  if (url.hostname === "0.0.0.0" || url.hostname === "[::]") url.hostname = "127.0.0.1";
  return url.origin;
}
