/**
 * Whether a URL may be a webhook target: http(s) only, and unless private targets are allowed, a host
 * that resolves only to public addresses. Checked when an endpoint is created or changed, and again at
 * every new connection of the delivery worker (through {@link guardedLookup}, which also pins the
 * connection to the address it checked, so a DNS answer cannot change between check and connect).
 */
import type { LookupAddress, LookupAllOptions, LookupOneOptions } from "node:dns";
import { lookup as dnsLookup } from "node:dns";
import { isIP } from "node:net";
import { forbiddenAddressReason } from "./address-policy.js";

/** Longest webhook URL accepted, in characters. */
export const MAX_WEBHOOK_URL_LENGTH = 2048;

/** How long the creation-time DNS check waits, in milliseconds. */
const CREATE_LOOKUP_TIMEOUT_MS = 3000;

/** The URL may not be used as a webhook target; `message` says why (safe to show the customer). */
export class UnsafeWebhookUrlError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UnsafeWebhookUrlError";
  }
}

/** Resolves a host name to every address it has (node's `dns.lookup` with `all: true` by default). */
export type ResolveAll = (hostname: string) => Promise<LookupAddress[]>;

const systemResolveAll: ResolveAll = (hostname) =>
  new Promise((resolve, reject) => {
    dnsLookup(hostname, { all: true, verbatim: true }, (error, addresses) =>
      error ? reject(error) : resolve(addresses),
    );
  });

/** The host of a parsed URL without IPv6 brackets. */
export function urlHost(url: URL): string {
  return url.hostname.startsWith("[") ? url.hostname.slice(1, -1) : url.hostname;
}

/** Syntax only: an absolute http(s) URL with a host. Returns the parsed URL or throws. */
export function parseWebhookUrl(text: string): URL {
  if (text.length > MAX_WEBHOOK_URL_LENGTH) {
    throw new UnsafeWebhookUrlError(`Must be at most ${MAX_WEBHOOK_URL_LENGTH} characters`);
  }
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UnsafeWebhookUrlError("Must be an absolute http or https URL");
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new UnsafeWebhookUrlError("Must be an http or https URL");
  }
  if (url.hostname === "") throw new UnsafeWebhookUrlError("Must name a host");
  return url;
}

/**
 * Why a URL's host is a forbidden target without asking DNS: an IP literal in a forbidden range (the URL
 * parser has already turned `2130706433` or `0x7f.1` into `127.0.0.1`), or a name under `localhost`
 * (always loopback, RFC 6761). Null when only DNS can tell. For checks on a hot path, where a lookup per
 * request would cost too much; delivery checks every address again anyway.
 */
export function literalTargetReason(url: URL): string | null {
  const host = urlHost(url).toLowerCase().replace(/\.$/, "");
  if (isIP(host) !== 0) return forbiddenAddressReason(host);
  if (host === "localhost" || host.endsWith(".localhost")) return "loopback name";
  return null;
}

export interface UrlCheckOptions {
  /** Allow loopback/private/link-local targets (WEBHOOK_ALLOW_PRIVATE). Default false. */
  allowPrivate?: boolean;
  /** DNS resolution; default the system resolver. */
  resolveAll?: ResolveAll;
}

/**
 * Refuses (throws {@link UnsafeWebhookUrlError}) a URL that is not http(s), or whose host is or resolves
 * to a forbidden address. A host that does not resolve now is accepted: DNS may be unreachable from
 * here or the name not published yet, and every delivery checks again before it connects.
 */
export async function checkWebhookUrl(text: string, options: UrlCheckOptions = {}): Promise<URL> {
  const url = parseWebhookUrl(text);
  if (options.allowPrivate === true) return url;
  const host = urlHost(url);
  if (isIP(host) !== 0) {
    const reason = forbiddenAddressReason(host);
    if (reason !== null) throw new UnsafeWebhookUrlError(`The host is a ${reason}`);
    return url;
  }
  let addresses: LookupAddress[];
  try {
    addresses = await withTimeout((options.resolveAll ?? systemResolveAll)(host), CREATE_LOOKUP_TIMEOUT_MS);
  } catch {
    return url;
  }
  for (const { address } of addresses) {
    const reason = forbiddenAddressReason(address);
    if (reason !== null) throw new UnsafeWebhookUrlError(`The host resolves to ${address}, a ${reason}`);
  }
  return url;
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error("timeout")), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

type LookupCallback = (
  error: NodeJS.ErrnoException | null,
  address: string | LookupAddress[],
  family?: number,
) => void;

/**
 * A `lookup` for `net.connect` that resolves the host, refuses the connection when any of its
 * addresses is forbidden, and otherwise connects to the address it checked (pinned). Used by the
 * delivery worker for every new connection; IP literals never reach a lookup and are checked before
 * the request (see {@link forbiddenAddressReason}).
 */
export function guardedLookup(resolveAll: ResolveAll = systemResolveAll) {
  return (
    hostname: string,
    options: LookupOneOptions | LookupAllOptions | number | undefined,
    callback: LookupCallback,
  ): void => {
    resolveAll(hostname).then(
      (addresses) => {
        for (const { address } of addresses) {
          const reason = forbiddenAddressReason(address);
          if (reason !== null) {
            const error: NodeJS.ErrnoException = new UnsafeWebhookUrlError(
              `blocked: ${hostname} resolves to ${address}, a ${reason}`,
            );
            error.code = "EWEBHOOKBLOCKED";
            callback(error, "");
            return;
          }
        }
        const first = addresses[0];
        if (first === undefined) {
          const error: NodeJS.ErrnoException = new Error(`${hostname} has no address`);
          error.code = "ENOTFOUND";
          callback(error, "");
          return;
        }
        const wantsAll = typeof options === "object" && options !== null && options.all === true;
        if (wantsAll) callback(null, addresses);
        else callback(null, first.address, first.family);
      },
      (error: NodeJS.ErrnoException) => callback(error, ""),
    );
  };
}
