import { createContext, useContext } from "react";

/** The per-request CSP nonce, for the few inline scripts React Router renders. */
const NonceContext = createContext("");

export const NonceProvider = NonceContext.Provider;

export function useNonce(): string {
  return useContext(NonceContext);
}
