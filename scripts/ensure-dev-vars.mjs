// Creates .dev.vars from .dev.vars.example on a fresh clone, so that local dev, preview
// and tests start with safe local defaults. An existing .dev.vars keeps every value it
// has; names the example gained since (a new secret) are appended with the example's
// local value, because the generated Env types and `wrangler types --check` expect them.
import { appendFileSync, copyFileSync, existsSync, readFileSync } from "node:fs";

const names = (text) =>
  new Set(
    text
      .split("\n")
      .map((line) => /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=/.exec(line)?.[1])
      .filter(Boolean),
  );

if (!existsSync(".dev.vars")) {
  copyFileSync(".dev.vars.example", ".dev.vars");
  console.log("Created .dev.vars from .dev.vars.example (local defaults).");
} else {
  const example = readFileSync(".dev.vars.example", "utf8");
  const have = names(readFileSync(".dev.vars", "utf8"));
  const missing = example.split("\n").filter((line) => {
    const name = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=/.exec(line)?.[1];
    return name && !have.has(name);
  });
  if (missing.length) {
    appendFileSync(".dev.vars", `\n# Added from .dev.vars.example\n${missing.join("\n")}\n`);
    console.log(`Added ${missing.map((line) => line.split("=")[0]).join(", ")} to .dev.vars from .dev.vars.example.`);
  }
}
