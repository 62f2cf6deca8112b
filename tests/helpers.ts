import { env } from "cloudflare:workers";
import { RouterContextProvider } from "react-router";
import { createAccount } from "~/server/auth/accounts.server";
import { sessionMiddleware } from "~/server/auth/middleware.server";
import { startSession } from "~/server/auth/sign-in.server";
import { type CampaignAccess, campaignAccess } from "~/server/campaigns/policy.server";
import { cloudflareContext } from "~/server/context.server";
import type { Db } from "~/server/db/db.server";
import type { Campaign, User } from "~/server/db/schema";
import type { FileStores, UploadLimits } from "~/server/files/library.server";
import type { MetricsRecorder } from "~/server/metrics/recorder.server";
import { getRequestState, type RequestState } from "~/server/request.server";
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

/** A fresh router context as the Worker entry builds it (with a recorder: as with METRICS on). */
export function newRouterContext(metrics: MetricsRecorder | null = null): RouterContextProvider {
  const context = new RouterContextProvider();
  context.set(cloudflareContext, { env, ctx: {} as ExecutionContext, cspNonce: "test-nonce", metrics });
  return context;
}

/**
 * Runs the root session middleware (services, session, signed-in user) around `handler`,
 * as React Router does for every request; answers the state it set up and the response.
 */
export async function withSession(
  cookie: string | null,
  handler?: (state: RequestState, request: Request, context: RouterContextProvider) => Promise<Response>,
  init: { url?: string; headers?: Record<string, string>; method?: string } = {},
) {
  const context = newRouterContext();
  const request = new Request(init.url ?? "http://localhost/", {
    method: init.method ?? "GET",
    headers: { ...(cookie ? { Cookie: cookie } : {}), ...init.headers },
  });
  let state: RequestState | undefined;
  const response = (await sessionMiddleware(
    { request, context, params: {}, unstable_pattern: "/" } as never,
    async () => {
      state = getRequestState(context);
      return handler ? handler(state, request, context) : new Response("ok");
    },
  )) as Response;
  if (!state) throw new Error("middleware did not call next()");
  return { state, response };
}

/** The `name=value` pairs a response sets, for the next request's Cookie header. */
export function cookiesOf(response: Response): string {
  return response.headers
    .getSetCookie()
    .map((c) => c.split(";")[0])
    .join("; ");
}

/** Signs `user` in the way the sign-in form does; answers the cookies a browser would keep. */
export async function signIn(user: User, { remember = false, userAgent = "" } = {}): Promise<string> {
  const { response } = await withSession(
    null,
    async (state, request) =>
      new Response(null, { headers: await startSession(state, services, user, { remember, request }) }),
    { headers: { "User-Agent": userAgent } },
  );
  return cookiesOf(response);
}

/** A real session cookie for `user`, issued the way sign-in issues it. */
export async function sessionCookieFor(user: User): Promise<string> {
  return signIn(user);
}

/** The campaign as its owner opens it: what a campaign's loaders get from the policy. */
export async function ownerAccess(owner: User, campaign: Campaign): Promise<CampaignAccess> {
  const access = await campaignAccess(db, owner, campaign.id);
  if (access?.role !== "owner") throw new Error(`${owner.username} does not own ${campaign.name}`);
  return access;
}

/** A body that arrives in several chunks, like a network stream. */
export function chunkedStream(bytes: Uint8Array, chunk: number): ReadableStream<Uint8Array> {
  let offset = 0;
  return new ReadableStream({
    pull(controller) {
      if (offset >= bytes.length) return controller.close();
      controller.enqueue(bytes.slice(offset, offset + chunk));
      offset += chunk;
    },
  });
}
