import {
  createContext,
  createCookieSessionStorage,
  type MiddlewareFunction,
  type RouterContextProvider,
  redirect,
} from "react-router";
import { cloudflareContext } from "./context.server";
import { sessionSecret } from "./services.server";
import { cookieName, secureCookies } from "./sessions/session.server";

/**
 * One-shot success messages ("Campaign saved") carried across a redirect in a small
 * signed cookie — not in the KV session, so a toast costs no KV write.
 */
export interface Toast {
  /** Unique per toast, so the same message twice in a row still shows twice. */
  id: string;
  kind: "success" | "info";
  message: string;
}

function toastStorage(env: Env, requestUrl: string) {
  return createCookieSessionStorage<{ toast: Toast }>({
    cookie: {
      name: cookieName("toast", requestUrl),
      httpOnly: true,
      sameSite: "lax",
      path: "/",
      maxAge: 60,
      secure: secureCookies(requestUrl),
      secrets: [sessionSecret(env)],
    },
  });
}

const toastContext = createContext<Toast | null>(null);

/** Root middleware: reads a pending toast, and clears its cookie once it has been shown. */
export const toastMiddleware: MiddlewareFunction<Response> = async ({ request, context }, next) => {
  const cookie = request.headers.get("Cookie");
  const name = cookieName("toast", request.url);
  if (!cookie?.includes(`${name}=`)) return next();
  const storage = toastStorage(context.get(cloudflareContext).env, request.url);
  const session = await storage.getSession(cookie);
  context.set(toastContext, session.get("toast") ?? null);
  const response = await next();
  const setsToast = response.headers.getSetCookie().some((c) => c.startsWith(`${name}=`));
  if (!setsToast) response.headers.append("Set-Cookie", await storage.destroySession(session));
  return response;
};

export function getToast(context: Readonly<RouterContextProvider>): Toast | null {
  return context.get(toastContext);
}

export async function redirectWithToast(
  context: Readonly<RouterContextProvider>,
  request: Request,
  to: string,
  message: string,
): Promise<Response> {
  const storage = toastStorage(context.get(cloudflareContext).env, request.url);
  const session = await storage.getSession();
  session.set("toast", { id: crypto.randomUUID(), kind: "success", message });
  return redirect(to, { headers: { "Set-Cookie": await storage.commitSession(session) } });
}
