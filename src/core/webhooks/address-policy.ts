/**
 * Which IP addresses a webhook may be sent to. A customer-supplied URL must not reach into our own
 * network (SSRF): loopback, private, CGNAT, link-local (cloud metadata at 169.254.169.254), multicast,
 * reserved and documentation ranges are refused, in IPv4 and IPv6, including IPv4 addresses wrapped in
 * IPv6 (mapped `::ffff:a.b.c.d`, compatible `::a.b.c.d`, NAT64 `64:ff9b::/96`, 6to4 `2002::/16`), and the
 * local-use NAT64 prefix `64:ff9b:1::/48`, which reaches the operator's own IPv4 network.
 * Pure: no DNS here (see url-policy.ts).
 */
import { isIPv4, isIPv6 } from "node:net";

interface Range {
  /** Network address bytes (4 for IPv4, 16 for IPv6). */
  net: number[];
  bits: number;
  reason: string;
}

const v4 = (cidr: string, reason: string): Range => {
  const [address = "", bits = "32"] = cidr.split("/");
  return { net: parseIPv4(address) ?? [], bits: Number(bits), reason };
};
const v6 = (cidr: string, reason: string): Range => {
  const [address = "", bits = "128"] = cidr.split("/");
  return { net: parseIPv6(address) ?? [], bits: Number(bits), reason };
};

const IPV4_BLOCKED: readonly Range[] = [
  v4("0.0.0.0/8", "unspecified"),
  v4("10.0.0.0/8", "private"),
  v4("100.64.0.0/10", "carrier-grade NAT"),
  v4("127.0.0.0/8", "loopback"),
  v4("169.254.0.0/16", "link-local (cloud metadata)"),
  v4("172.16.0.0/12", "private"),
  v4("192.0.0.0/24", "IETF protocol assignments"),
  v4("192.0.2.0/24", "documentation"),
  v4("192.88.99.0/24", "6to4 relay"),
  v4("192.168.0.0/16", "private"),
  v4("198.18.0.0/15", "benchmarking"),
  v4("198.51.100.0/24", "documentation"),
  v4("203.0.113.0/24", "documentation"),
  v4("224.0.0.0/4", "multicast"),
  v4("240.0.0.0/4", "reserved"),
];

const IPV6_BLOCKED: readonly Range[] = [
  v6("::/128", "unspecified"),
  v6("::1/128", "loopback"),
  // Translates into whatever IPv4 network its operator chose (RFC 8215), usually their own private one.
  v6("64:ff9b:1::/48", "local-use NAT64"),
  v6("100::/64", "discard-only"),
  v6("2001::/23", "IETF protocol assignments (Teredo, ORCHID…)"),
  v6("2001:db8::/32", "documentation"),
  v6("fc00::/7", "unique local"),
  v6("fe80::/10", "link-local"),
  v6("fec0::/10", "site-local"),
  v6("ff00::/8", "multicast"),
];

/** Why `address` (an IPv4 or IPv6 literal, brackets allowed) may not be a webhook target; null if it may. */
export function forbiddenAddressReason(address: string): string | null {
  const literal = address.startsWith("[") && address.endsWith("]") ? address.slice(1, -1) : address;
  if (isIPv4(literal)) {
    const bytes = parseIPv4(literal);
    return bytes === null ? "not an IP address" : ipv4Reason(bytes);
  }
  if (isIPv6(literal)) {
    const bytes = parseIPv6(literal);
    return bytes === null ? "not an IP address" : ipv6Reason(bytes);
  }
  return "not an IP address";
}

function ipv4Reason(bytes: number[]): string | null {
  for (const range of IPV4_BLOCKED) if (matches(bytes, range)) return `${range.reason} address`;
  return null;
}

function ipv6Reason(bytes: number[]): string | null {
  const embedded = embeddedIPv4(bytes);
  if (embedded !== null) {
    const reason = ipv4Reason(embedded);
    return reason === null ? null : `${reason} (IPv4 inside IPv6)`;
  }
  for (const range of IPV6_BLOCKED) if (matches(bytes, range)) return `${range.reason} address`;
  return null;
}

/** The IPv4 address an IPv6 address stands for (mapped, compatible, NAT64, 6to4); null if none. */
function embeddedIPv4(bytes: number[]): number[] | null {
  const zeros = (from: number, to: number) => bytes.slice(from, to).every((b) => b === 0);
  // ::ffff:a.b.c.d (mapped) and ::a.b.c.d (deprecated compatible; ::/128 and ::1 are handled as IPv6).
  if (zeros(0, 10) && bytes[10] === 0xff && bytes[11] === 0xff) return bytes.slice(12);
  if (zeros(0, 12) && !zeros(12, 15)) return bytes.slice(12);
  // 64:ff9b::/96 (NAT64 well-known prefix).
  if (bytes[0] === 0 && bytes[1] === 0x64 && bytes[2] === 0xff && bytes[3] === 0x9b && zeros(4, 12)) {
    return bytes.slice(12);
  }
  // 2002:aabb:ccdd::/48 (6to4) carries a.b.c.d in bytes 2–5.
  if (bytes[0] === 0x20 && bytes[1] === 0x02) return bytes.slice(2, 6);
  return null;
}

function matches(bytes: number[], range: Range): boolean {
  if (bytes.length !== range.net.length) return false;
  let bits = range.bits;
  for (let i = 0; bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if (((bytes[i] ?? 0) & mask) !== ((range.net[i] ?? 0) & mask)) return false;
  }
  return true;
}

function parseIPv4(text: string): number[] | null {
  const parts = text.split(".");
  if (parts.length !== 4) return null;
  const bytes = parts.map((p) => (/^\d{1,3}$/.test(p) ? Number(p) : Number.NaN));
  return bytes.every((b) => b >= 0 && b <= 255) ? bytes : null;
}

/** 16 bytes of an IPv6 literal (with `::`, a trailing dotted IPv4, and a `%zone` ignored). */
function parseIPv6(text: string): number[] | null {
  let body = text.split("%")[0] ?? "";
  let tail: number[] = [];
  const lastColon = body.lastIndexOf(":");
  if (body.slice(lastColon + 1).includes(".")) {
    const ipv4 = parseIPv4(body.slice(lastColon + 1));
    if (ipv4 === null) return null;
    tail = ipv4;
    body = `${body.slice(0, lastColon + 1)}0:0`;
  }
  const halves = body.split("::");
  if (halves.length > 2) return null;
  const groups = (half: string | undefined) => (half ? half.split(":") : []);
  const head = groups(halves[0]);
  const rest = groups(halves[1]);
  const missing = 8 - head.length - rest.length;
  if ((halves.length === 1 && missing !== 0) || missing < 0) return null;
  const all = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill("0"), ...rest];
  const bytes: number[] = [];
  for (const group of all) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(group)) return null;
    const value = Number.parseInt(group, 16);
    bytes.push(value >> 8, value & 0xff);
  }
  if (tail.length === 4) bytes.splice(12, 4, ...tail);
  return bytes.length === 16 ? bytes : null;
}
