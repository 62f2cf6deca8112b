import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { changePassword, deleteAccount } from "~/server/auth/accounts.server";
import { closeDeviceSockets, endSession } from "~/server/auth/sign-in.server";
import { uploadFile } from "~/server/files/files.server";
import { db, fileStores, newUser, PASSWORD, services, sessionCookieFor, signIn, withSession } from "./helpers";

const app = () => exports.default;

function upgrade(headers: Record<string, string>) {
  return app().fetch("http://localhost/ws", {
    headers: { Upgrade: "websocket", Origin: "http://localhost", ...headers },
  });
}

function nextMessage(ws: WebSocket): Promise<unknown> {
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
    const response = await upgrade({ Cookie: await sessionCookieFor(user), Origin: "https://evil.example" });
    expect(response.status).toBe(403);
  });

  it("joins a signed-in user to their own tracker, which sends their jobs and then every change", async () => {
    const user = await newUser();
    const other = await newUser();
    const stores = fileStores({ maxFileBytes: 1e6, maxUserBytes: 1e7 });
    const upload = (account: typeof user, fileName: string) => {
      const bytes = new TextEncoder().encode(`# ${fileName}\n\nNotes.\n`);
      return uploadFile(stores, account, { fileName, size: bytes.length, body: new Blob([bytes]).stream() });
    };
    const mine = await upload(user, "mine.md");
    const theirs = await upload(other, "theirs.md");
    const response = await upgrade({ Cookie: await sessionCookieFor(user) });
    expect(response.status).toBe(101);
    const ws = response.webSocket;
    if (!ws) throw new Error("no WebSocket in the response");
    const snapshot = nextMessage(ws);
    ws.accept();
    const first = (await snapshot) as { type: string; jobs: { fileKey: string }[] };
    expect(first.type).toBe("snapshot");
    expect(first.jobs.map((j) => j.fileKey)).toEqual([mine.file.fileKey]);
    // A change to one of this user's files arrives as it happens; other users' never do.
    const received: { type: string; job?: { fileKey: string; fileName: string; status: string } }[] = [];
    const more = new Promise((resolve) =>
      ws.addEventListener("message", (event) => {
        const message = JSON.parse(event.data as string);
        received.push(message);
        if (message.job?.fileName === "more.md") resolve(message);
      }),
    );
    await upload(user, "more.md");
    await upload(other, "theirs too.md");
    expect(await more).toMatchObject({ type: "job", job: { fileName: "more.md", status: "queued" } });
    expect(
      received.filter((m) => m.job?.fileKey === theirs.file.fileKey || m.job?.fileName === "theirs too.md"),
    ).toEqual([]);
    ws.close(1000, "done");
  });

  it("stops accepting a session once its account is gone", async () => {
    const user = await newUser();
    const cookie = await sessionCookieFor(user);
    await deleteAccount(services, user, PASSWORD, { clientId: "test-client", knownDevice: null });
    expect((await upgrade({ Cookie: cookie })).status).toBe(401);
  });

  it("closes a device's sockets the moment it signs out, and every socket when the password changes", async () => {
    const user = await newUser();
    const open = async (cookie: string) => {
      const response = await upgrade({ Cookie: cookie });
      const ws = response.webSocket;
      if (!ws) throw new Error(`no WebSocket (status ${response.status})`);
      const closed = new Promise<number>((resolve) => ws.addEventListener("close", (event) => resolve(event.code)));
      ws.accept();
      return { ws, closed };
    };
    const [laptop, phone] = [await signIn(user), await signIn(user)];
    const [a, b] = [await open(laptop), await open(phone)];
    // Signing the laptop out closes its socket, not the phone's.
    await withSession(laptop, async (state) => new Response(null, { headers: await endSession(state, services) }));
    expect(await a.closed).toBe(4001);
    const third = await open(await signIn(user));
    await changePassword(db, user, PASSWORD, "an entirely new password", { clientId: "x", knownDevice: null }).then(
      ({ signedOut }) => closeDeviceSockets(services, user, signedOut),
    );
    expect(await b.closed).toBe(4001);
    expect(await third.closed).toBe(4001);
    expect((await upgrade({ Cookie: phone })).status).toBe(401);
  });
});
