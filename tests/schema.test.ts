import { eq, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import {
  campaignCharacters,
  campaignContext,
  campaignResources,
  campaigns,
  chatMessages,
  chatSessions,
  fileMetadata,
} from "~/server/db/schema";
import { db, newUser } from "./helpers";

const ftsIds = async (table: string, query: string) =>
  (await db.all<{ rowid: number }>(sql.raw(`SELECT rowid FROM ${table} WHERE ${table} MATCH '${query}'`))).map(
    (row) => row.rowid,
  );

describe("data model", () => {
  it("keeps the context and character FTS indexes current on insert, update and delete", async () => {
    const user = await newUser();
    const campaignId = crypto.randomUUID();
    await db.insert(campaigns).values({ id: campaignId, username: user.username, name: "Curse of the Reef" });
    const [entry] = await db
      .insert(campaignContext)
      .values({ campaignId, title: "Saltmarsh", content: "Smugglers in the marsh", contextType: "location" })
      .returning();
    const [npc] = await db
      .insert(campaignCharacters)
      .values({ campaignId, characterName: "Captain Vessa", backstory: "Sails the reefs" })
      .returning();
    if (!entry || !npc) throw new Error("insert failed");

    expect(await ftsIds("campaign_context_fts", "smugglers")).toContain(entry.id);
    expect(await ftsIds("campaign_characters_fts", "vessa")).toContain(npc.id);

    await db.update(campaignContext).set({ content: "Pirates in the marsh" }).where(eq(campaignContext.id, entry.id));
    expect(await ftsIds("campaign_context_fts", "smugglers")).not.toContain(entry.id);
    expect(await ftsIds("campaign_context_fts", "pirates")).toContain(entry.id);

    await db.delete(campaignCharacters).where(eq(campaignCharacters.id, npc.id));
    expect(await ftsIds("campaign_characters_fts", "vessa")).not.toContain(npc.id);
  });

  it("deleting a campaign removes its entries, characters, links and chats but keeps library files", async () => {
    const user = await newUser();
    const campaignId = crypto.randomUUID();
    const fileKey = crypto.randomUUID();
    await db.insert(campaigns).values({ id: campaignId, username: user.username, name: "Tomb of Ash" });
    await db.insert(fileMetadata).values({ fileKey, username: user.username, fileName: "tomb.pdf" });
    await db.insert(campaignContext).values({ campaignId, title: "Altar", content: "phylactery" });
    await db.insert(campaignCharacters).values({ campaignId, characterName: "Acererak" });
    await db.insert(campaignResources).values({ campaignId, fileKey, fileName: "tomb.pdf" });
    await db.insert(chatSessions).values({ id: crypto.randomUUID(), campaignId, username: user.username });
    const [chat] = await db.select().from(chatSessions).where(eq(chatSessions.campaignId, campaignId));
    await db
      .insert(chatMessages)
      .values({ id: crypto.randomUUID(), sessionId: chat?.id ?? "", role: "user", content: "?" });

    await db.delete(campaigns).where(eq(campaigns.id, campaignId));

    for (const table of [campaignContext, campaignCharacters, campaignResources, chatSessions]) {
      expect(await db.select().from(table).where(eq(table.campaignId, campaignId))).toHaveLength(0);
    }
    expect(
      await db
        .select()
        .from(chatMessages)
        .where(eq(chatMessages.sessionId, chat?.id ?? "")),
    ).toHaveLength(0);
    expect(await db.select().from(fileMetadata).where(eq(fileMetadata.fileKey, fileKey))).toHaveLength(1);
    expect(await ftsIds("campaign_context_fts", "phylactery")).toHaveLength(0);
  });

  it("refuses values outside the allowed statuses and types", async () => {
    const user = await newUser();
    await expect(
      db
        .insert(campaigns)
        .values({ id: crypto.randomUUID(), username: user.username, name: "x", status: "lost" as never }),
    ).rejects.toThrow();
    await expect(
      db.insert(campaigns).values({ id: crypto.randomUUID(), username: "nobody-here", name: "x" }),
    ).rejects.toThrow();
  });
});
