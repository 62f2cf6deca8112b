import { describe, expect, it } from "vitest";
import { campaignSchema, characterSchema } from "~/lib/campaign-schemas";
import { createCampaign, getCampaignOverview } from "~/server/campaigns/campaigns.server";
import { createCharacter, SheetNotFoundError } from "~/server/campaigns/characters.server";
import {
  attachFile,
  detachFile,
  listAttachableFiles,
  listCampaignResources,
  listCampaignsWithoutFile,
} from "~/server/campaigns/resources.server";
import { campaignsUsingFile, deleteFile, uploadFile } from "~/server/files/files.server";
import type { Account, FileStores } from "~/server/files/library.server";
import { db, fileStores, newUser, ownerAccess, sessionCookieFor } from "./helpers";
import { callRoute, routeAt } from "./route-walk";

const stores: FileStores = fileStores();
const upload = async (account: Account, name: string, text: string) =>
  (await uploadFile(stores, account, { fileName: name, size: text.length, body: new Blob([text]).stream() })).file;

describe("campaign files", () => {
  it("attaches several files in one go from the Files tab, and none when one is not the GM's", async () => {
    const gm = await newUser();
    const stranger = await newUser("stranger");
    const campaign = await createCampaign(db, gm.username, campaignSchema.parse({ name: "Reef", status: "active" }));
    const [a, b] = [await upload(gm, "A.md", "# A"), await upload(gm, "B.md", "# B")];
    const theirs = await upload(stranger, "C.md", "# C");
    const post = async (keys: string[]) =>
      callRoute(routeAt("/campaigns/:campaignId/files"), "action", `http://localhost/campaigns/${campaign.id}/files`, {
        cookie: await sessionCookieFor(gm),
        params: { campaignId: campaign.id },
        form: [
          ["intent", "attach"],
          ["description", "Handouts"],
          ["audience", "gm"],
          ...keys.map((k) => ["fileKeys", k] as [string, string]),
        ],
      });
    const reader = await ownerAccess(gm, campaign);
    expect((await post([a.fileKey, theirs.fileKey]))?.status).toBe(404);
    expect(await listCampaignResources(db, reader)).toEqual([]);
    expect((await post([]))?.status).toBe(400);
    expect((await post([a.fileKey, b.fileKey]))?.status).toBe(302);
    expect((await listCampaignResources(db, reader)).map((r) => [r.fileName, r.description])).toEqual([
      ["A.md", "Handouts"],
      ["B.md", "Handouts"],
    ]);
  });

  it("attaches from either side with a note, lists, detaches, and never deletes the file", async () => {
    const gm = await newUser();
    const campaign = await createCampaign(db, gm.username, campaignSchema.parse({ name: "Tomb", status: "active" }));
    const other = await createCampaign(db, gm.username, campaignSchema.parse({ name: "Other", status: "active" }));
    const module = await upload(gm, "Tomb of Ash.md", "# The tomb");
    const handout = await upload(gm, "Handout.md", "# A letter");
    const reader = await ownerAccess(gm, campaign);

    expect((await listAttachableFiles(db, campaign)).map((f) => f.fileName)).toEqual(["Handout.md", "Tomb of Ash.md"]);
    await attachFile(db, campaign, module, { description: "Chapter 3 is the abbey", tags: ["module"] });
    await attachFile(db, campaign, module, { description: "Chapter 4 now", tags: [] }); // re-describes, no duplicate
    expect(await listCampaignResources(db, reader)).toMatchObject([
      { fileName: "Tomb of Ash.md", description: "Chapter 4 now" },
    ]);
    expect((await listAttachableFiles(db, campaign)).map((f) => f.fileName)).toEqual(["Handout.md"]);
    expect((await listCampaignsWithoutFile(db, module)).map((c) => c.name)).toEqual(["Other"]);
    expect((await campaignsUsingFile(db, gm.username, module.fileKey)).map((c) => c.name)).toEqual(["Tomb"]);
    expect((await getCampaignOverview(db, reader)).resources).toHaveLength(1);

    expect(await detachFile(db, other, module.fileKey)).toBe(false);
    expect(await detachFile(db, campaign, module.fileKey)).toBe(true);
    expect(await listCampaignResources(db, reader)).toEqual([]);
    expect((await listAttachableFiles(db, campaign)).map((f) => f.fileName)).toContain("Tomb of Ash.md");
    expect(handout.fileName).toBe("Handout.md");
  });

  it("refuses to link one user's campaign to another user's file", async () => {
    const gm = await newUser();
    const intruder = await newUser();
    const campaign = await createCampaign(
      db,
      intruder.username,
      campaignSchema.parse({ name: "Mine", status: "active" }),
    );
    const secret = await upload(gm, "secret.md", "# secret");
    await expect(attachFile(db, campaign, secret, { description: "", tags: [] })).rejects.toThrow();
    expect(await listAttachableFiles(db, campaign)).toEqual([]);
  });

  it("lets a character carry a sheet from the owner's library only, and forgets it when the file goes", async () => {
    const gm = await newUser();
    const intruder = await newUser();
    const campaign = await createCampaign(db, gm.username, campaignSchema.parse({ name: "Cast", status: "active" }));
    const sheet = await upload(gm, "vessa.json", '{"name": "Vessa"}');
    const foreign = await upload(intruder, "their.json", '{"name": "Theirs"}');
    const base = { characterName: "Vessa", characterType: "pc", status: "alive" };

    const vessa = await createCharacter(db, campaign, characterSchema.parse({ ...base, sheetFileKey: sheet.fileKey }));
    expect(vessa.sheetFileKey).toBe(sheet.fileKey);
    await expect(
      createCharacter(db, campaign, characterSchema.parse({ ...base, sheetFileKey: foreign.fileKey })),
    ).rejects.toBeInstanceOf(SheetNotFoundError);

    await deleteFile(stores, gm, sheet.fileKey);
    const after = await db.query.campaignCharacters.findFirst({ where: (c, { eq }) => eq(c.id, vessa.id) });
    expect(after?.sheetFileKey).toBeNull();
  });
});
