import { env, exports } from "cloudflare:workers";
import { RouterContextProvider } from "react-router";
import { describe, expect, it } from "vitest";
import { deleteAccount } from "~/server/auth/accounts.server";
import { sessionMiddleware } from "~/server/auth/middleware.server";
import { startSession } from "~/server/auth/sign-in.server";
import { cloudflareContext } from "~/server/context.server";
import { getRequestState } from "~/server/request.server";
import { db, newUser, PASSWORD } from "./helpers";

const app = () => (exports as unknown as { default: Fetcher }).default;

async function sessionCookie(user: Awaited<ReturnType<typeof newUser>>): Promise<string> {
  const context = new RouterContextProvider();
  context.set(cloudflareContext, { env, ctx: {} as ExecutionContext, cspNonce: "n" });
  const request = new Request("http://localhost/login");
  const response = (await sessionMiddleware({ request, context, params: {} } as never, async () =>
    startSession(getRequestState(context), user, false, "/home"),
  )) as Response;
  return response.headers.get("Set-Cookie")?.split(";")[0] ?? "";
}

function upgrade(headers: Record<string, string>) {
  return app().fetch("http://localhost/ws", {
    headers: { Upgrade: "websocket", Origin: "http://localhost", ...headers },
  });
}

function nextMessage(ws: WebSocket): Promise<{ type: string; message: string }> {
  return new Promise((resolve) => {
    ws.addEventListener("message", (event) => resolve(JSON.parse(event.data as string)), { once: true });
  });
}

describe("live updates socket", () => {
  it("refuses a connection without a valid session", async () => {
    expect((await upgrade({})).status).toBe(401);
    expect((await upgrade({ Cookie: "__session=forged" })).status).toBe(401);
  });

  it("refuses a connection opened by another site (cross-site WebSocket hijacking)", async () => {
    const user = await newUser();
    const response = await upgrade({ Cookie: await sessionCookie(user), Origin: "https://evil.example" });
    expect(response.status).toBe(403);
  });

  it("joins a signed-in user to their own tracker, which greets and echoes", async () => {
    const user = await newUser();
    const response = await upgrade({ Cookie: await sessionCookie(user) });
    expect(response.status).toBe(101);
    const ws = response.webSocket;
    if (!ws) throw new Error("no WebSocket in the response");
    const hello = nextMessage(ws);
    ws.accept();
    expect(await hello).toEqual({ type: "hello", message: "connected" });
    const echo = nextMessage(ws);
    ws.send("ping");
    expect(await echo).toEqual({ type: "echo", message: "ping" });
    ws.close(1000, "done");
  });

  it("stops accepting a session once its account is gone", async () => {
    const user = await newUser();
    const cookie = await sessionCookie(user);
    await deleteAccount(
      { db, files: env.FILES, cache: env.CACHE, tracker: env.USER_FILE_TRACKER },
      user.username,
      PASSWORD,
      "test-client",
    );
    expect((await upgrade({ Cookie: cookie })).status).toBe(401);
  });
});
