import { cloudflare } from "@cloudflare/vite-plugin";
import { reactRouter } from "@react-router/dev/vite";
import tailwindcss from "@tailwindcss/vite";
import { defineConfig } from "vite";

// Fully offline: no usage metrics, and no fetch of the `request.cf` placeholder from
// Cloudflare (miniflare falls back to a default object, which is all local needs).
process.env.WRANGLER_SEND_METRICS ??= "false";
process.env.CLOUDFLARE_CF_FETCH_ENABLED ??= "false";

export default defineConfig({
  plugins: [
    // remoteBindings: false keeps dev and preview fully offline: AI and VECTORIZE are
    // never proxied to Cloudflare; the app uses its local adapters instead.
    cloudflare({
      viteEnvironment: { name: "ssr" },
      remoteBindings: false,
      // Local D1/R2/KV/DO state lives in .wrangler/state; e2e and benchmarks point
      // LORESMITH_STATE_DIR elsewhere so they never touch a developer's data.
      persistState: process.env.LORESMITH_STATE_DIR ? { path: process.env.LORESMITH_STATE_DIR } : true,
      // Servers of the e2e suite and the benchmarks need no debugger, and several may run
      // at once: the default inspector port (9229, then 9230) would collide.
      inspectorPort: process.env.LORESMITH_STATE_DIR ? false : undefined,
    }),
    tailwindcss(),
    reactRouter(),
  ],
  resolve: { tsconfigPaths: true },
  server: {
    // Local R2/KV/D1 writes land in .wrangler/state; watching them reloads the page.
    watch: { ignored: ["**/.wrangler/**", "**/test-results/**", "**/playwright-report/**"] },
  },
});
