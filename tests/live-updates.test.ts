import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { deleteAccount } from "~/server/auth/accounts.server";
import { uploadFile } from "~/server/files/files.server";
import { fileStores, newUser, PASSWORD, services, sessionCookieFor } from "./helpers";

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
    const upload = (username: string, fileName: string) => {
      const bytes = new TextEncoder().encode(`# ${fileName}\n\nNotes.\n`);
      return uploadFile(stores, username, { fileName, size: bytes.length, body: new Blob([bytes]).stream() });
    };
    const mine = await upload(user.username, "mine.md");
    const theirs = await upload(other.username, "theirs.md");
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
    await upload(user.username, "more.md");
    await upload(other.username, "theirs too.md");
    expect(await more).toMatchObject({ type: "job", job: { fileName: "more.md", status: "queued" } });
    expect(
      received.filter((m) => m.job?.fileKey === theirs.file.fileKey || m.job?.fileName === "theirs too.md"),
    ).toEqual([]);
    ws.close(1000, "done");
  });

  it("stops accepting a session once its account is gone", async () => {
    const user = await newUser();
    const cookie = await sessionCookieFor(user);
    await deleteAccount(services, user.username, PASSWORD, "test-client");
    expect((await upgrade({ Cookie: cookie })).status).toBe(401);
  });
});
