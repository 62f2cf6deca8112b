import { applyD1Migrations } from "cloudflare:test";
import { env } from "cloudflare:workers";

// Every test file starts from the real schema: the same migrations wrangler applies.
const { TEST_MIGRATIONS } = env;
await applyD1Migrations(env.DB, TEST_MIGRATIONS);
