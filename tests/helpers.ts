import { env } from "cloudflare:workers";
import { RouterContextProvider } from "react-router";
import { createAccount } from "~/server/auth/accounts.server";
import { sessionMiddleware } from "~/server/auth/middleware.server";
import { startSession } from "~/server/auth/sign-in.server";
import { cloudflareContext } from "~/server/context.server";
import type { Db } from "~/server/db/db.server";
import type { User } from "~/server/db/schema";
import type { FileStores, UploadLimits } from "~/server/files/files.server";
import { getRequestState } from "~/server/request.server";
import { createServices } from "~/server/services.server";

/** The app's own composition root over the test's bindings: nothing is wired by hand. */
export const services = createServices(env);
export const db: Db = services.db;
/** The user's UserFileTracker, as the app reaches it. */
export const trackerOf = services.tracker;

/** The file library as the app builds it, with the test's own limits. */
export function fileStores(limits: UploadLimits = { maxFileBytes: 1e7, maxUserBytes: 1e8 }): FileStores {
  return { ...services.fileStores, limits };
}

let counter = 0;
/** A username no other test uses (tests share one D1 per file). */
export function uniqueName(prefix = "gm"): string {
  counter += 1;
  return `${prefix}-${counter}-${crypto.randomUUID().slice(0, 8)}`;
}

export const PASSWORD = "correct horse battery staple";

export async function newUser(prefix?: string) {
  return createAccount(db, uniqueName(prefix), PASSWORD);
}

/** A fresh router context as the Worker entry builds it. */
export function newRouterContext(): RouterContextProvider {
  const context = new RouterContextProvider();
  context.set(cloudflareContext, { env, ctx: {} as ExecutionContext, cspNonce: "test-nonce" });
  return context;
}

/** A real session cookie for `user`, issued the way sign-in issues it. */
export async function sessionCookieFor(user: User): Promise<string> {
  const context = newRouterContext();
  const request = new Request("http://localhost/login");
  const response = (await sessionMiddleware({ request, context, params: {} } as never, async () =>
    startSession(getRequestState(context), user, false, "/home"),
  )) as Response;
  return response.headers.get("Set-Cookie")?.split(";")[0] ?? "";
}
