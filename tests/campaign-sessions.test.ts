import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import type { SessionInput } from "~/lib/session-schemas";
import type { ChatModel } from "~/server/assistant/chat-model.server";
import { createCampaign } from "~/server/campaigns/campaigns.server";
import { createCharacter } from "~/server/campaigns/characters.server";
import { createContextEntry } from "~/server/campaigns/context-entries.server";
import { VersionConflictError } from "~/server/campaigns/errors.server";
import { createInvite, joinWithInvite } from "~/server/campaigns/members.server";
import { type CampaignAccess, campaignAccess } from "~/server/campaigns/policy.server";
import { draftRecap } from "~/server/campaigns/session-recap.server";
import {
  createSession,
  getSession,
  insertSessions,
  listSessions,
  nextSessionNumber,
  plainExcerpt,
  SessionRefused,
  sessionsForExport,
  sessionView,
  updateSession,
} from "~/server/campaigns/sessions.server";
import { QuotaExceeded } from "~/server/db/quota.server";
import { type Campaign, campaignSessions, campaigns, type User } from "~/server/db/schema";
import { db, newUser, ownerAccess, sessionCookieFor } from "./helpers";
import { callRoute, routeAt } from "./route-walk";

const MARK = {
  notes: "zzsessnotes",
  notesSecret: "zzsessnotessecret",
  recapSecret: "zzsessrecapsecret",
  gmRecap: "zzsessgmrecap",
  gmEntry: "zzsessgmentry",
  entrySecret: "zzsessentrysecret",
};

const session = (input: Partial<SessionInput> & { number: number }): SessionInput => ({
  playedOn: "2026-11-20",
  title: "",
  attendeeIds: [],
  guests: [],
  notes: "",
  recap: "",
  audience: "gm",
  ...input,
});

interface Table {
  gm: User;
  player: User;
  campaign: Campaign;
  access: CampaignAccess;
  asPlayer: CampaignAccess;
  pcs: number[];
  npc: number;
  sharedEntry: number;
  gmEntry: number;
  character: number;
}

async function table(): Promise<Table> {
  const gm = await newUser("gm");
  const player = await newUser("player");
  const campaign = await createCampaign(db, gm.username, {
    name: "Saltmarsh",
    description: "",
    status: "active",
    tags: [],
  });
  const access = await ownerAccess(gm, campaign);
  const { token } = await createInvite(db, access, { role: "player", lifetimeDays: 7, maxUses: 1 });
  await joinWithInvite(db, player, token);
  const asPlayer = (await campaignAccess(db, player, campaign.id)) as CampaignAccess;
  const pc = (name: string, audience: "gm" | "campaign" = "campaign") =>
    createCharacter(db, campaign, {
      characterName: name,
      characterType: "pc",
      status: "alive",
      backstory: "",
      stats: [],
      audience,
    });
  const wren = await pc("Wren Ashdown");
  const tobin = await pc("Tobin");
  const npc = await createCharacter(db, campaign, {
    characterName: "Maren",
    characterType: "npc",
    status: "alive",
    backstory: `Maren runs the harbour. She knows every boat by name.\n\n\`\`\`secret\nMaren owes the smugglers gold. ${MARK.entrySecret}\n\`\`\``,
    stats: [],
    audience: "campaign",
  });
  const sharedEntry = await createContextEntry(db, campaign, {
    contextType: "location",
    title: "The Mill",
    content: `The mill stands on the river. Its wheel has not turned in years.\n\n\`\`\`secret\nThe cult meets under it. ${MARK.entrySecret}\n\`\`\``,
    tags: [],
    audience: "campaign",
  });
  const gmEntry = await createContextEntry(db, campaign, {
    contextType: "plot_hook",
    title: "The abbot's crime",
    content: `The abbot poisoned the well. ${MARK.gmEntry}`,
    tags: [],
    audience: "gm",
  });
  return {
    gm,
    player,
    campaign,
    access,
    asPlayer,
    pcs: [wren.id, tobin.id],
    npc: npc.id,
    sharedEntry: sharedEntry.id,
    gmEntry: gmEntry.id,
    character: npc.id,
  };
}

const NOTES = [
  "The party reached [[The Mill]] at dusk. They found the door barred from inside.",
  "",
  `[[Maren]] told them about the smugglers. The abbot lied to them about [[The abbot's crime]]. ${MARK.notes}`,
  "",
  "```secret",
  `The cult leader watched from the loft. ${MARK.notesSecret}`,
  "```",
  "",
  "- Wren picked the lock.",
  "- Tobin kept watch.",
].join("\n");

async function generationOf(campaign: Campaign) {
  const [row] = await db.select({ g: campaigns.cacheGeneration }).from(campaigns).where(eq(campaigns.id, campaign.id));
  return row?.g ?? 0;
}

describe("sessions", () => {
  it("are created with the next number, edited at the version they started from, and refuse a stale edit", async () => {
    const t = await table();
    expect(await nextSessionNumber(db, t.campaign)).toBe(1);
    const before = await generationOf(t.campaign);
    const first = await createSession(
      db,
      t.campaign,
      session({ number: 1, attendeeIds: t.pcs, guests: ["Ada"], notes: NOTES }),
    );
    expect(await generationOf(t.campaign)).toBeGreaterThan(before);
    expect(first).toMatchObject({ number: 1, version: 1, attendeeIds: t.pcs, guests: ["Ada"], audience: "gm" });
    expect(first.notesPublic).not.toContain(MARK.notesSecret);
    expect(await nextSessionNumber(db, t.campaign)).toBe(2);

    const saved = await updateSession(
      db,
      t.campaign,
      first.id,
      1,
      session({ number: 1, title: "The mill", notes: NOTES }),
    );
    expect(saved).toMatchObject({ version: 2, title: "The mill", attendeeIds: [] });
    // A form loaded at version 1 no longer saves, and is told what is saved.
    const stale = updateSession(db, t.campaign, first.id, 1, session({ number: 1, title: "Mine" }));
    await expect(stale).rejects.toBeInstanceOf(VersionConflictError);
    await stale.catch((error: VersionConflictError<{ title: string }>) => expect(error.current.title).toBe("The mill"));
    // Another campaign's session is not found by id.
    const other = await table();
    expect(await updateSession(db, other.campaign, first.id, 2, session({ number: 1 }))).toBeUndefined();
  });

  it("hold a number once per campaign, even when two saves race for it", async () => {
    const t = await table();
    await createSession(db, t.campaign, session({ number: 3 }));
    await expect(createSession(db, t.campaign, session({ number: 3 }))).rejects.toMatchObject({
      name: "SessionRefused",
      field: "number",
      message: expect.stringContaining("4 is free"),
    });
    const other = await createSession(db, t.campaign, session({ number: 4 }));
    await expect(updateSession(db, t.campaign, other.id, 1, session({ number: 3 }))).rejects.toBeInstanceOf(
      SessionRefused,
    );
    // Another campaign may have its own session 3.
    expect((await createSession(db, (await table()).campaign, session({ number: 3 }))).number).toBe(3);
    const raced = await Promise.allSettled(
      Array.from({ length: 5 }, () => createSession(db, t.campaign, session({ number: 9 }))),
    );
    expect(raced.filter((r) => r.status === "fulfilled")).toHaveLength(1);
  });

  it("take only the campaign's own player characters as attendees", async () => {
    const t = await table();
    const elsewhere = await table();
    for (const ids of [[elsewhere.pcs[0] ?? 0], [t.npc], [t.pcs[0] ?? 0, 999_999_999]]) {
      await expect(createSession(db, t.campaign, session({ number: 1, attendeeIds: ids }))).rejects.toMatchObject({
        field: "attendeeIds",
      });
    }
    const ok = await createSession(db, t.campaign, session({ number: 1, attendeeIds: t.pcs }));
    await expect(
      updateSession(db, t.campaign, ok.id, 1, session({ number: 1, attendeeIds: [elsewhere.pcs[0] ?? 0] })),
    ).rejects.toMatchObject({ field: "attendeeIds" });
    // Through the form, without JavaScript: checkboxes repeat the field.
    const route = routeAt("/campaigns/:campaignId/sessions/new");
    const response = await callRoute(route, "action", `http://localhost/campaigns/${t.campaign.id}/sessions/new`, {
      cookie: await sessionCookieFor(t.gm),
      params: { campaignId: t.campaign.id },
      form: [
        ["number", "2"],
        ["playedOn", "2026-11-27"],
        ["attendeeIds", String(t.pcs[0])],
        ["attendeeIds", String(elsewhere.pcs[1])],
      ],
    });
    expect(response?.status).toBe(409);
    expect(JSON.stringify(await response?.json())).toContain("player characters");
    const made = await callRoute(route, "action", `http://localhost/campaigns/${t.campaign.id}/sessions/new`, {
      cookie: await sessionCookieFor(t.gm),
      params: { campaignId: t.campaign.id },
      form: [
        ["number", "2"],
        ["playedOn", "2026-11-27"],
        ["attendeeIds", String(t.pcs[0])],
        ["attendeeIds", String(t.pcs[1])],
        ["guests", "Ada, ada , Bo"],
        ["notes", "We met at the inn."],
      ],
    });
    expect(made?.status).toBe(302);
    const view = await sessionView(db, t.access, Number(made?.headers.get("Location")?.split("/").at(-1)));
    expect(view?.attendees.map((a) => a.name)).toEqual(["Wren Ashdown", "Tobin"]);
    expect(view?.guests).toEqual(["Ada", "Bo"]);
  });

  it("are bounded: a campaign's sessions by a quota held in the insert itself", async () => {
    const t = await table();
    await createSession(db, t.campaign, session({ number: 1 }), 2);
    await createSession(db, t.campaign, session({ number: 2 }), 2);
    await expect(createSession(db, t.campaign, session({ number: 3 }), 2)).rejects.toBeInstanceOf(QuotaExceeded);
    const raced = await Promise.allSettled(
      [10, 11, 12, 13].map((number) => createSession(db, t.campaign, session({ number }), 3)),
    );
    expect(raced.filter((r) => r.status === "fulfilled")).toHaveLength(1);
  });

  it("show on the timeline newest first, with attendees, the recap's first lines and what they link", async () => {
    const t = await table();
    await createSession(db, t.campaign, session({ number: 1, playedOn: "2026-10-01", recap: "It began." }));
    await createSession(
      db,
      t.campaign,
      session({
        number: 2,
        playedOn: "2026-10-08",
        attendeeIds: [t.pcs[1] ?? 0],
        recap: "## Recap\n\nThe party reached **[[The Mill]]**. [1]\n\nThey slept.\n\nMore.\n\nAnd more.",
      }),
    );
    // Played the same day as 2: the higher number is the later one.
    await createSession(
      db,
      t.campaign,
      session({ number: 3, playedOn: "2026-10-08", notes: "[[Maren]] and [[Nobody yet]]" }),
    );
    const { sessions } = await listSessions(db, t.access);
    expect(sessions.map((s) => s.number)).toEqual([3, 2, 1]);
    const two = sessions[1];
    expect(two?.attendees.map((a) => a.name)).toEqual(["Tobin"]);
    expect(two?.recapExcerpt).toBe("The party reached The Mill. They slept. More.");
    expect(two?.links).toEqual([{ name: "The Mill", href: `/campaigns/${t.campaign.id}/context/${t.sharedEntry}` }]);
    expect(sessions[0]?.links.map((l) => l.name)).toEqual(["Maren"]);
    const view = await sessionView(db, t.access, sessions[0]?.id ?? 0);
    expect(view?.missing.map((l) => l.name)).toEqual(["Nobody yet"]);
    expect(plainExcerpt("Done. [2]\n\n**Sources**\n\n1. [Notes](/x)")).toBe("Done.");
    // The timeline's summary is the opening text: a heading (or a bold line as one) after it ends it.
    expect(plainExcerpt("They met [[Maren]].\n\n**Who and what came up**\n\n- Maren, a smuggler.")).toBe(
      "They met Maren.",
    );
    expect(plainExcerpt("## Session 3\n\nThe bell rang.\n\n## Later\n\nMore.")).toBe("The bell rang.");
  });

  it("show players only shared sessions, their recap's public text, never the notes", async () => {
    const t = await table();
    const hidden = await createSession(
      db,
      t.campaign,
      session({ number: 1, notes: NOTES, recap: `Quiet. ${MARK.gmRecap}` }),
    );
    const shared = await createSession(
      db,
      t.campaign,
      session({
        number: 2,
        notes: NOTES,
        attendeeIds: t.pcs,
        audience: "campaign",
        recap: `They met [[Maren]] and heard of [[The abbot's crime]].\n\n\`\`\`secret\nThe abbot is next. ${MARK.recapSecret}\n\`\`\``,
      }),
    );
    expect(await getSession(db, t.asPlayer, hidden.id)).toBeUndefined();
    const view = await sessionView(db, t.asPlayer, shared.id);
    expect(view?.notes).toBe("");
    expect(view?.recap).not.toContain(MARK.recapSecret);
    // What the recap links that they may see: the GM-only entry is not listed.
    expect(view?.links.map((l) => l.name)).toEqual(["Maren"]);
    const { sessions } = await listSessions(db, t.asPlayer);
    expect(sessions.map((s) => s.number)).toEqual([2]);
    const exported: unknown[] = [];
    for await (const page of sessionsForExport(db, t.asPlayer)) exported.push(...page);
    expect(exported).toEqual([expect.objectContaining({ number: 2, notes: null, audience: null })]);
    const gmExport: unknown[] = [];
    for await (const page of sessionsForExport(db, t.access)) gmExport.push(...page);
    expect(gmExport).toHaveLength(2);

    const cookie = await sessionCookieFor(t.player);
    const base = `http://localhost/campaigns/${t.campaign.id}/sessions`;
    const pages = [
      await callRoute(routeAt("/campaigns/:campaignId/sessions"), "loader", base, {
        cookie,
        params: { campaignId: t.campaign.id },
      }),
      await callRoute(routeAt("/campaigns/:campaignId/sessions/:sessionId"), "loader", `${base}/${shared.id}`, {
        cookie,
        params: { campaignId: t.campaign.id, sessionId: String(shared.id) },
      }),
    ];
    for (const page of pages) {
      expect(page?.status).toBe(200);
      const body = await page?.text();
      for (const marker of Object.values(MARK)) expect(body).not.toContain(marker);
    }
    const gmOnly = await callRoute(
      routeAt("/campaigns/:campaignId/sessions/:sessionId"),
      "loader",
      `${base}/${hidden.id}`,
      {
        cookie,
        params: { campaignId: t.campaign.id, sessionId: String(hidden.id) },
      },
    );
    expect(gmOnly?.status).toBe(404);
    // The GM reads the notes and the boxed secrets.
    const asGm = await callRoute(
      routeAt("/campaigns/:campaignId/sessions/:sessionId"),
      "loader",
      `${base}/${shared.id}`,
      {
        cookie: await sessionCookieFor(t.gm),
        params: { campaignId: t.campaign.id, sessionId: String(shared.id) },
      },
    );
    const gmBody = await asGm?.text();
    for (const marker of [MARK.notes, MARK.notesSecret, MARK.recapSecret]) expect(gmBody).toContain(marker);
  });

  it("import a batch all or nothing", async () => {
    const t = await table();
    const ok = await insertSessions(db, t.campaign, [
      { number: 1, playedOn: "2026-01-01", attendeeIds: t.pcs, notes: "One.", audience: "campaign" },
      { number: 2, playedOn: "2026-01-08", recap: "Two." },
    ]);
    expect(ok).toHaveLength(2);
    const elsewhere = await table();
    for (const bad of [
      [
        { number: 3, playedOn: "2026-01-15" },
        { number: 4, playedOn: "2026-01-22", attendeeIds: [elsewhere.pcs[0] ?? 0] },
      ],
      [
        { number: 5, playedOn: "2026-01-29" },
        { number: 1, playedOn: "2026-02-05" },
      ],
    ]) {
      await expect(insertSessions(db, t.campaign, bad)).rejects.toBeInstanceOf(SessionRefused);
    }
    await expect(
      insertSessions(
        db,
        t.campaign,
        [
          { number: 6, playedOn: "2026-02-12" },
          { number: 7, playedOn: "2026-02-19" },
        ],
        3,
      ),
    ).rejects.toBeInstanceOf(QuotaExceeded);
    const rows = await db
      .select({ n: campaignSessions.number })
      .from(campaignSessions)
      .where(eq(campaignSessions.campaignId, t.campaign.id));
    expect(rows.map((r) => r.n).sort()).toEqual([1, 2]);
  });
});

describe("recap drafts", () => {
  const subjectOf = (id: number) => ({ id, number: 4, title: "", playedOn: "2026-11-20", notes: NOTES });

  it("offline, quote the notes' sentences in order and a sentence of each linked thing, each cited to its source", async () => {
    const t = await table();
    const row = await createSession(db, t.campaign, session({ number: 4, notes: NOTES }));
    const draft = await draftRecap({ db, model: null }, t.access, subjectOf(row.id), "gm");
    expect(draft.provider).toBe("extractive");
    const text = draft.markdown;
    const order = [
      "The party reached [[The Mill]] at dusk.",
      "They found the door barred from inside.",
      "[[Maren]] told them about the smugglers.",
      "Wren picked the lock.",
      "Tobin kept watch.",
    ].map((sentence) => text.indexOf(sentence));
    expect(order.every((at) => at >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    // Each paragraph cited to the notes; a run of list items reads as one.
    expect(text).toContain("They found the door barred from inside. [1]");
    expect(text).toContain("Wren picked the lock. Tobin kept watch. [1]");
    const base = `/campaigns/${t.campaign.id}`;
    expect(draft.sources).toEqual([
      { n: 1, kind: "notes", title: "Session 4 notes", href: `${base}/sessions/${row.id}` },
      { n: 2, kind: "entry", title: "The Mill", href: `${base}/context/${t.sharedEntry}` },
      { n: 3, kind: "character", title: "Maren", href: `${base}/characters/${t.character}` },
      { n: 4, kind: "entry", title: "The abbot's crime", href: `${base}/context/${t.gmEntry}` },
    ]);
    expect(text).toContain("- [[The Mill]]: The mill stands on the river. Its wheel has not turned in years. [2]");
    expect(text).toContain("- [[Maren]]: Maren runs the harbour. She knows every boat by name. [3]");
    // For the GMs' eyes a GM-only entry may be quoted; a secret block never is.
    expect(text).toContain(`The abbot poisoned the well. ${MARK.gmEntry} [4]`);
    for (const source of draft.sources) expect(text).toContain(`${source.n}. [${source.title}](${source.href})`);
    for (const secret of [MARK.notesSecret, MARK.entrySecret]) expect(text).not.toContain(secret);
  });

  it("for a shared recap, draw only on what everyone may see, and a stand-in model is prompted with nothing else", async () => {
    const t = await table();
    const row = await createSession(db, t.campaign, session({ number: 4, notes: NOTES }));
    const draft = await draftRecap({ db, model: null }, t.access, subjectOf(row.id), "campaign");
    expect(draft.sources.map((s) => s.title)).toEqual(["Session 4 notes", "The Mill", "Maren"]);
    for (const secret of [MARK.notesSecret, MARK.entrySecret, MARK.gmEntry])
      expect(draft.markdown).not.toContain(secret);

    let prompt = "";
    const echo: ChatModel = {
      provider: "openai-compatible",
      label: "echo",
      async *stream(messages) {
        prompt = JSON.stringify(messages);
        yield "The party reached [[The Mill]] [1][2] and met Maren [3]. A ghost appeared [9]. See [this](https://evil.example).";
      },
    };
    const written = await draftRecap({ db, model: echo }, t.access, subjectOf(row.id), "campaign");
    expect(written.provider).toBe("openai-compatible");
    expect(prompt).toContain("Maren runs the harbour");
    for (const secret of [MARK.notesSecret, MARK.entrySecret, MARK.gmEntry]) expect(prompt).not.toContain(secret);
    // Citations of sources that do not exist are dropped; outside links are shown, not linked.
    expect(written.markdown).toContain("A ghost appeared .");
    expect(written.markdown).not.toContain("](https://evil.example)");
    expect(written.markdown).toContain(`2. [The Mill](/campaigns/${t.campaign.id}/context/${t.sharedEntry})`);

    const failing: ChatModel = {
      provider: "openai-compatible",
      label: "broken",
      // biome-ignore lint/correctness/useYield: a model that fails before its first word.
      async *stream() {
        throw new Error("down");
      },
    };
    const fallback = await draftRecap({ db, model: failing }, t.access, subjectOf(row.id), "campaign");
    expect(fallback).toMatchObject({
      provider: "extractive",
      notice: expect.stringContaining("stopped with an error"),
    });
    expect(fallback.markdown).toContain("They found the door barred from inside. [1]");
  });

  it("land in the editor through the routes and write nothing", async () => {
    const t = await table();
    const row = await createSession(db, t.campaign, session({ number: 4, notes: NOTES, recap: "Old recap." }));
    const url = `http://localhost/campaigns/${t.campaign.id}/sessions/${row.id}/edit`;
    const params = { campaignId: t.campaign.id, sessionId: String(row.id) };
    const cookie = await sessionCookieFor(t.gm);
    const edit = routeAt("/campaigns/:campaignId/sessions/:sessionId/edit");
    // From the session page: no fields, the saved notes.
    const fromPage = await callRoute(edit, "action", url, { cookie, params, form: { intent: "draft" } });
    expect(fromPage?.status).toBe(200);
    const drafted = (await fromPage?.json()) as {
      draft: { values: { recap: string; number: string }; version: number };
    };
    expect(drafted.draft.values.recap).toContain("They found the door barred from inside. [1]");
    expect(drafted.draft.version).toBe(1);
    // From the form as typed: its notes, its audience.
    const fromForm = await callRoute(edit, "action", url, {
      cookie,
      params,
      form: {
        intent: "draft",
        version: "1",
        number: "4",
        playedOn: "2026-11-20",
        notes: "Wren found [[The Mill]].",
        audience: "campaign",
      },
    });
    const typed = (await fromForm?.json()) as { draft: { values: { recap: string; audience: string } } };
    expect(typed.draft.values.recap).toMatch(/^Wren found \[\[The Mill\]\]\. \[1\]/);
    expect(typed.draft.values.audience).toBe("campaign");
    expect(await getSession(db, t.access, row.id)).toMatchObject({ version: 1, recap: "Old recap." });
    // A player cannot draft (nor open the editor).
    const asPlayer = await callRoute(edit, "action", url, {
      cookie: await sessionCookieFor(t.player),
      params,
      form: { intent: "draft" },
    });
    expect(asPlayer?.status).toBe(404);
    // Saving the edited draft at the version it started from.
    const saved = await callRoute(edit, "action", url, {
      cookie,
      params,
      form: {
        intent: "save",
        version: "1",
        number: "4",
        playedOn: "2026-11-20",
        notes: NOTES,
        recap: `${typed.draft.values.recap}\n\nEdited.`,
      },
    });
    expect(saved?.status).toBe(302);
    expect((await getSession(db, t.access, row.id))?.recap).toContain("Edited.");
    const stale = await callRoute(edit, "action", url, {
      cookie,
      params,
      form: { intent: "save", version: "1", number: "4", playedOn: "2026-11-20", recap: "Mine" },
    });
    expect(stale?.status).toBe(409);
  });
});
