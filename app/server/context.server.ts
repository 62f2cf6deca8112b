import { createContext } from "react-router";
import type { MetricsRecorder } from "./metrics/recorder.server";

/** What the Worker entry hands every request: bindings, execution context, CSP nonce. */
export interface CloudflareContext {
  env: Env;
  ctx: ExecutionContext;
  cspNonce: string;
  /** What this request does to D1, KV and R2 (null: METRICS = "off"; ADR 0030). */
  metrics: MetricsRecorder | null;
}

export const cloudflareContext = createContext<CloudflareContext>();
