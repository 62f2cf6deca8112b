// Gzipped JavaScript a signed-in page loads: every module the document preloads or
// imports (React Router lists the whole route's graph as modulepreload links).
// Usage: npm start & node bench/page-weight.mjs [--url http://localhost:4173] [--path /home]
import { randomBytes } from "node:crypto";
import { gzipSync } from "node:zlib";

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};
const base = option("url", "http://localhost:4173");
const path = option("path", "/home");
const headers = { Origin: base, "CF-Connecting-IP": `10.77.${randomBytes(1)[0]}.${randomBytes(1)[0]}` };

const password = `pw-${randomBytes(9).toString("hex")}`;
const username = `weight-${randomBytes(4).toString("hex")}`;
const signup = await fetch(`${base}/signup`, {
  method: "POST",
  headers,
  body: new URLSearchParams({ username, password, confirmPassword: password }),
  redirect: "manual",
});
const cookie = signup.headers
  .getSetCookie()
  .map((c) => c.split(";")[0])
  .join("; ");
if (signup.status !== 302 || !cookie) throw new Error(`sign-up failed: ${signup.status}`);

const html = await (await fetch(`${base}${path}`, { headers: { ...headers, Cookie: cookie } })).text();
const urls = new Set(
  [
    ...html.matchAll(
      /<link rel="modulepreload" href="([^"]+)"|<script[^>]+src="([^"]+)"|import[^"']*["'](\/assets\/[^"']+\.js)["']/g,
    ),
  ]
    .map((m) => m[1] ?? m[2] ?? m[3])
    .filter((u) => u?.endsWith(".js")),
);
let raw = 0;
let gzip = 0;
const rows = [];
for (const url of urls) {
  const bytes = Buffer.from(await (await fetch(`${base}${url}`)).arrayBuffer());
  const zipped = gzipSync(bytes, { level: 9 }).length;
  raw += bytes.length;
  gzip += zipped;
  rows.push([url, bytes.length, zipped]);
}
rows.sort((a, b) => b[2] - a[2]);
for (const [url, size, zipped] of rows)
  console.log(`${(zipped / 1024).toFixed(1).padStart(7)} KB gz  ${(size / 1024).toFixed(1).padStart(7)} KB  ${url}`);
console.log(
  `\n${path}: ${urls.size} JavaScript files, ${(raw / 1024).toFixed(1)} KB raw, ${(gzip / 1024).toFixed(1)} KB gzipped (level 9).`,
);
