import { and, eq, sql } from "drizzle-orm";
import { zipSync } from "fflate";
import { beforeAll, describe, expect, it } from "vitest";
import { MAX_IMPORT_BYTES } from "~/lib/archives";
import { readFrontMatter, UNSUPPORTED } from "~/server/archives/front-matter.server";
import { createFromImport, previewImport } from "~/server/archives/import.server";
import { RECAP_SEPARATOR } from "~/server/archives/manifest.server";
import { type ZipSource, zipChunks } from "~/server/archives/zip-writer.server";
import { createCampaign } from "~/server/campaigns/campaigns.server";
import { createCharacter } from "~/server/campaigns/characters.server";
import { createContextEntry } from "~/server/campaigns/context-entries.server";
import { addRelation } from "~/server/campaigns/relations.server";
import { attachFile } from "~/server/campaigns/resources.server";
import { createSession } from "~/server/campaigns/sessions.server";
import { DEFAULT_ROW_LIMITS, QuotaExceeded } from "~/server/db/quota.server";
import {
  campaignCharacters,
  campaignContext,
  campaignRelations,
  campaignSessions,
  campaigns,
  type User,
} from "~/server/db/schema";
import { getFile } from "~/server/files/files.server";
import { bodyLimitFor, limitBody } from "~/server/http/body-limits.server";
import { type ManifestJson, manifestOf, textsOf, unzipResponse } from "./archive-helpers";
import { db, newUser, sessionCookieFor } from "./helpers";
import { storeFile } from "./ingest-helpers";
import { callRoute, routeAt } from "./route-walk";

/**
 * Imports (ADR 0039): our own archive comes back losslessly (export → import → export is
 * the same archive but for what must change, listed in `comparable`); an Obsidian vault
 * maps by front matter, tags and folders, with what cannot be imported listed; and every
 * bad archive is refused as a whole, with a message, leaving nothing behind.
 */

const encode = (text: string) => new TextEncoder().encode(text);
const route = routeAt("/campaigns/import");

async function exportBytes(user: User, campaignId: string): Promise<Uint8Array> {
  const response = await callRoute(
    routeAt("/campaigns/:campaignId/export/archive"),
    "loader",
    `http://localhost/campaigns/${campaignId}/export/archive`,
    { cookie: await sessionCookieFor(user), params: { campaignId } },
  );
  if (response?.status !== 200) throw new Error(`export answered ${response?.status}`);
  return new Uint8Array(await response.arrayBuffer());
}

/** Upload, then confirm, through the route as a browser without JavaScript does. */
async function importThroughRoute(
  user: User,
  bytes: Uint8Array,
  fileName = "archive.zip",
  extra: Record<string, string> = {},
) {
  const cookie = await sessionCookieFor(user);
  const form = new FormData();
  form.set("intent", "upload");
  form.set("archive", new File([bytes as Uint8Array<ArrayBuffer>], fileName, { type: "application/zip" }));
  const uploaded = await callRoute(route, "action", "http://localhost/campaigns/import", {
    cookie,
    params: {},
    multipart: form,
  });
  const preview = (await uploaded?.json()) as { phase: string; staged: string; message?: string };
  if (preview.phase !== "preview") return { preview, created: null };
  const created = await callRoute(route, "action", "http://localhost/campaigns/import", {
    cookie,
    params: {},
    form: { intent: "create", staged: preview.staged, ...extra },
  });
  return { preview, created };
}

/** Everything of an archive that must stay the same through an import. */
function comparable(files: Record<string, string>) {
  const manifest: ManifestJson = manifestOf(files);
  // What must change: when it was exported; the new campaign's id, creation and update times and version
  // (it is a new campaign, created now); and every row's id (new rows). Nothing else.
  const { exportedAt: _exportedAt, ...head } = manifest;
  const campaignsPart = manifest.campaigns.map(({ campaign, ...rest }) => {
    const { id: _id, createdAt: _c, updatedAt: _u, version: _v, ...kept } = campaign;
    return {
      ...rest,
      campaign: kept,
      sections: Object.fromEntries(
        Object.entries(rest.sections).map(([key, rows]) => [key, rows.map(({ id: _rowId, ...row }) => row)]),
      ),
    };
  });
  const markdown = Object.fromEntries(
    Object.entries(files)
      .filter(([name]) => name !== "loresmith.json")
      // campaign.md's front matter names the campaign's own (new) creation and update times.
      .map(([name, text]) => [
        name,
        name.endsWith("campaign.md") ? text.replace(/^(created|updated): .*$/gm, "") : text,
      ]),
  );
  return { head: { ...head, campaigns: campaignsPart }, markdown };
}

const countOf = async (user: User) => {
  const [row] = await db.all<{ campaigns: number; entries: number; characters: number }>(
    sql`SELECT (SELECT count(*) FROM campaigns WHERE username = ${user.username}) AS campaigns,
      (SELECT count(*) FROM campaign_context e JOIN campaigns c ON c.id = e.campaign_id WHERE c.username = ${user.username}) AS entries,
      (SELECT count(*) FROM campaign_characters p JOIN campaigns c ON c.id = p.campaign_id WHERE c.username = ${user.username}) AS characters`,
  );
  return row;
};

let owner: User;
let source: string;

beforeAll(async () => {
  owner = await newUser("gm");
  const campaign = await createCampaign(db, owner.username, {
    name: 'The "Lost" Mine: Phandelver',
    description: "Start in [[Phandalin]].\r\n\n```secret\nThe Black Spider is Nezznar.\n```\n",
    status: "active",
    system: "D&D 5e",
    setting: "Sword Coast",
    nextSessionAt: "2026-12-24",
    tags: ["starter", "Forgotten Realms"],
  });
  source = campaign.id;
  const texts = [
    ["location", "Phandalin", "A frontier town. [[Sildar Hallwinter|Sildar]] waits at the inn.\n", "campaign"],
    ["faction", "The Redbrands", "Ruffians.\n\n```secret\nLed by Glasstaff.\n```", "gm"],
    ["lore", "Quotes \"'\\ and: colons", "Line 1\nLine 2\r\nüñí ✨\t\u2028end", "gm"],
    ["lore", "Phandalin", "A second entry with the same title.", "gm"],
    ["plot_hook", "Find Cragmaw Castle", "", "campaign"],
    ["house_rule", "Flanking", "---\ntitle: not front matter\n---\n", "gm"],
  ] as const;
  const entryIds: number[] = [];
  for (const [contextType, title, content, audience] of texts) {
    const aliases = title === "The Redbrands" ? ["Redbrand Ruffians", 'The "Red" Cloaks — ünï'] : [];
    const entry = await createContextEntry(db, campaign, {
      contextType,
      title,
      content,
      tags: [title.slice(0, 5)],
      audience,
      aliases,
    });
    entryIds.push(entry.id);
  }
  const sheet = await storeFile(owner.username, "Sildar sheet.json", encode('{"name":"Sildar"}'), "application/json");
  const sildar = await createCharacter(db, campaign, {
    characterName: "Sildar Hallwinter",
    aliases: ["Sir Sildar"],
    characterType: "npc",
    status: "alive",
    ancestry: "Human",
    characterClass: "Fighter",
    level: 5,
    alignment: "LG",
    backstory: "A knight of the Lords' Alliance.\n\n~~~secret\nHe suspects Iarno.\n~~~\n",
    stats: [
      { key: "AC", value: "16" },
      { key: "HP", value: "27" },
    ],
    sheetFileKey: sheet.fileKey,
    audience: "campaign",
  });
  const tordek = await createCharacter(db, campaign, {
    characterName: "Tordek",
    characterType: "pc",
    status: "dead",
    playerName: "Alex",
    backstory: "",
    stats: [],
  });
  const [phandalin, redbrands, , , hook] = entryIds as [number, number, number, number, number];
  // Relations (ADR 0036): a custom one, a shared built-in one, a symmetric one (stored in end order).
  await addRelation(db, campaign, {
    from: { kind: "character", id: sildar.id },
    to: { kind: "entry", id: redbrands },
    type: "custom",
    label: "hunts “the” 'Red'",
    inverseLabel: "hunted by ✨",
    note: 'He wants them gone: "now".',
  });
  await addRelation(db, campaign, {
    from: { kind: "character", id: sildar.id },
    to: { kind: "entry", id: phandalin },
    type: "located_in",
    audience: "campaign",
  });
  await addRelation(db, campaign, {
    from: { kind: "entry", id: hook },
    to: { kind: "character", id: tordek.id },
    type: "ally_of",
  });
  // Sessions (ADR 0037): notes and recap with secret blocks, unicode, quotes, `---` lines and even the
  // archive's own recap separator inside the notes; attendees; guests.
  await createSession(db, campaign, {
    number: 1,
    playedOn: "2026-11-13",
    title: 'Goblin "Arrows": ünï ✨',
    attendeeIds: [tordek.id],
    guests: ["Ada", "Bo's friend"],
    notes: `---\ntitle: not front matter\n---\nAmbush at [[Phandalin]].\r\n\n\`\`\`secret\nKlarg knows.\n\`\`\`\n${RECAP_SEPARATOR}Not the recap.\n---\n`,
    recap: "They fought goblins.\n\n~~~secret\nOne got away.\n~~~\n\u2028 trailing   ",
    audience: "campaign",
  });
  await createSession(db, campaign, {
    number: 7,
    playedOn: "2026-11-20",
    title: "",
    attendeeIds: [],
    guests: [],
    notes: "",
    recap: "",
  });
  const map = await storeFile(
    owner.username,
    "Phandalin map.png",
    new Uint8Array([137, 80, 78, 71, 1, 2, 3]),
    "image/png",
  );
  const row = await getFile(db, owner.username, map.fileKey);
  if (!row) throw new Error("no file");
  await attachFile(db, campaign, row, { description: "The town", tags: [], audience: "campaign" });
});

describe("importing our own archive", () => {
  it("gives back the same archive: export → import → export changes only ids and the new campaign's times", async () => {
    const first = await exportBytes(owner, source);
    const { preview, created } = await importThroughRoute(owner, first);
    expect(preview.phase).toBe("preview");
    expect(created?.status).toBe(302);
    const location = created?.headers.get("Location") ?? "";
    const newId = /^\/campaigns\/([0-9a-f-]{36})$/.exec(location)?.[1];
    if (!newId || newId === source) throw new Error(`redirected to ${location}`);
    const second = await exportBytes(owner, newId);
    const before = comparable(textsOf(await unzipResponse(new Response(first as Uint8Array<ArrayBuffer>))));
    const after = comparable(textsOf(await unzipResponse(new Response(second as Uint8Array<ArrayBuffer>))));
    expect(Object.keys(after.markdown).sort()).toEqual(Object.keys(before.markdown).sort());
    expect(after.markdown).toEqual(before.markdown);
    expect(after.head).toEqual(before.head);
    // And it says so in numbers: every row came back.
    const sections = before.head.campaigns[0]?.sections ?? {};
    expect(["entries", "characters", "files", "relations", "sessions"].map((key) => sections[key]?.length)).toEqual([
      6, 2, 1, 3, 2,
    ]);
    // Not vacuous: the new material is in the archive, and came back into the new campaign's rows.
    expect(sections.entries?.[1]).toMatchObject({ aliases: ["Redbrand Ruffians", 'The "Red" Cloaks — ünï'] });
    expect(sections.relations?.[0]).toMatchObject({
      from: "characters/npcs/Sildar Hallwinter.md",
      to: "factions/The Redbrands.md",
      type: "custom",
      label: "hunts “the” 'Red'",
    });
    expect(sections.sessions?.[0]).toMatchObject({
      attendees: ["characters/pcs/Tordek.md"],
      guests: ["Ada", "Bo's friend"],
    });
    const [copied] = await db
      .select()
      .from(campaignContext)
      .where(eq(campaignContext.campaignId, newId))
      .limit(2)
      .offset(1);
    expect(copied?.aliases).toEqual(["Redbrand Ruffians", 'The "Red" Cloaks — ünï']);
    const pcs = await db.select().from(campaignCharacters).where(eq(campaignCharacters.campaignId, newId));
    const sessionRows = await db.select().from(campaignSessions).where(eq(campaignSessions.campaignId, newId));
    expect(sessionRows.map((row) => row.attendeeIds)).toEqual([[pcs.find((pc) => pc.characterType === "pc")?.id], []]);
    expect(sessionRows[0]?.notes).toContain(`${RECAP_SEPARATOR}Not the recap.`);
    expect(sessionRows[0]?.recapPublic).not.toContain("got away");
    const relationRows = await db.select().from(campaignRelations).where(eq(campaignRelations.campaignId, newId));
    expect(relationRows).toHaveLength(3);
    expect(relationRows.every((row) => pcs.some((pc) => pc.id === row.fromId) || row.fromKind === "entry")).toBe(true);
    // Secrets, searchable public text and the audience tokens are recomputed, as a save would.
    const [sildar] = await db.select().from(campaignCharacters).where(eq(campaignCharacters.campaignId, newId));
    expect(sildar?.backstoryPublic).not.toContain("Iarno");
    expect(sildar?.audienceTokens).toBe("zall0");
  });

  it("into another account restores the material and lists what only the owner's library had", async () => {
    const other = await newUser("other");
    const { created } = await importThroughRoute(other, await exportBytes(owner, source), "mine.zip", {
      name: "My copy",
    });
    expect(created?.status).toBe(200);
    const done = (await created?.json()) as {
      phase: string;
      result: { notRestored: string[]; created: unknown };
      names: string[];
    };
    expect(done.phase).toBe("done");
    expect(done.names).toEqual(["My copy"]);
    expect(done.result.created).toEqual({ entries: 6, characters: 2 });
    expect(done.result.notRestored).toEqual([
      expect.stringContaining("Sildar Hallwinter’s sheet “Sildar sheet.json”"),
      expect.stringContaining("the attached file “Phandalin map.png”"),
    ]);
  });

  it("imports what it understands of a newer archive, and lists the sections it does not know", async () => {
    const files = textsOf(
      await unzipResponse(new Response((await exportBytes(owner, source)) as Uint8Array<ArrayBuffer>)),
    );
    const manifest = manifestOf(files);
    manifest.version = 3;
    const [first] = manifest.campaigns;
    if (first) first.sections.maps = [{ file: "maps/Phandalin.png" }];
    files["loresmith.json"] = JSON.stringify(manifest);
    const bytes = zipSync(Object.fromEntries(Object.entries(files).map(([name, text]) => [name, encode(text)])));
    const preview = await previewImport(bytes, "newer.zip");
    expect(preview).toMatchObject({ kind: "loresmith", newerVersion: true, unknownSections: ["maps"] });
    const result = await createFromImport({ db, limits: DEFAULT_ROW_LIMITS }, owner, bytes, "newer.zip", {
      intent: "create",
      staged: "0".repeat(32),
    });
    expect(result.notRestored).toEqual([expect.stringContaining("“maps” section")]);
  });

  it("lists a relation whose end is not in the archive as not restored, and maps attendees to the imported PCs", async () => {
    const files = textsOf(
      await unzipResponse(new Response((await exportBytes(owner, source)) as Uint8Array<ArrayBuffer>)),
    );
    const manifest = manifestOf(files);
    const sections = manifest.campaigns[0]?.sections ?? {};
    const [custom] = sections.relations ?? [];
    if (custom) custom.to = "factions/Gone.md";
    const [session] = sections.sessions ?? [];
    if (session) session.attendees = ["characters/npcs/Sildar Hallwinter.md", "characters/pcs/Tordek.md"];
    files["loresmith.json"] = JSON.stringify(manifest);
    const bytes = zipSync(Object.fromEntries(Object.entries(files).map(([name, text]) => [name, encode(text)])));
    const result = await createFromImport({ db, limits: DEFAULT_ROW_LIMITS }, owner, bytes, "edited.zip", {
      intent: "create",
      staged: "0".repeat(32),
    });
    expect(result.notRestored).toEqual([
      "the relation “Sildar Hallwinter — hunts “the” 'Red' — Gone” (Gone is not in the archive)",
      "Sildar Hallwinter as an attendee of session 1 (not a player character in the archive)",
    ]);
    const id = result.campaignIds[0] ?? "";
    const [tordek] = await db
      .select()
      .from(campaignCharacters)
      .where(and(eq(campaignCharacters.campaignId, id), eq(campaignCharacters.characterType, "pc")));
    const rows = await db.select().from(campaignSessions).where(eq(campaignSessions.campaignId, id));
    expect(rows.map((row) => [row.number, row.attendeeIds])).toEqual([
      [1, [tordek?.id]],
      [7, []],
    ]);
    expect(await db.$count(campaignRelations, eq(campaignRelations.campaignId, id))).toBe(2);
  });

  it("still imports a version 1 archive (no aliases, relations or sessions)", async () => {
    const files = textsOf(
      await unzipResponse(new Response((await exportBytes(owner, source)) as Uint8Array<ArrayBuffer>)),
    );
    const manifest = manifestOf(files);
    manifest.version = 1;
    for (const campaign of manifest.campaigns) {
      delete campaign.sections.relations;
      delete campaign.sections.sessions;
      for (const row of [...(campaign.sections.entries ?? []), ...(campaign.sections.characters ?? [])])
        delete row.aliases;
    }
    for (const name of Object.keys(files)) if (name.startsWith("sessions/")) delete files[name];
    files["loresmith.json"] = JSON.stringify(manifest);
    const bytes = zipSync(Object.fromEntries(Object.entries(files).map(([name, text]) => [name, encode(text)])));
    const preview = await previewImport(bytes, "v1.zip");
    expect(preview).toMatchObject({ kind: "loresmith", newerVersion: false, unknownSections: [] });
    const result = await createFromImport({ db, limits: DEFAULT_ROW_LIMITS }, owner, bytes, "v1.zip", {
      intent: "create",
      staged: "0".repeat(32),
    });
    expect(result.created).toEqual({ entries: 6, characters: 2 });
    const entries = await db
      .select()
      .from(campaignContext)
      .where(eq(campaignContext.campaignId, result.campaignIds[0] ?? ""));
    expect(entries.map((entry) => entry.aliases)).toEqual([[], [], [], [], [], []]);
  });

  it("within the quotas, or not at all", async () => {
    const bytes = await exportBytes(owner, source);
    const before = await countOf(owner);
    const held = before?.entries ?? 0;
    await expect(
      createFromImport({ db, limits: { ...DEFAULT_ROW_LIMITS, entries: held + 5 } }, owner, bytes, "a.zip", {
        intent: "create",
        staged: "0".repeat(32),
      }),
    ).rejects.toThrow(QuotaExceeded);
    expect(await countOf(owner)).toEqual(before);
    await expect(
      createFromImport(
        { db, limits: { ...DEFAULT_ROW_LIMITS, campaigns: before?.campaigns ?? 0 } },
        owner,
        bytes,
        "a.zip",
        {
          intent: "create",
          staged: "0".repeat(32),
        },
      ),
    ).rejects.toThrow(/campaigns/);
    expect(await countOf(owner)).toEqual(before);
  });
});

/** A zip written by our own writer (which, unlike fflate's, can write a name twice). */
async function ourZip(sources: ZipSource[]): Promise<Uint8Array> {
  async function* all() {
    yield* sources;
  }
  const chunks: Uint8Array[] = [];
  for await (const chunk of zipChunks(all())) chunks.push(chunk);
  return new Uint8Array(await new Blob(chunks as Uint8Array<ArrayBuffer>[]).arrayBuffer());
}

function zerosStream(total: number): ReadableStream<Uint8Array> {
  const chunk = new Uint8Array(1024 * 1024);
  let sent = 0;
  return new ReadableStream({
    pull(controller) {
      if (sent >= total) return controller.close();
      controller.enqueue(chunk);
      sent += chunk.length;
    },
  });
}

describe("bad archives", () => {
  const cases: [string, () => Promise<Uint8Array>, RegExp][] = [
    ["not a zip", async () => encode("Just some text, not an archive."), /not a \.zip file/],
    ["a truncated zip", async () => zipSync({ "a.md": encode("# A") }).slice(0, 40), /not a \.zip file/],
    ["a path with ..", async () => zipSync({ "notes/../../evil.md": encode("# Evil") }), /leaves its folder/],
    ["an absolute path", async () => zipSync({ "/etc/passwd.md": encode("# Root") }), /absolute path/],
    [
      "a path twice",
      () =>
        ourZip([
          { name: "a.md", body: "# One", compress: true },
          { name: "a.md", body: "# Two", compress: true },
        ]),
      /holds “a\.md” twice/,
    ],
    [
      "paths that differ only in case",
      () =>
        ourZip([
          { name: "Notes/Duke.md", body: "# One", compress: false },
          { name: "notes/duke.md", body: "# Two", compress: false },
        ]),
      /differ only in case/,
    ],
    [
      "10,000 files",
      () => ourZip(Array.from({ length: 10_000 }, (_, i) => ({ name: `n/${i}.md`, body: "x", compress: false }))),
      /holds 10,000 files; at most 5,000/,
    ],
    [
      "a manifest that inflates to 100 MB (a zip bomb)",
      () => ourZip([{ name: "loresmith.json", body: zerosStream(100 * 1024 * 1024), compress: true }]),
      /loresmith\.json is larger than 16 MB/,
    ],
    [
      "notes that together inflate past 64 MB (a zip bomb)",
      () =>
        ourZip(
          Array.from({ length: 80 }, (_, i) => ({
            name: `notes/${i}.md`,
            body: `# Note ${i}\n${"a".repeat(1000 * 1000)}`,
            compress: true,
          })),
        ),
      /inflates to more than 64 MB/,
    ],
    [
      "JSON nested 100,000 deep",
      async () => zipSync({ "loresmith.json": encode("[".repeat(100_000)) }),
      /nests deeper/,
    ],
    [
      "a manifest that is not ours",
      async () => zipSync({ "loresmith.json": encode('{"format":"something-else","version":1,"campaigns":[]}') }),
      /not a LoreSmith archive/,
    ],
    [
      "a manifest naming a file the archive lacks",
      async () => {
        const files = textsOf(
          await unzipResponse(new Response((await exportBytes(owner, source)) as Uint8Array<ArrayBuffer>)),
        );
        const manifest = manifestOf(files);
        const entry = manifest.campaigns[0]?.sections.entries?.[4];
        if (entry) entry.file = "lore/Missing.md";
        files["loresmith.json"] = JSON.stringify(manifest);
        return zipSync(Object.fromEntries(Object.entries(files).map(([name, text]) => [name, encode(text)])));
      },
      /“lore\/Missing\.md”, which loresmith\.json names, is missing/,
    ],
    [
      "a manifest whose records all name one file (each body read once, not once per record)",
      async () => {
        const files = textsOf(
          await unzipResponse(new Response((await exportBytes(owner, source)) as Uint8Array<ArrayBuffer>)),
        );
        const manifest = manifestOf(files);
        const entries = manifest.campaigns[0]?.sections.entries ?? [];
        for (const entry of entries) entry.file = entries[0]?.file ?? "";
        files["loresmith.json"] = JSON.stringify(manifest);
        return zipSync(Object.fromEntries(Object.entries(files).map(([name, text]) => [name, encode(text)])));
      },
      /name the same file/,
    ],
    [
      "more entries than any account may hold, before any note is read",
      async () => {
        const files = textsOf(
          await unzipResponse(new Response((await exportBytes(owner, source)) as Uint8Array<ArrayBuffer>)),
        );
        const manifest = manifestOf(files);
        const [first] = manifest.campaigns[0]?.sections.entries ?? [];
        const campaign = manifest.campaigns[0];
        if (campaign && first) {
          campaign.sections.entries = Array.from({ length: DEFAULT_ROW_LIMITS.entries + 1 }, (_, i) => ({
            ...first,
            file: `lore/n${i}.md`,
          }));
        }
        files["loresmith.json"] = JSON.stringify(manifest);
        return zipSync(Object.fromEntries(Object.entries(files).map(([name, text]) => [name, encode(text)])));
      },
      /20,001 entries .*more than one account may hold/,
    ],
    [
      "an archive with nothing to import",
      async () => zipSync({ "photo.png": new Uint8Array([1, 2, 3]) }),
      /nothing to import/,
    ],
  ];

  for (const [name, make, message] of cases) {
    it(`refuses ${name} with a clear message, and creates nothing`, async () => {
      const bytes = await make();
      const before = await countOf(owner);
      await expect(
        (async () => {
          await previewImport(bytes, "bad.zip");
          await createFromImport({ db, limits: DEFAULT_ROW_LIMITS }, owner, bytes, "bad.zip", {
            intent: "create",
            staged: "0".repeat(32),
          });
        })(),
      ).rejects.toThrow(message);
      expect(await countOf(owner)).toEqual(before);
    }, 60_000);
  }

  it("answers the upload form with the message, not an error page", async () => {
    const { preview } = await importThroughRoute(owner, zipSync({ "../x.md": encode("x") }));
    expect(preview).toMatchObject({ phase: "error", message: expect.stringMatching(/leaves its folder/) });
  });

  it("takes the upload's size from the form, with or without JavaScript, and refuses more before reading it", async () => {
    for (const path of ["/campaigns/import", "/campaigns/import.data"]) {
      expect(bodyLimitFor(path)).toBe(MAX_IMPORT_BYTES + 64 * 1024);
    }
    const request = new Request("http://localhost/campaigns/import", {
      method: "POST",
      headers: { "Content-Length": String(MAX_IMPORT_BYTES + 1024 * 1024), Accept: "text/html" },
      body: "x",
    });
    const answer = await limitBody(request);
    expect(answer instanceof Response ? answer.status : 200).toBe(413);
  });

  it("reads deep or exotic front matter without recursing, as values it leaves out", () => {
    const deep = `stats:\n${Array.from({ length: 120 }, (_, i) => `${" ".repeat(i + 1)}k${i}:`).join("\n")}\ntitle: Still read`;
    const values = readFrontMatter(deep);
    expect(values.get("stats")).toBe(UNSUPPORTED);
    expect(values.get("title")).toBe("Still read");
    expect(readFrontMatter("a: [1, [2, [3]]]\nb: &x y\nc: |\n  two\n  lines\nd: >-\n  folded\n  text").get("c")).toBe(
      "two\nlines\n",
    );
    expect(() => readFrontMatter(": no key")).toThrow(/line 1/);
    expect(() => readFrontMatter(Array.from({ length: 400 }, (_, i) => `k${i}: v`).join("\n"))).toThrow(
      /too many lines/,
    );
  });
});

describe("an Obsidian vault", () => {
  const vault = () =>
    zipSync({
      "My Vault/NPCs/Duke Ulder.md": encode(
        "---\ntags: [villain]\naliases:\n  - The Duke\n---\nRules the city from [[Waterdeep]].\n",
      ),
      "My Vault/Locations/Waterdeep.md": encode(
        "The city of splendours. Ruled by [[NPCs/Duke Ulder|the duke]]; see [[Duke Ulder#Past]] and ![[map.png]].\n",
      ),
      "My Vault/Sessions/Session 1.md": encode("---\ndate: 2026-01-01\n---\nWe met at the Yawning Portal.\n"),
      "My Vault/Notes/Random.md": encode("A stranger. #npc\n\n```\n#not-a-tag\n```\n"),
      "My Vault/Items/Sword.md": encode("---\ntype: item\n---\nA blade.\n"),
      "My Vault/02 - Factions/Harpers.md": encode(
        "---\ntitle: The Harpers\naudience: campaign\n---\nSpies for good.\n",
      ),
      "My Vault/Rules/Grappling.md": encode("Roll Athletics.\n"),
      "My Vault/Empty.md": encode("   \n"),
      "My Vault/map.png": new Uint8Array([137, 80, 78, 71]),
      "My Vault/.obsidian/app.json": encode("{}"),
      "My Vault/Bad.md": encode("---\n: nope\n---\nBody.\n"),
      "My Vault/Big.md": encode("x".repeat(60_000)),
      "My Vault/Other/Waterdeep.md": encode("Another Waterdeep.\n"),
    });
  const form = { intent: "preview" as const, staged: "0".repeat(32) };

  it("previews each note's kind from front matter, tags and folders, and lists what it cannot map", async () => {
    const preview = await previewImport(vault(), "Sword Coast.zip", form);
    if (preview.kind !== "obsidian") throw new Error("not a vault preview");
    expect(preview.name).toBe("Sword Coast");
    expect(preview.create.map((note) => [note.path, note.title, note.target])).toEqual([
      ["02 - Factions/Harpers.md", "The Harpers", "faction"],
      ["Items/Sword.md", "Sword", "item"],
      ["Locations/Waterdeep.md", "Waterdeep", "location"],
      ["Notes/Random.md", "Random", "npc"],
      ["NPCs/Duke Ulder.md", "Duke Ulder", "npc"],
      ["Rules/Grappling.md", "Grappling", "house_rule"],
      ["Sessions/Session 1.md", "Session 1", "session_note"],
    ]);
    expect(preview.unmapped.map((item) => [item.reason, item.path])).toEqual([
      ["front-matter", "Bad.md"],
      ["too-large", "Big.md"],
      ["empty", "Empty.md"],
      ["not-markdown", "map.png"],
      ["settings", ".obsidian/app.json"],
      ["name-clash", "Other/Waterdeep.md"],
    ]);
    expect(preview.folders.find((folder) => folder.path === "NPCs")?.target).toBe("npc");
    expect(preview.tags.find((tag) => tag.tag === "npc")?.target).toBe("npc");
    expect(preview.tags.find((tag) => tag.tag === "villain")?.target).toBe("");
  });

  it("follows the mapping the person chose, and creates exactly the preview", async () => {
    const chosen = {
      ...form,
      folders: [{ path: "Sessions", target: "skip" as const }],
      tags: [
        { tag: "villain", target: "faction" as const },
        { tag: "npc", target: "" as const },
      ],
    };
    const preview = await previewImport(vault(), "vault.zip", chosen);
    if (preview.kind !== "obsidian") throw new Error("not a vault preview");
    const targets = Object.fromEntries(preview.create.map((note) => [note.title, note.target]));
    expect(targets).toMatchObject({ "Duke Ulder": "faction", Random: "lore" });
    expect(targets["Session 1"]).toBeUndefined();
    expect(preview.unmapped.filter((item) => item.reason === "skipped").map((item) => item.path)).toEqual([
      "Sessions/Session 1.md",
    ]);

    const result = await createFromImport({ db, limits: DEFAULT_ROW_LIMITS }, owner, vault(), "vault.zip", {
      ...chosen,
      intent: "create",
      name: "Sword Coast",
    });
    const [id] = result.campaignIds;
    if (!id) throw new Error("no campaign");
    const [campaign] = await db.select().from(campaigns).where(eq(campaigns.id, id));
    expect(campaign?.name).toBe("Sword Coast");
    const entries = await db.select().from(campaignContext).where(eq(campaignContext.campaignId, id));
    expect(entries.map((entry) => [entry.title, entry.contextType]).sort()).toEqual(
      preview.create
        .filter((note) => note.target !== "npc" && note.target !== "pc")
        .map((note) => [note.title, note.target])
        .sort(),
    );
    const waterdeep = entries.find((entry) => entry.title === "Waterdeep");
    // Links LoreSmith resolves: folder and heading dropped, the shown text and embeds kept.
    expect(waterdeep?.content).toBe(
      "The city of splendours. Ruled by [[Duke Ulder|the duke]]; see [[Duke Ulder]] and ![[map.png]].\n",
    );
    expect(entries.find((entry) => entry.title === "The Harpers")?.audience).toBe("campaign");
    expect(entries.find((entry) => entry.title === "Random")?.tags).toBe("|npc|");
    expect(entries.every((entry) => entry.title !== "Harpers")).toBe(true);
    // Obsidian's `aliases:` became its other names (a villain, mapped to a faction here).
    expect(entries.find((entry) => entry.title === "Duke Ulder")?.aliases).toEqual(["The Duke"]);
  });

  it("keeps a note's aliases (a list or one name), without its own title and names a link cannot hold", async () => {
    const bytes = zipSync({
      "Locations/Neverwinter.md": encode(
        '---\naliases:\n  - Jewel of the North\n  - neverwinter\n  - "Bad [name]"\n  - City  of   Skilled Hands\n---\nA city.\n',
      ),
      "NPCs/Gundren.md": encode("---\nalias: Gundren Rockseeker\n---\nA dwarf.\n"),
    });
    const result = await createFromImport({ db, limits: DEFAULT_ROW_LIMITS }, owner, bytes, "aliases.zip", {
      intent: "create",
      staged: "0".repeat(32),
    });
    const id = result.campaignIds[0] ?? "";
    const [city] = await db.select().from(campaignContext).where(eq(campaignContext.campaignId, id));
    expect(city?.aliases).toEqual(["Jewel of the North", "City of Skilled Hands"]);
    const [gundren] = await db.select().from(campaignCharacters).where(eq(campaignCharacters.campaignId, id));
    expect(gundren?.aliases).toEqual(["Gundren Rockseeker"]);
  });

  it("turns character notes into characters with their details", async () => {
    const bytes = zipSync({
      "PCs/Rook.md": encode('---\nstatus: missing\nclass: Rogue\nlevel: 3\nplayer: "Sam"\n---\nA thief.\n'),
    });
    const result = await createFromImport({ db, limits: DEFAULT_ROW_LIMITS }, owner, bytes, "pcs.zip", {
      intent: "create",
      staged: "0".repeat(32),
    });
    const [rook] = await db
      .select()
      .from(campaignCharacters)
      .where(eq(campaignCharacters.campaignId, result.campaignIds[0] ?? ""));
    expect(rook).toMatchObject({
      characterName: "Rook",
      characterType: "pc",
      status: "missing",
      backstory: "A thief.\n",
    });
    expect(rook?.metadata).toEqual({ characterClass: "Rogue", level: 3, playerName: "Sam", stats: [] });
  });

  it("through the page: upload, preview, create", async () => {
    const { preview, created } = await importThroughRoute(owner, vault(), "Sword Coast.zip");
    expect(preview.phase).toBe("preview");
    expect(created?.status).toBe(302);
    expect(created?.headers.get("Location")).toMatch(/^\/campaigns\/[0-9a-f-]{36}$/);
  });
});
