import { describe, expect, it } from "vitest";
import { apiOperations } from "~/server/api/v1/operations.server";
import { createConversation } from "~/server/assistant/conversations.server";
import { createCampaign } from "~/server/campaigns/campaigns.server";
import { createCharacter } from "~/server/campaigns/characters.server";
import { createContextEntry, getContextEntry } from "~/server/campaigns/context-entries.server";
import { getFile } from "~/server/files/files.server";
import { getUploadState, startMultipartUpload } from "~/server/files/multipart.server";
import { api, json, tokenFor } from "./api-helpers";
import { db, newUser, ownerAccess, services } from "./helpers";
import { storeFile } from "./ingest-helpers";

/**
 * The route-isolation walk for the public API: every /api/v1 operation, called with a
 * second account's all-scope token at the first account's campaign, entry, character,
 * conversation, file and upload, answers 404 — or, where it takes no id, answers nothing
 * of the first account's — and changes nothing of it. New operations join the walk by
 * being in apiOperations; one with a path parameter the walk does not know fails it.
 */

const MARKER = "quillwhistle";

async function victim() {
  const gm = await newUser("victim");
  const campaign = await createCampaign(db, gm.username, {
    name: `Victim ${MARKER}`,
    description: `The ${MARKER} campaign.`,
    status: "active",
    tags: [],
  });
  const entry = await createContextEntry(db, campaign, {
    contextType: "lore",
    title: `Lore ${MARKER}`,
    content: `The ${MARKER} is hidden in the well.`,
    tags: [],
    audience: "campaign",
  });
  const character = await createCharacter(db, campaign, {
    characterName: `Captain ${MARKER}`,
    characterType: "npc",
    status: "alive",
    backstory: "",
    stats: [],
    audience: "campaign",
  });
  const access = await ownerAccess(gm, campaign);
  const conversation = await createConversation(db, access);
  const file = await storeFile(gm.username, `${MARKER}.md`, new TextEncoder().encode(`# ${MARKER}\n`), "text/markdown");
  const upload = await startMultipartUpload(services.fileStores, gm, {
    fileName: `big-${MARKER}.pdf`,
    size: 30 * 1024 * 1024,
  });
  return { gm, campaign, entry, character, conversation, file, upload };
}

/** A body each operation accepts, so a refusal is about who asks, not what was sent. */
const VALID_BODIES: Record<string, unknown> = {
  createCampaign: { name: "Mine", status: "active" },
  updateCampaign: { name: "Taken", status: "active", version: 1 },
  createEntry: { contextType: "lore", title: "Planted", audience: "campaign" },
  updateEntry: { contextType: "lore", title: "Overwritten", audience: "campaign", version: 1 },
  createCharacter: { characterName: "Planted", characterType: "npc", status: "alive", audience: "campaign" },
  updateCharacter: {
    characterName: "Overwritten",
    characterType: "npc",
    status: "alive",
    audience: "campaign",
    version: 1,
  },
  updateFile: { description: "Overwritten", version: 1 },
  startUpload: { fileName: "mine.pdf", size: 20 * 1024 * 1024 },
  createConversation: { title: "Mine" },
  ask: { question: `Where is the ${MARKER}?` },
  uploadFile: new TextEncoder().encode("# Mine\n"),
  uploadPart: new Uint8Array(1024),
};

describe("the route-isolation walk over /api/v1", () => {
  it("every operation, under another account's token, answers 404 or nothing of the owner's", async () => {
    const a = await victim();
    const intruder = await newUser("intruder");
    await createCampaign(db, intruder.username, {
      name: "Intruder's own",
      description: "",
      status: "active",
      tags: [],
    });
    const { token } = await tokenFor(intruder);
    const ids: Record<string, string> = {
      campaignId: a.campaign.id,
      entryId: String(a.entry.id),
      characterId: String(a.character.id),
      conversationId: a.conversation.id,
      fileKey: a.file.fileKey,
      uploadId: a.upload.uploadId,
      partNumber: "1",
    };
    for (const operation of apiOperations) {
      const path = operation.path.replace(/\{(\w+)\}/g, (_, name: string) => {
        const id = ids[name];
        if (!id)
          throw new Error(`the walk does not know {${name}} (${operation.id}): add an id of the first account's`);
        return id;
      });
      const query = operation.id === "search" ? `?q=${MARKER}` : operation.id === "uploadFile" ? "?name=mine.md" : "";
      const response = await api(operation.method, `${path}${query}`, { token, body: VALID_BODIES[operation.id] });
      const label = `${operation.method} ${operation.path}`;
      const text = await response.text();
      if (operation.path.includes("{")) {
        expect(response.status, `${label}: ${text}`).toBe(404);
        expect(JSON.parse(text).error.code, label).toBe("not_found");
      } else {
        expect(response.status, `${label}: ${text}`).toBeLessThan(400);
      }
      // Search echoes the intruder's own query; what it found is what must hold nothing.
      const answered = operation.id === "search" ? JSON.stringify(JSON.parse(text).data) : text;
      expect(answered, label).not.toContain(MARKER);
      expect(text, label).not.toContain(a.campaign.id);
      expect(text, label).not.toContain(a.file.fileKey);
    }
    // Nothing of the owner's changed.
    const access = await ownerAccess(a.gm, a.campaign);
    expect((await getContextEntry(db, access, a.entry.id))?.title).toBe(`Lore ${MARKER}`);
    expect(await getFile(db, a.gm.username, a.file.fileKey)).toMatchObject({ description: "" });
    await expect(getUploadState(services.fileStores, a.gm, a.upload.uploadId)).resolves.toMatchObject({
      partsDone: [],
    });
    const own = await json(
      await api("GET", `/campaigns/${a.campaign.id}/entries`, { token: (await tokenFor(a.gm)).token }),
    );
    expect(own.data.map((e: { title: string }) => e.title)).toEqual([`Lore ${MARKER}`]);
  });
});
