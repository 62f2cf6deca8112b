import { eq } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { quoteYaml, readFrontMatter, splitFrontMatter, writeFrontMatter } from "~/server/archives/front-matter.server";
import { crc32, zipChunks } from "~/server/archives/zip-writer.server";
import { createCampaign } from "~/server/campaigns/campaigns.server";
import { createCharacter } from "~/server/campaigns/characters.server";
import { createContextEntry } from "~/server/campaigns/context-entries.server";
import { addRelation } from "~/server/campaigns/relations.server";
import { attachFile } from "~/server/campaigns/resources.server";
import { reveal } from "~/server/campaigns/reveals.server";
import { withoutSecrets } from "~/server/campaigns/secrets.server";
import { createSession } from "~/server/campaigns/sessions.server";
import { type Campaign, campaignCharacters, campaignContext, campaignMembers, type User } from "~/server/db/schema";
import { getFile } from "~/server/files/files.server";
import { manifestOf, noteOf, textsOf, unzipResponse } from "./archive-helpers";
import { db, newUser, ownerAccess, sessionCookieFor } from "./helpers";
import { storeFile } from "./ingest-helpers";
import { callRoute, routeAt } from "./route-walk";

/**
 * Exports (ADR 0039): the archive's layout, its manifest, Markdown exactly as stored, the
 * files' bytes piped from R2, what a player's export holds, and the ZIP writer itself.
 * The archives are read back with fflate's reader, not ours.
 */

let owner: User;
let player: User;
let campaign: Campaign;
const bigFile = new Uint8Array(3 * 1024 * 1024).map((_, i) => (i * 7919) % 251);
let fileKeys: { shared: string; gm: string };

const TRICKY = 'The "Duke": of /Waterdeep\\ #1 [x] | ünïcødé ✨';

async function exportOf(user: User, query = "", id = campaign.id) {
  const response = await callRoute(
    routeAt("/campaigns/:campaignId/export/archive"),
    "loader",
    `http://localhost/campaigns/${id}/export/archive${query}`,
    { cookie: await sessionCookieFor(user), params: { campaignId: id } },
  );
  return response;
}

beforeAll(async () => {
  owner = await newUser("gm");
  player = await newUser("player");
  campaign = await createCampaign(db, owner.username, {
    name: "Saltmarsh: the sequel",
    description: "A harbour town. See [[Harbour gossip]].\n\n```secret\nThe town burns.\n```\n",
    status: "active",
    system: "D&D 5e",
    tags: ["coast"],
  });
  const gossip = await createContextEntry(db, campaign, {
    contextType: "lore",
    title: "Harbour gossip",
    content: "Sailors talk about [[Maren|the harbour master]].\n\n```secret\nMaren smuggles.\n```\n",
    tags: ["gossip", "harbour"],
    audience: "campaign",
  });
  await createContextEntry(db, campaign, {
    contextType: "location",
    title: TRICKY,
    content: "---\nNot front matter: a rule.\n---\r\nCRLF and trailing spaces   ",
    tags: [],
  });
  const lighthouse = await createContextEntry(db, campaign, {
    contextType: "location",
    title: "The Lighthouse",
    content: "",
    tags: [],
  });
  const maren = await createCharacter(db, campaign, {
    characterName: "Maren",
    aliases: ["The harbour master"],
    characterType: "npc",
    status: "alive",
    ancestry: "Human",
    level: 4,
    backstory: "Runs the harbour.",
    stats: [{ key: "AC", value: "14" }],
    audience: "campaign",
  });
  const rook = await createCharacter(db, campaign, {
    characterName: "Rook",
    characterType: "pc",
    status: "alive",
    playerName: "Sam",
    backstory: "A thief.",
    stats: [],
  });
  const shared = await storeFile(owner.username, "Harbour map.pdf", bigFile, "application/pdf");
  const gm = await storeFile(owner.username, "GM notes.md", new TextEncoder().encode("# Secret\n"), "text/markdown");
  for (const [stored, audience] of [
    [shared, "campaign"],
    [gm, "gm"],
  ] as const) {
    const row = await getFile(db, owner.username, stored.fileKey);
    if (!row) throw new Error("no file");
    await attachFile(db, campaign, row, { description: `about ${row.fileName}`, tags: [], audience });
  }
  fileKeys = { shared: shared.fileKey, gm: gm.fileKey };
  // Relations: shared between shared ends (a player's), for the GMs, and shared with a GM-only end.
  const m = { kind: "character", id: maren.id } as const;
  await addRelation(db, campaign, {
    from: m,
    to: { kind: "entry", id: gossip.id },
    type: "member_of",
    note: "shared",
    audience: "campaign",
  });
  await addRelation(db, campaign, {
    from: m,
    to: { kind: "entry", id: gossip.id },
    type: "custom",
    label: "started",
    inverseLabel: "started by",
    note: "gm-only relation",
  });
  await addRelation(db, campaign, {
    from: m,
    to: { kind: "entry", id: lighthouse.id },
    type: "located_in",
    note: "hidden end",
    audience: "campaign",
  });
  // Sessions: a shared one (its notes still the GMs'), and one for the GMs alone.
  await createSession(db, campaign, {
    number: 3,
    playedOn: "2026-11-20",
    title: "The bell",
    attendeeIds: [rook.id],
    guests: ["Ada"],
    notes: "GM session notes: the bell is cursed.",
    recap: "The bell rang.\n\n```secret\nrecap secret block\n```\n",
    audience: "campaign",
  });
  await createSession(db, campaign, {
    number: 4,
    playedOn: "2026-11-27",
    title: "Gm only session",
    attendeeIds: [],
    guests: [],
    notes: "",
    recap: "gm-only recap",
  });
  await db
    .insert(campaignMembers)
    .values({ campaignId: campaign.id, accountId: player.id, role: "player", addedBy: owner.id });
});

describe("a campaign's export", () => {
  it("is a zip of Markdown by kind, exact to the byte, with loresmith.json describing every row", async () => {
    const response = await exportOf(owner);
    expect(response?.headers.get("Content-Type")).toBe("application/zip");
    expect(response?.headers.get("Content-Disposition")).toMatch(/^attachment; filename=".*\.zip"/);
    expect(response?.headers.get("Cache-Control")).toBe("private, no-store");
    const texts = textsOf(await unzipResponse(response));
    expect(Object.keys(texts).sort()).toEqual(
      [
        "campaign.md",
        "characters/npcs/Maren.md",
        "characters/pcs/Rook.md",
        "locations/The -Duke-- of -Waterdeep- -1 -x- - ünïcødé ✨.md",
        "locations/The Lighthouse.md",
        "lore/Harbour gossip.md",
        "loresmith.json",
        "sessions/003 The bell.md",
        "sessions/004 Gm only session.md",
      ].sort(),
    );
    const manifest = manifestOf(texts);
    expect(manifest).toMatchObject({ format: "loresmith-archive", version: 2, scope: "campaign" });
    const [only] = manifest.campaigns;
    expect(only?.view).toBe("gm");
    expect(only?.campaign).toMatchObject({ name: "Saltmarsh: the sequel", status: "active", file: "campaign.md" });
    expect(only?.campaign.metadata).toEqual({ system: "D&D 5e", tags: ["coast"] });
    const entries = only?.sections.entries ?? [];
    expect(entries.map((e) => e.title)).toEqual(["Harbour gossip", TRICKY, "The Lighthouse"]);
    expect(entries[0]).toMatchObject({
      contextType: "lore",
      tags: ["gossip", "harbour"],
      audience: "campaign",
      version: 1,
    });
    expect(Object.keys(entries[0] ?? {}).sort()).toEqual(
      [
        "aliases",
        "audience",
        "contextType",
        "createdAt",
        "file",
        "id",
        "metadata",
        "tags",
        "title",
        "updatedAt",
        "version",
      ].sort(),
    );
    // Every row's Markdown file: its body is the stored text exactly, secret blocks and links included.
    const gossip = noteOf(texts["lore/Harbour gossip.md"]);
    expect(gossip.body).toBe("Sailors talk about [[Maren|the harbour master]].\n\n```secret\nMaren smuggles.\n```\n");
    expect(gossip.values).toMatchObject({ title: "Harbour gossip", type: "lore", tags: ["gossip", "harbour"] });
    const tricky = noteOf(texts[String(entries[1]?.file)]);
    expect(tricky.values.title).toBe(TRICKY);
    // Obsidian finds it by its exact title too.
    expect(tricky.values.aliases).toEqual([TRICKY]);
    expect(tricky.body).toBe("---\nNot front matter: a rule.\n---\r\nCRLF and trailing spaces   ");
    expect(noteOf(texts["locations/The Lighthouse.md"]).body).toBe("");
    expect(noteOf(texts["campaign.md"]).body).toContain("The town burns.");
    const maren = only?.sections.characters?.find((c) => c.characterName === "Maren");
    expect(maren).toMatchObject({
      characterType: "npc",
      audience: "campaign",
      details: { ancestry: "Human", level: 4, stats: [{ key: "AC", value: "14" }] },
      sheet: null,
    });
    expect(noteOf(texts["characters/npcs/Maren.md"]).values).toMatchObject({
      type: "npc",
      level: 4,
      stats: ["AC: 14"],
    });
    // Aliases: in the manifest and, for Obsidian, in the front matter.
    expect(maren?.aliases).toEqual(["The harbour master"]);
    expect(noteOf(texts["characters/npcs/Maren.md"]).values.aliases).toEqual(["The harbour master"]);
    // Relations name their ends by their files in the archive, never by ids.
    expect(only?.sections.relations).toEqual([
      expect.objectContaining({ from: "characters/npcs/Maren.md", to: "lore/Harbour gossip.md", type: "member_of" }),
      expect.objectContaining({ type: "custom", label: "started", inverseLabel: "started by", audience: "gm" }),
      expect.objectContaining({ to: "locations/The Lighthouse.md", type: "located_in", note: "hidden end" }),
    ]);
    // A session: front matter, the notes, the separator line, the recap (where it starts is in the manifest).
    const bell = only?.sections.sessions?.[0];
    expect(bell).toMatchObject({
      file: "sessions/003 The bell.md",
      notesLength: "GM session notes: the bell is cursed.".length,
      attendees: ["characters/pcs/Rook.md"],
      guests: ["Ada"],
      audience: "campaign",
    });
    const bellNote = noteOf(texts["sessions/003 The bell.md"]);
    expect(bellNote.values).toMatchObject({ type: "session", number: 3, attendees: ["Rook"], played_on: "2026-11-20" });
    expect(bellNote.body).toBe(
      "GM session notes: the bell is cursed.\n\n<!-- loresmith:recap -->\n## Recap\n\nThe bell rang.\n\n```secret\nrecap secret block\n```\n",
    );
    // Attachments are listed; their bytes only when asked for.
    expect(only?.sections.files?.map((f) => [f.fileName, f.audience, f.file])).toEqual([
      ["GM notes.md", "gm", null],
      ["Harbour map.pdf", "campaign", null],
    ]);
  });

  it("pipes the attached files' bytes from R2 into files/ when asked", async () => {
    const files = await unzipResponse(await exportOf(owner, "?files=1"));
    expect(files["files/Harbour map.pdf"]).toEqual(bigFile);
    expect(new TextDecoder().decode(files["files/GM notes.md"])).toBe("# Secret\n");
    const manifest = manifestOf(textsOf(files));
    expect(manifest.campaigns[0]?.sections.files?.map((f) => f.file)).toEqual([
      "files/GM notes.md",
      "files/Harbour map.pdf",
    ]);
  });

  it("arrives as a stream, a piece at a time, the 3 MB file in R2's chunks rather than whole", async () => {
    const response = await exportOf(owner, "?files=1");
    const reader = response?.body?.getReader();
    if (!reader) throw new Error("no body");
    let pieces = 0;
    let largest = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      pieces += 1;
      largest = Math.max(largest, value.byteLength);
    }
    expect(pieces).toBeGreaterThan(10);
    expect(largest).toBeLessThan(bigFile.length);
  });

  it("holds for a player only what is shared with them, in its public text", async () => {
    const texts = textsOf(await unzipResponse(await exportOf(player, "?files=1")));
    expect(Object.keys(texts).sort()).toEqual(
      [
        "campaign.md",
        "characters/npcs/Maren.md",
        "files/Harbour map.pdf",
        "lore/Harbour gossip.md",
        "loresmith.json",
        "sessions/003 The bell.md",
      ].sort(),
    );
    expect(noteOf(texts["lore/Harbour gossip.md"]).body).toBe(
      withoutSecrets("Sailors talk about [[Maren|the harbour master]].\n\n```secret\nMaren smuggles.\n```\n"),
    );
    expect(texts["lore/Harbour gossip.md"]).not.toContain("smuggles");
    expect(texts["campaign.md"]).not.toContain("burns");
    const manifest = manifestOf(texts);
    expect(manifest.campaigns[0]?.view).toBe("member");
    expect(manifest.campaigns[0]?.sections.files?.map((f) => f.fileKey)).toEqual([fileKeys.shared]);
    expect(JSON.stringify(texts)).not.toContain(fileKeys.gm);
    // Only the relation they see (the GMs' one and the one with a hidden end are not there), ends by file.
    expect(manifest.campaigns[0]?.sections.relations).toEqual([
      expect.objectContaining({ from: "characters/npcs/Maren.md", to: "lore/Harbour gossip.md", type: "member_of" }),
    ]);
    // Only the shared session, its recap's public text alone: no notes, no secret block, no hidden attendee.
    expect(manifest.campaigns[0]?.sections.sessions).toEqual([
      expect.objectContaining({ notesLength: null, attendees: [], audience: "campaign" }),
    ]);
    expect(noteOf(texts["sessions/003 The bell.md"]).body).toBe(
      withoutSecrets("The bell rang.\n\n```secret\nrecap secret block\n```\n"),
    );
    for (const hidden of ["GM session notes", "recap secret block", "gm-only", "hidden end", "started", "Rook"])
      expect(JSON.stringify(texts)).not.toContain(hidden);
  });

  it("answers 404 to someone not in the campaign, as every campaign route does", async () => {
    expect((await exportOf(await newUser("stranger")))?.status).toBe(404);
  });

  it("of the whole account holds every campaign it can open, each in its own folder", async () => {
    const other = await createCampaign(db, owner.username, {
      name: "Saltmarsh: the sequel",
      description: "",
      status: "planning",
      tags: [],
    });
    await createContextEntry(db, other, { contextType: "lore", title: "Harbour gossip", content: "Other.", tags: [] });
    const response = await callRoute(routeAt("/settings/export"), "loader", "http://localhost/settings/export", {
      cookie: await sessionCookieFor(owner),
      params: {},
    });
    const texts = textsOf(await unzipResponse(response));
    const manifest = manifestOf(texts);
    expect(manifest.scope).toBe("account");
    expect(manifest.campaigns.map((c) => c.campaign.file)).toEqual([
      "campaigns/Saltmarsh- the sequel/campaign.md",
      "campaigns/Saltmarsh- the sequel (2)/campaign.md",
    ]);
    expect(noteOf(texts["campaigns/Saltmarsh- the sequel (2)/lore/Harbour gossip.md"]).body).toBe("Other.");
  });

  it("gives a player none of what only the GMs' pages show: who a row is shared with, its metadata, its player's fields", async () => {
    // An entry accepted from a proposal keeps its source file in metadata; a GM-only row revealed to the player.
    const source = { source: { fileKey: fileKeys.gm, fileName: "GM notes.md" } };
    const revealed = await createContextEntry(db, campaign, {
      contextType: "lore",
      title: "Told to the player",
      content: "Only for them.",
      tags: [],
    });
    await db.update(campaignContext).set({ metadata: source }).where(eq(campaignContext.id, revealed.id));
    expect(
      await reveal(
        db,
        await ownerAccess(owner, campaign),
        { kind: "entry", id: String(revealed.id) },
        [player.id],
        null,
      ),
    ).toBe(1);
    await db
      .update(campaignCharacters)
      .set({ playerFields: ["backstory"] })
      .where(eq(campaignCharacters.campaignId, campaign.id));
    const forPlayer = manifestOf(textsOf(await unzipResponse(await exportOf(player))));
    const entries = forPlayer.campaigns[0]?.sections.entries ?? [];
    expect(entries.map((entry) => entry.title)).toContain("Told to the player");
    for (const entry of entries) expect(entry).toMatchObject({ audience: "campaign", metadata: {} });
    for (const character of forPlayer.campaigns[0]?.sections.characters ?? [])
      expect(character).toMatchObject({ audience: "campaign", playerFields: [] });
    expect(JSON.stringify(forPlayer)).not.toContain(fileKeys.gm);
    // The GMs' own archive keeps all of it.
    const forGm = manifestOf(textsOf(await unzipResponse(await exportOf(owner))));
    expect(forGm.campaigns[0]?.sections.entries?.find((entry) => entry.title === "Told to the player")).toMatchObject({
      audience: "gm",
      metadata: source,
    });
  });
});

describe("front matter", () => {
  it("reads back exactly any string it writes", () => {
    const strings = [
      "",
      "plain",
      "quotes \" and ' and \\ backslash",
      "colon: and # hash and - dash",
      "new\nlines\r\nand\ttabs",
      "  leading and trailing  ",
      "---",
      "ünïcødé ✨ 𝔘 emoji 🐉 and \u2028 \u2029 \u0085 \uFEFF",
      "\u0000\u0001\u001f\u007f control",
      "true",
      "123",
      "null",
      "[not, a, list]",
      "{not: a map}",
      "&anchor *alias !tag",
    ];
    for (let i = 0; i < 200; i++) {
      strings.push(
        String.fromCodePoint(...Array.from({ length: 12 }, () => Math.floor(Math.random() * 0x3000))).replace(
          /[\ud800-\udfff]/g,
          "x",
        ),
      );
    }
    for (const value of strings) {
      const text = `${writeFrontMatter({ title: value, tags: [value, "b"], n: 3, flag: true })}body`;
      const { frontMatter, body } = splitFrontMatter(text);
      expect(body).toBe("body");
      const read = readFrontMatter(frontMatter ?? "");
      expect(read.get("title"), JSON.stringify(value)).toBe(value);
      expect(read.get("tags")).toEqual([value, "b"]);
      expect(read.get("n")).toBe(3);
      expect(read.get("flag")).toBe(true);
      // One line each: no value can break out of its line.
      expect(quoteYaml(value)).not.toMatch(/[\n\r\u2028\u2029\u0085]/);
    }
  });
});

describe("the zip writer", () => {
  it("computes CRC-32 as ZIP does", () => {
    expect(crc32(new TextEncoder().encode("123456789"))).toBe(0xcbf43926);
  });

  it("writes ZIP64 end records past 65,535 entries", async () => {
    async function* many() {
      for (let i = 0; i < 70_000; i++) yield { name: `n/${i}.txt`, body: "x", compress: false };
    }
    const chunks: Uint8Array[] = [];
    for await (const chunk of zipChunks(many())) chunks.push(chunk);
    const tail = chunks.at(-1) ?? new Uint8Array();
    const view = new DataView(tail.buffer, tail.byteOffset, tail.byteLength);
    // ZIP64 end record, its locator, and the classic end record saying "see ZIP64".
    expect(view.getUint32(0, true)).toBe(0x06064b50);
    expect(Number(view.getBigUint64(24, true))).toBe(70_000);
    expect(view.getUint32(56, true)).toBe(0x07064b50);
    expect(view.getUint32(76, true)).toBe(0x06054b50);
    expect(view.getUint16(76 + 10, true)).toBe(0xffff);
  });
});
