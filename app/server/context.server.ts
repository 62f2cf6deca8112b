import { createContext } from "react-router";

/** What the Worker entry hands every request: bindings, execution context, CSP nonce. */
export interface CloudflareContext {
  env: Env;
  ctx: ExecutionContext;
  cspNonce: string;
}

export const cloudflareContext = createContext<CloudflareContext>();
