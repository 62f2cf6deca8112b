import { describe, expect, it } from "vitest";
import type { MemberRole } from "~/lib/members";
import { createConversation } from "~/server/assistant/conversations.server";
import { createCampaign } from "~/server/campaigns/campaigns.server";
import { createInvite, joinWithInvite } from "~/server/campaigns/members.server";
import { type CampaignAccess, campaignAccess } from "~/server/campaigns/policy.server";
import type { User } from "~/server/db/schema";
import { db, newUser, ownerAccess, sessionCookieFor } from "./helpers";
import { callRoute, routeAt } from "./route-walk";

const chatRoute = routeAt("/campaigns/:campaignId/assistant/:chatId");
const indexRoute = routeAt("/campaigns/:campaignId/assistant");
const askApi = routeAt("/api/campaigns/:campaignId/chats/:chatId/ask");

interface ChatPage {
  conversation: { title: string; sharedWithGms: boolean; sharedBy: string | null };
  mayKeepAnswers: boolean;
  messages: { role: string; content: string }[];
}
interface AssistantPage {
  conversations: { id: string; sharedWithGms: boolean }[];
  shared: { id: string; title: string; username: string }[];
}

async function table() {
  const gm = await newUser("gm");
  const coGm = await newUser("cogm");
  const player = await newUser("player");
  const other = await newUser("other");
  const campaign = await createCampaign(db, gm.username, {
    name: "Asked at the table",
    description: "",
    status: "active",
    tags: [],
  });
  const asOwner = (await ownerAccess(gm, campaign)) as CampaignAccess;
  const roles: [User, MemberRole][] = [
    [coGm, "co-gm"],
    [player, "player"],
    [other, "player"],
  ];
  for (const [person, role] of roles) {
    const { token } = await createInvite(db, asOwner, { role, lifetimeDays: 7, maxUses: 1 });
    await joinWithInvite(db, person, token);
  }
  const asPlayer = (await campaignAccess(db, player, campaign.id)) as CampaignAccess;
  const chat = await createConversation(db, asPlayer);
  const params = { campaignId: campaign.id, chatId: chat.id };
  const url = `http://localhost/campaigns/${campaign.id}/assistant/${chat.id}`;
  const as = async (user: User) => ({ cookie: await sessionCookieFor(user), params });
  const open = async (user: User) => callRoute(chatRoute, "loader", url, await as(user));
  const post = async (user: User, form: Record<string, string>) =>
    callRoute(chatRoute, "action", url, { ...(await as(user)), form });
  const assistantPage = async (user: User) =>
    (await (
      await callRoute(indexRoute, "loader", `http://localhost/campaigns/${campaign.id}/assistant`, await as(user))
    )?.json()) as AssistantPage;
  return { gm, coGm, player, other, chat, open, post, assistantPage, params, campaign };
}

describe("a player's conversation with the assistant", () => {
  it("is theirs alone until they share it; then the GMs read it, and only read it", async () => {
    const { gm, coGm, player, other, chat, open, post, assistantPage } = await table();
    // Asked without JavaScript: the question and its answer are saved in the conversation.
    expect((await post(player, { intent: "ask", question: "Where did we leave the crown?" }))?.status).toBe(302);
    expect((await post(player, { intent: "rename", title: "The crown" }))?.status).toBe(302);

    for (const someone of [gm, coGm, other]) expect((await open(someone))?.status).toBe(404);
    expect((await assistantPage(gm)).shared).toEqual([]);

    expect((await post(player, { intent: "share", shared: "1" }))?.status).toBe(302);
    for (const gmOf of [gm, coGm]) {
      const page = (await (await open(gmOf))?.json()) as ChatPage;
      expect(page.conversation).toMatchObject({ title: "The crown", sharedBy: player.username });
      expect(page.messages.map((message) => message.role)).toEqual(["user", "assistant"]);
      expect(page.messages[0]?.content).toBe("Where did we leave the crown?");
      // Reading a player's conversation does not make its answers the GM's to keep.
      expect(page.mayKeepAnswers).toBe(false);
      expect((await assistantPage(gmOf)).shared).toEqual([
        expect.objectContaining({ id: chat.id, title: "The crown", username: player.username }),
      ]);
    }
    expect((await open(other))?.status).toBe(404);
    expect((await assistantPage(other)).shared).toEqual([]);
    expect((await assistantPage(player)).conversations).toEqual([
      expect.objectContaining({ id: chat.id, sharedWithGms: true }),
    ]);
    const own = (await (await open(player))?.json()) as ChatPage;
    expect(own.conversation.sharedBy).toBeNull();

    // Nobody else writes in it: not asking, renaming, unsharing or deleting it.
    const writes: Record<string, string>[] = [
      { intent: "ask", question: "Is the crown cursed?" },
      { intent: "rename", title: "Mine now" },
      { intent: "share", shared: "0" },
      { intent: "delete" },
    ];
    for (const form of writes) {
      expect((await post(gm, form))?.status).toBe(404);
    }
  });

  it("asking in a shared conversation over the API is the player's alone", async () => {
    const { gm, player, post, params, campaign, chat } = await table();
    await post(player, { intent: "share", shared: "1" });
    const answer = await callRoute(
      askApi,
      "action",
      `http://localhost/api/campaigns/${campaign.id}/chats/${chat.id}/ask`,
      {
        cookie: await sessionCookieFor(gm),
        params,
        form: { question: "What did they ask?" },
      },
    );
    expect(answer?.status).toBe(404);
  });

  it("stops being readable the moment the player takes it back, and a bad share form changes nothing", async () => {
    const { gm, player, open, post } = await table();
    await post(player, { intent: "share", shared: "1" });
    expect((await open(gm))?.status).toBe(200);
    expect((await post(player, { intent: "share", shared: "yes" }))?.status).toBe(400);
    expect((await open(gm))?.status).toBe(200);
    expect((await post(player, { intent: "share", shared: "0" }))?.status).toBe(302);
    expect((await open(gm))?.status).toBe(404);
  });

  it("a GM keeps answers from their own conversations; a player never", async () => {
    const { gm, player, campaign, open } = await table();
    const asOwner = (await campaignAccess(db, gm, campaign.id)) as CampaignAccess;
    const gmChat = await createConversation(db, asOwner);
    const page = await callRoute(
      chatRoute,
      "loader",
      `http://localhost/campaigns/${campaign.id}/assistant/${gmChat.id}`,
      { cookie: await sessionCookieFor(gm), params: { campaignId: campaign.id, chatId: gmChat.id } },
    );
    expect(((await page?.json()) as ChatPage | undefined)?.mayKeepAnswers).toBe(true);
    expect(((await (await open(player))?.json()) as ChatPage | undefined)?.mayKeepAnswers).toBe(false);
  });
});
