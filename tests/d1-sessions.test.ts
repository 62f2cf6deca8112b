import type { RouterContextProvider } from "react-router";
import { describe, expect, it } from "vitest";
import { createCampaign, getCampaign } from "~/server/campaigns/campaigns.server";
import { bookmarkOf } from "~/server/db/d1-session.server";
import { getServices } from "~/server/request.server";
import { cookiesOf, newUser, sessionCookieFor, withSession } from "./helpers";

const bookmarkCookie = (response: Response) => response.headers.getSetCookie().find((c) => c.startsWith("__d1="));

/** D1's Sessions API (ADR 0031): locally one database, so it must behave exactly as before. */
describe("D1 sessions with the device's bookmark", () => {
  it("hands a writing request's bookmark to the device, and the next request reads from it", async () => {
    const gm = await newUser();
    const cookie = await sessionCookieFor(gm);
    let campaignId = "";
    const { response } = await withSession(
      cookie,
      async (_state, _request, context) => {
        ({ id: campaignId } = await createCampaign(getServices(context).db, gm.username, {
          name: "The Sunken Crown",
          description: "",
          status: "active",
        } as never));
        return new Response(null, { status: 302, headers: { Location: "/campaigns" } });
      },
      { method: "POST" },
    );
    const set = bookmarkCookie(response);
    expect(set).toMatch(/HttpOnly/);
    expect(set).toMatch(/SameSite=Lax/);
    const next = `${cookie}; ${cookiesOf(response)}`;
    const bookmark = await bookmarkOf(new Request("http://localhost/", { headers: { Cookie: next } }));
    expect(bookmark).toMatch(/^[\w-]+$/);

    // The read after the redirect starts at that bookmark and sees the write.
    const { response: page } = await withSession(next, async (_state, _request, context) => {
      const { db, d1Bookmark } = getServices(context);
      const campaign = await getCampaign(db, gm.username, campaignId);
      expect(d1Bookmark()).not.toBeNull();
      return Response.json(campaign?.name ?? null);
    });
    expect(await page.json()).toBe("The Sunken Crown");
    // A read does not hand out a new bookmark.
    expect(bookmarkCookie(page)).toBeUndefined();
  });

  it("gives no bookmark to an anonymous client's writes, nor to a refusal", async () => {
    const write = (status: number) => async (_state: unknown, _request: Request, context: RouterContextProvider) => {
      const gm = await newUser();
      await createCampaign(getServices(context).db, gm.username, {
        name: "Elsewhere",
        description: "",
        status: "active",
      } as never);
      return new Response(null, { status });
    };
    const anonymous = await withSession(null, write(302), { method: "POST" });
    expect(bookmarkCookie(anonymous.response)).toBeUndefined();
    const refused = await withSession(await sessionCookieFor(await newUser()), write(429), { method: "POST" });
    expect(bookmarkCookie(refused.response)).toBeUndefined();
  });

  it("ignores a bookmark cookie that is not one, and serves the request", async () => {
    const gm = await newUser();
    const cookie = `${await sessionCookieFor(gm)}; __d1=${encodeURIComponent(btoa(JSON.stringify("not a bookmark!")))}`;
    expect(await bookmarkOf(new Request("http://localhost/", { headers: { Cookie: cookie } }))).toBeNull();
    const { response, state } = await withSession(cookie, async () => new Response("ok"));
    expect(state.user?.id).toBe(gm.id);
    expect(response.status).toBe(200);
  });
});
