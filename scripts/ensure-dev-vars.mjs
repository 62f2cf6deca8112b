// Creates .dev.vars from .dev.vars.example on a fresh clone, so that local dev, preview
// and tests start with safe local defaults. An existing .dev.vars is never touched.
import { copyFileSync, existsSync } from "node:fs";

if (!existsSync(".dev.vars")) {
  copyFileSync(".dev.vars.example", ".dev.vars");
  console.log("Created .dev.vars from .dev.vars.example (local defaults).");
}
