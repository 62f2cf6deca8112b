/**
 * Which addresses a webhook may be sent to (ADR 0033), checked when an endpoint is
 * registered and again before every delivery: HTTPS to a public name or address. Loopback
 * and plain http:// only where WEBHOOK_ALLOW_LOOPBACK is "on" (the local server), and then
 * only to loopback. Private, link-local, shared, multicast and reserved addresses, names
 * that only resolve inside a network (localhost, .local, .internal, single labels) and URLs
 * with credentials are refused everywhere. Deliveries never follow redirects, so a public
 * address cannot bounce one inward. (Workers' outbound fetch reaches only the public
 * internet; these rules keep the feature from being aimed at anything else, here or when
 * self-hosted.)
 */

const LOOPBACK_NAMES = new Set(["localhost", "127.0.0.1", "[::1]"]);
const INTERNAL_SUFFIXES = [".localhost", ".local", ".internal", ".intranet", ".lan", ".home.arpa", ".corp"];

/** IPv4 ranges no webhook may reach: [first octets as a number, prefix length]. */
const BLOCKED_V4: [string, number][] = [
  ["0.0.0.0", 8],
  ["10.0.0.0", 8],
  ["100.64.0.0", 10],
  ["127.0.0.0", 8],
  ["169.254.0.0", 16],
  ["172.16.0.0", 12],
  ["192.0.0.0", 24],
  ["192.0.2.0", 24],
  ["192.88.99.0", 24],
  ["192.168.0.0", 16],
  ["198.18.0.0", 15],
  ["198.51.100.0", 24],
  ["203.0.113.0", 24],
  ["224.0.0.0", 3],
];

function v4ToNumber(address: string): number | null {
  const parts = address.split(".");
  if (parts.length !== 4) return null;
  let value = 0;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part) || Number(part) > 255) return null;
    value = value * 256 + Number(part);
  }
  return value;
}

function blockedV4(address: string): boolean {
  const value = v4ToNumber(address);
  if (value === null) return false;
  return BLOCKED_V4.some(([base, bits]) => {
    const start = v4ToNumber(base) ?? 0;
    const size = 2 ** (32 - bits);
    return value >= start && value < start + size;
  });
}

/**
 * An IPv6 literal (without brackets) that is not global unicast (2000::/3) — loopback,
 * unspecified, unique-local, link-local, multicast — or that embeds an IPv4 address
 * (mapped, compatible, NAT64) which is itself blocked.
 */
function blockedV6(address: string): boolean {
  const lower = address.toLowerCase();
  const embedded = /(\d+\.\d+\.\d+\.\d+)$/.exec(lower)?.[1];
  if (embedded) return true;
  // The URL parser writes a mapped IPv4 address in hex: ::ffff:7f00:1.
  if (/^::ffff:/.test(lower) || lower.startsWith("64:ff9b:")) return true;
  const [first, second] = (lower.startsWith("::") ? "0:0" : lower)
    .split(":")
    .map((group) => Number.parseInt(group || "0", 16));
  if (first === undefined || !(first >= 0x2000 && first <= 0x3fff)) return true;
  // Inside 2000::/3: 6to4 (2002::/16) and Teredo (2001::/32) wrap an IPv4 address; 2001:db8::/32
  // and 3fff::/20 are for documentation.
  if (first === 0x2002 || first === 0x3fff) return true;
  return first === 0x2001 && (second === 0 || second === 0xdb8);
}

/** Why `raw` may not receive webhooks (a sentence saying what to use instead), or null if it may. */
export function webhookUrlProblem(raw: string, rules: { allowLoopback: boolean }): string | null {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return "Enter a full address, like https://example.com/loresmith.";
  }
  if (url.username || url.password) return "Leave the user name and password out of the address.";
  const host = url.hostname.toLowerCase();
  const loopback = LOOPBACK_NAMES.has(host) || (v4ToNumber(host) !== null && host.startsWith("127."));
  if (loopback && rules.allowLoopback) {
    return url.protocol === "http:" || url.protocol === "https:" ? null : "Use an http:// or https:// address.";
  }
  if (url.protocol !== "https:") return "Use an https:// address: events are only sent over HTTPS.";
  // Only the HTTPS port: another port on a public host is how a service not meant for the web is reached.
  if (url.port && url.port !== "443") return "Use the standard HTTPS port (leave the port out of the address).";
  if (host.startsWith("[")) {
    return blockedV6(host.slice(1, -1))
      ? "That address is private or reserved. Use a public address the internet can reach."
      : null;
  }
  if (v4ToNumber(host) !== null) {
    return blockedV4(host) ? "That address is private or reserved. Use a public address the internet can reach." : null;
  }
  if (
    host === "localhost" ||
    !host.includes(".") ||
    INTERNAL_SUFFIXES.some((suffix) => host.endsWith(suffix)) ||
    host.endsWith(".")
  ) {
    return "That name only works inside a private network. Use a public address the internet can reach.";
  }
  return null;
}
