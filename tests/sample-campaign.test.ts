import { and, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { createCampaign } from "~/server/campaigns/campaigns.server";
import { attachFile } from "~/server/campaigns/resources.server";
import {
  campaignCharacters,
  campaignContext,
  campaignRelations,
  campaignResources,
  campaignSessions,
  campaigns,
  fileMetadata,
  type User,
} from "~/server/db/schema";
import { getFile, uploadFile } from "~/server/files/files.server";
import { extractMarkdown, openPdf } from "~/server/ingest/extract.server";
import {
  HOUSE_RULES_TITLE,
  SAMPLE_NAME,
  sampleCharacters,
  sampleEntries,
  sampleQuestions,
  sampleSessions,
} from "~/server/sample/content.server";
import { addSampleCampaign, sampleCampaignId, sampleFiles } from "~/server/sample/sample-campaign.server";
import { search } from "~/server/search/search.server";
import { db, newUser, services, sessionCookieFor } from "./helpers";
import { callRoute, routeAt } from "./route-walk";

/**
 * The sample campaign (issue 17): one click adds a whole campaign made as an import makes
 * one, a second click (or two at once) never adds another, and removing it deletes what
 * adding it created and nothing else.
 */

const home = routeAt("/home");

async function post(user: User, intent: string) {
  return callRoute(home, "action", "http://localhost/home", {
    cookie: await sessionCookieFor(user),
    params: {},
    form: { intent },
  });
}

const filesOf = (user: User) =>
  db
    .select({ fileKey: fileMetadata.fileKey, fileName: fileMetadata.fileName })
    .from(fileMetadata)
    .where(eq(fileMetadata.username, user.username));

describe("the sample campaign", () => {
  it("is added in one click with its lore, characters, sessions, relations and attached house rules", async () => {
    const user = await newUser();
    const response = await post(user, "add-sample");
    expect(response?.status).toBe(302);
    const id = await sampleCampaignId(db, user.username);
    expect(response?.headers.get("Location")).toBe(`/campaigns/${id}`);
    if (!id) throw new Error("no sample campaign");
    const [campaign] = await db.select().from(campaigns).where(eq(campaigns.id, id));
    expect(campaign?.name).toBe(SAMPLE_NAME);
    expect(campaign?.metadata.nextSessionAt && campaign.metadata.nextSessionAt > new Date().toISOString()).toBe(true);

    const entries = await db.select().from(campaignContext).where(eq(campaignContext.campaignId, id));
    expect(entries.map((e) => e.title).sort()).toEqual(sampleEntries.map((e) => e.title).sort());
    // GM-only material stays GM-only, and secret blocks are cut from what players read.
    expect(entries.find((e) => e.title === "Why the bell rings")?.audience).toBe("gm");
    const chapel = entries.find((e) => e.title === "Drowned Chapel");
    expect(chapel?.content).toContain("air pocket");
    expect(chapel?.contentPublic).not.toContain("air pocket");

    const characters = await db.select().from(campaignCharacters).where(eq(campaignCharacters.campaignId, id));
    expect(characters).toHaveLength(sampleCharacters.length);
    expect(characters.find((c) => c.characterName === "Wren Ashdown")?.characterType).toBe("pc");
    const sessions = await db.select().from(campaignSessions).where(eq(campaignSessions.campaignId, id));
    expect(sessions.map((s) => s.title).sort()).toEqual(sampleSessions.map((s) => s.title).sort());
    expect(await db.$count(campaignRelations, eq(campaignRelations.campaignId, id))).toBe(4);

    const attached = await db.select().from(campaignResources).where(eq(campaignResources.campaignId, id));
    expect(attached.map((r) => r.fileName).sort()).toEqual([`${HOUSE_RULES_TITLE}.md`, `${HOUSE_RULES_TITLE}.pdf`]);
    for (const resource of attached) {
      expect((await getFile(db, user.username, resource.fileKey))?.sampleCampaignId).toBe(id);
    }
  });

  it("is never added twice, however many clicks arrive at once", async () => {
    const user = await newUser();
    const results = await Promise.all([1, 2, 3].map(() => addSampleCampaign(services, user)));
    expect(new Set(results.map((r) => r.campaignId)).size).toBe(1);
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(await db.$count(campaigns, and(eq(campaigns.username, user.username), eq(campaigns.sample, true)))).toBe(1);
    // A later click finds it.
    expect(await addSampleCampaign(services, user)).toEqual({ campaignId: results[0]?.campaignId, created: false });
  });

  it("is removed with the files it uploaded, keeping a file attached elsewhere and one that was already there", async () => {
    const user = await newUser();
    // The GM already had a file of the Markdown handout's name: it is attached, never replaced.
    const own = "# My own house rules\n\nNothing from the sample.\n";
    const mine = await uploadFile(services.fileStores, user, {
      fileName: `${HOUSE_RULES_TITLE}.md`,
      size: own.length,
      body: new Blob([own]).stream(),
    });
    const { campaignId } = await addSampleCampaign(services, user);
    const pdfName = `${HOUSE_RULES_TITLE}.pdf`;
    const pdf = (await filesOf(user)).find((f) => f.fileName === pdfName);
    expect(pdf).toBeDefined();
    expect((await getFile(db, user.username, mine.file.fileKey))?.currentVersion).toBe(1);

    const response = await post(user, "remove-sample");
    expect(response?.status).toBe(302);
    expect(await db.$count(campaigns, eq(campaigns.id, campaignId))).toBe(0);
    // The PDF it uploaded is gone; the GM's own file stays.
    expect((await filesOf(user)).map((f) => f.fileName)).toEqual([`${HOUSE_RULES_TITLE}.md`]);

    // Added again, with its PDF attached to a campaign of the GM's own: removing keeps that PDF.
    const again = await addSampleCampaign(services, user);
    const campaign = await createCampaign(db, user.username, {
      name: "Mine",
      description: "",
      status: "active",
      tags: [],
    });
    const newPdf = (await filesOf(user)).find((f) => f.fileName === pdfName);
    const pdfRow = newPdf && (await getFile(db, user.username, newPdf.fileKey));
    if (!pdfRow) throw new Error("no sample PDF");
    await attachFile(db, campaign, pdfRow, { description: "", tags: [] });
    await post(user, "remove-sample");
    expect(await db.$count(campaigns, eq(campaigns.id, again.campaignId))).toBe(0);
    expect((await filesOf(user)).map((f) => f.fileName).sort()).toEqual([`${HOUSE_RULES_TITLE}.md`, pdfName]);
  });

  it("removes nothing for an account without one, and nothing of another account's", async () => {
    const owner = await newUser();
    const other = await newUser();
    const { campaignId } = await addSampleCampaign(services, owner);
    expect((await post(other, "remove-sample"))?.status).toBe(302);
    expect(await db.$count(campaigns, eq(campaigns.id, campaignId))).toBe(1);
    expect(await filesOf(owner)).toHaveLength(2);
  });

  it("answers its suggested questions from its own material", async () => {
    const user = await newUser();
    const { campaignId } = await addSampleCampaign(services, user);
    const [markdown, pdf] = sampleFiles();
    if (!markdown || !pdf) throw new Error("the house rules");
    // The handout is a PDF any reader opens, with the Markdown file's words.
    const document = await openPdf(pdf.bytes.slice());
    const pdfText = (await document.pages(1, document.pageCount)).map((b) => b.text).join(" ");
    await document.close();
    const markdownText = extractMarkdown(new TextDecoder().decode(markdown.bytes))
      .map((b) => b.text)
      .join(" ");
    for (const text of [pdfText, markdownText]) expect(text).toMatch(/lantern lit for four hours/);
    // Its headings are in larger type, so its passage on lantern oil is the Markdown file's,
    // under the same heading: one result, also found in the PDF (at its page).
    const oil = await search(services.search, user, { query: "lantern oil", k: 10 });
    const rule = oil.results.filter((r) => r.title === "Lantern oil");
    expect(rule).toHaveLength(1);
    expect(rule[0]?.source.kind === "chunk" && rule[0].source.fileName).toBe(markdown.fileName);
    expect(rule[0]?.alsoIn).toEqual([expect.objectContaining({ fileName: pdf.fileName, page: 1 })]);
    // The questions the entries answer are found there by search, first or second.
    const [campaign] = await db.select().from(campaigns).where(eq(campaigns.id, campaignId));
    if (!campaign) throw new Error("no sample campaign");
    for (const question of sampleQuestions.filter((q) => !/oil/.test(q))) {
      const page = await search(services.search, user, {
        query: question,
        k: 5,
        campaign: { campaign, role: "owner", account: user },
      });
      const top = page.results.slice(0, 2).map((r) => `${r.title} ${r.text}`);
      const answer = {
        "What happens when the bell rings?": /shutter|sleep/i,
        "Who leads the Lantern Wardens?": /Isel Varrow/,
        "What does the Tidewrit do?": /silences any bell/,
      }[question];
      expect(
        top.some((t) => answer?.test(t)),
        question,
      ).toBe(true);
    }
  });
});
