import type { D1Migration } from "cloudflare:test";

// Bindings only the test pool adds (vitest.config.ts), beside the generated Env.
declare global {
  namespace Cloudflare {
    interface Env {
      TEST_MIGRATIONS: D1Migration[];
      /** wrangler.toml as written. */
      WRANGLER_TOML: string;
      /** The real 8-page SRD PDF from ../shared/corpus (read, never copied). */
      CORPUS_RACES_PDF: ArrayBuffer;
      /** The 182-page SRD monsters PDF: only in the proposals benchmark (bench/vitest.proposals.config.ts). */
      CORPUS_MONSTERS_PDF?: ArrayBuffer;
      /** The whole 664-page SRD PDF: only in the proposals benchmark. */
      CORPUS_ALL_PDF?: ArrayBuffer;
    }
  }
}
