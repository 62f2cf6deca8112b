import type { Browser, Page } from "@playwright/test";
import {
  createAccountViaHttp,
  createCampaignViaHttp,
  createCharacterViaHttp,
  createContextEntryViaHttp,
  expect,
  expectNoHorizontalOverflow,
  expectToast,
  fillSignUp,
  randomClientIp,
  renamedToast,
  test,
  uniquePassword,
  uniqueUsername,
  waitForHydration,
} from "./fixtures";

/**
 * Campaign members (ADR 0026): a GM at a desktop invites a co-GM by link; the invitee opens
 * it on a phone without JavaScript, signs up from it, joins, and lands in the campaign; the
 * link, single-use, then works for nobody else.
 */

/** A browser context of its own (cookies, client address) at 375 px, with JavaScript off unless asked. */
function phoneContext(browser: Browser, baseURL: string | undefined, { javaScript = false } = {}) {
  return browser.newContext({
    baseURL,
    viewport: { width: 375, height: 812 },
    isMobile: true,
    hasTouch: true,
    javaScriptEnabled: javaScript,
    extraHTTPHeaders: { "CF-Connecting-IP": randomClientIp() },
  });
}

/** The GM makes an invite link for this role on the campaign's Members page. */
async function inviteLink(page: Page, campaignId: string, role: "co-gm" | "player"): Promise<string> {
  await page.goto(`/campaigns/${campaignId}/members`);
  await page.getByLabel("Role").selectOption(role);
  await page.getByRole("button", { name: "Make an invite link" }).click();
  return page.getByLabel("Invite link").inputValue();
}

/** A new account, signed in on this page's context, joins by the link. Answers its username. */
async function joinAsNewAccount(
  page: Page,
  baseURL: string | undefined,
  link: string,
  prefix: string,
  roleLabel: "Player" | "Co-GM",
): Promise<string> {
  const name = uniqueUsername(prefix);
  await createAccountViaHttp(page.request, baseURL, name, uniquePassword());
  await page.goto(link);
  await page.getByRole("button", { name: /^Join/ }).click();
  await expectToast(page, `Welcome! You joined as ${roleLabel}.`);
  return name;
}

test("a GM invites a co-GM by link, who signs up from it on a phone without JavaScript and joins", async ({
  page,
  browser,
  baseURL,
  isMobile,
  newClient,
}) => {
  test.skip(isMobile, "The journey drives a desktop GM and a phone-sized invitee itself.");
  const gm = uniqueUsername("gm");
  await createAccountViaHttp(page.request, baseURL, gm, uniquePassword());
  const name = `Drowned Abbey ${uniqueUsername("c")}`;
  const campaignId = await createCampaignViaHttp(page.request, baseURL, { name });

  await page.goto(`/campaigns/${campaignId}/members`);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Members");
  await expect(page.getByLabel("Who can use it")).toHaveValue("1");
  await page.getByLabel("Role").selectOption("co-gm");
  await page.getByRole("button", { name: "Make an invite link" }).click();
  const link = await page.getByLabel("Invite link").inputValue();
  expect(link).toMatch(/\/join\/[0-9a-f]{32}$/);

  const phone = await phoneContext(browser, baseURL);
  try {
    const invitee = await phone.newPage();
    const player = uniqueUsername("cogm");
    await invitee.goto(link);
    // Signed out: sign-in first, with the way to sign up, and both come back to the invite.
    await expect(invitee).toHaveURL(/\/login\?redirectTo=%2Fjoin%2F[0-9a-f]{32}$/);
    await invitee.getByRole("link", { name: "Create an account" }).click();
    await expect(invitee).toHaveURL(/\/signup\?redirectTo=%2Fjoin%2F/);
    await fillSignUp(invitee, player, uniquePassword());
    await expect(invitee).toHaveURL(/\/settings\/recovery-codes\?welcome=1&next=%2Fjoin%2F/);
    await invitee.getByRole("link", { name: "I have saved them — continue" }).click();

    await expect(invitee.getByRole("heading", { level: 1 })).toHaveText(`Join ${name}`);
    await expect(invitee.getByText(`${gm} invites you to their campaign as Co-GM`)).toBeVisible();
    await expectNoHorizontalOverflow(invitee, "the invite page at 375 px");
    await invitee.getByRole("button", { name: `Join ${name}` }).click();
    await expect(invitee).toHaveURL(new RegExp(`/campaigns/${campaignId}$`));
    await expectToast(invitee, "Welcome! You joined as Co-GM.");
    await expect(invitee.getByText(`Co-GM in ${gm}’s campaign`)).toBeVisible();
    await expectNoHorizontalOverflow(invitee, "the campaign overview at 375 px");

    await invitee.goto("/campaigns");
    const shared = invitee.getByRole("region", { name: "Campaigns you are in" });
    await expect(shared.getByRole("link", { name: new RegExp(name) })).toContainText(`Co-GM · run by ${gm}`);

    // The GM sees the new co-GM, and the single-use link is no longer among those that work.
    await page.reload();
    await expect(page.getByRole("listitem").filter({ hasText: player })).toContainText("Co-GM");
    await expect(page.getByRole("heading", { name: "Links that still work" })).toBeHidden();

    const latecomer = await newClient();
    await createAccountViaHttp(latecomer.request, baseURL, uniqueUsername("late"), uniquePassword());
    const dead = await latecomer.goto(link);
    expect(dead?.status()).toBe(404);
    await expect(latecomer.getByRole("heading", { level: 1 })).toHaveText("This invite no longer works");
    await expect(latecomer.getByText(name)).toBeHidden();
  } finally {
    await phone.close();
  }
});

test("a player joins on a phone without JavaScript, sees only what the GM reveals, and the assistant answers from it", async ({
  page,
  browser,
  baseURL,
  isMobile,
}) => {
  test.skip(isMobile, "The journey drives a desktop GM and a phone-sized player itself.");
  const gm = uniqueUsername("gm");
  await createAccountViaHttp(page.request, baseURL, gm, uniquePassword());
  const campaignId = await createCampaignViaHttp(page.request, baseURL, { name: `Saltmarsh ${uniqueUsername("c")}` });
  const entryId = await createContextEntryViaHttp(page.request, baseURL, campaignId, {
    title: "The lighthouse keeper",
    content:
      "The lighthouse keeper signals the smugglers with a green lamp.\n\n```secret\nHe is the abbot's brother.\n```",
  });
  const link = await inviteLink(page, campaignId, "player");

  const phone = await phoneContext(browser, baseURL);
  try {
    const player = await phone.newPage();
    const name = await joinAsNewAccount(player, baseURL, link, "player", "Player");
    await player.goto(`/campaigns/${campaignId}/context`);
    await expect(player.getByText("Nothing has been shared with you here yet.")).toBeVisible();
    expect((await player.goto(`/campaigns/${campaignId}/context/${entryId}`))?.status()).toBe(404);

    // The GM reveals the entry to this player, at the session's table.
    await page.goto(`/campaigns/${campaignId}/context/${entryId}`);
    await page.getByRole("checkbox", { name: new RegExp(name) }).check();
    await page.getByLabel("Session (optional)").fill("Session 1");
    await page.getByRole("button", { name: "Reveal to the chosen" }).click();
    await expectToast(page, "Revealed to one person.");
    await expect(page.getByText(`${name} learned it just now · Session 1`)).toBeVisible();

    await player.goto(`/campaigns/${campaignId}/context/${entryId}`);
    await expect(player.getByRole("heading", { level: 1 })).toHaveText("The lighthouse keeper");
    await expect(player.getByText("signals the smugglers with a green lamp")).toBeVisible();
    await expect(player.getByText("abbot's brother")).toBeHidden();
    await expectNoHorizontalOverflow(player, "a revealed entry at 375 px");

    // The player asks; the answer cites the revealed entry, without its secret.
    await player.goto(`/campaigns/${campaignId}/assistant`);
    await player.getByLabel("Ask a question to start a conversation").fill("Who signals the smugglers?");
    await player.getByRole("button", { name: "Ask" }).click();
    const answer = player.getByRole("article", { name: "Answer" });
    await expect(answer.getByRole("blockquote")).toContainText("signals the smugglers with a green lamp");
    const source = answer.getByRole("list", { name: "Sources" }).getByRole("link");
    await expect(source).toHaveAttribute("href", `/campaigns/${campaignId}/context/${entryId}`);
    await expect(source).not.toContainText("GM only");
    await expect(player.getByText("abbot's brother")).toBeHidden();
  } finally {
    await phone.close();
  }
});

test("at the table: the GM reveals an entry mid-session and it appears on the player's phone without a reload", async ({
  page,
  browser,
  baseURL,
  isMobile,
}) => {
  test.skip(isMobile, "The journey drives a desktop GM and a phone-sized player itself.");
  const gm = uniqueUsername("gm");
  await createAccountViaHttp(page.request, baseURL, gm, uniquePassword());
  const campaignId = await createCampaignViaHttp(page.request, baseURL, { name: `Phandalin ${uniqueUsername("c")}` });
  const entryId = await createContextEntryViaHttp(page.request, baseURL, campaignId, {
    title: "The redbrand hideout",
    content: "The redbrands hide in the cellars under Tresendar Manor.\n\n```secret\nGlasstaff is Iarno.\n```",
  });
  await createContextEntryViaHttp(page.request, baseURL, campaignId, {
    title: "The wave echo cave",
    content: "The forge of spells lies in the cave.",
  });
  const link = await inviteLink(page, campaignId, "player");

  const table = await phoneContext(browser, baseURL, { javaScript: true });
  try {
    const player = await table.newPage();
    const name = await joinAsNewAccount(player, baseURL, link, "player", "Player");

    // The player keeps the campaign's lore open; the GM opens the entry to reveal.
    await player.goto(`/campaigns/${campaignId}/context`);
    await waitForHydration(player);
    await expect(player.getByText("Nothing has been shared with you here yet.")).toBeVisible();
    await page.goto(`/campaigns/${campaignId}/context/${entryId}`);
    const presence = player.getByRole("region", { name: "Who is here now" });
    await expect(presence).toContainText(`${gm} (Owner)`);
    await expect(presence).toContainText("you (Player)");
    await expect(page.getByRole("region", { name: "Who is here now" })).toContainText(`${name} (Player)`);
    await player.evaluate(() => Object.assign(globalThis, { stillTheSamePage: true }));

    await page.getByRole("checkbox", { name: new RegExp(name) }).check();
    await page.getByLabel("Session (optional)").fill("Session 2");
    await page.getByRole("button", { name: "Reveal to the chosen" }).click();
    await expectToast(page, "Revealed to one person.");

    // Live on the phone: the entry appears in the list, and only that one.
    const revealed = player.getByRole("link", { name: /The redbrand hideout/ });
    await expect(revealed).toBeVisible();
    await expect(player.getByText("The wave echo cave")).toBeHidden();
    expect(await player.evaluate(() => (globalThis as { stillTheSamePage?: boolean }).stillTheSamePage)).toBe(true);
    await expectNoHorizontalOverflow(player, "the live lore list at 375 px");

    // The session log: the GM's note for everyone appears on the phone, the GM-only one never.
    await page.goto(`/campaigns/${campaignId}/log`);
    await player.goto(`/campaigns/${campaignId}/log`);
    await waitForHydration(player);
    await waitForHydration(page);
    await page.getByLabel("Add a note").fill("Sildar asks the party to find Iarno.");
    await page.getByRole("button", { name: "Add note" }).click();
    await expect(page.getByLabel("Add a note")).toHaveValue("");
    await page.getByLabel("Add a note").fill("Iarno is Glasstaff: reveal in session 3.");
    await page.getByLabel("Keep for the GMs").check();
    await page.getByRole("button", { name: "Add note" }).click();
    await expect(page.getByText("Iarno is Glasstaff: reveal in session 3.")).toBeVisible();
    const notes = player.getByRole("list", { name: "Notes, newest first" });
    await expect(notes).toContainText("Sildar asks the party to find Iarno.");
    await player.getByLabel("Add a note").fill("We head for Tresendar Manor.");
    await player.getByRole("button", { name: "Add note" }).click();
    await expect(page.getByRole("list", { name: "Notes, newest first" })).toContainText("We head for Tresendar Manor.");
    await expect(notes.getByRole("listitem")).toHaveCount(2);
    await expect(player.getByText("Glasstaff")).toBeHidden();
    await expectNoHorizontalOverflow(player, "the session log at 375 px");

    // The player asks; the answer cites the revealed entry, and nothing hidden.
    await player.goto(`/campaigns/${campaignId}/assistant`);
    await waitForHydration(player);
    await player.getByLabel("Ask a question to start a conversation").fill("Where do the redbrands hide?");
    await player.getByRole("button", { name: "Ask" }).click();
    const answer = player.getByRole("article", { name: "Answer" });
    await expect(answer.getByRole("blockquote")).toContainText("cellars under Tresendar Manor");
    const sources = answer.getByRole("list", { name: "Sources" }).getByRole("link");
    await expect(sources).toHaveCount(1);
    await expect(sources).toHaveAttribute("href", `/campaigns/${campaignId}/context/${entryId}`);
    await expect(player.getByText("Glasstaff")).toBeHidden();
    await expect(player.getByText("forge of spells")).toBeHidden();
  } finally {
    await table.close();
  }
});

test("at the table: a co-GM editing an entry sees who changed it meanwhile, and keeps what they typed", async ({
  page,
  browser,
  baseURL,
  isMobile,
}) => {
  test.skip(isMobile, "The journey drives two desktop GMs itself.");
  const gm = uniqueUsername("gm");
  await createAccountViaHttp(page.request, baseURL, gm, uniquePassword());
  const campaignId = await createCampaignViaHttp(page.request, baseURL, { name: `Barovia ${uniqueUsername("c")}` });
  const entryId = await createContextEntryViaHttp(page.request, baseURL, campaignId, {
    title: "Castle Ravenloft",
    content: "The castle looms over the village.",
  });
  const link = await inviteLink(page, campaignId, "co-gm");

  const second = await browser.newContext({ baseURL, extraHTTPHeaders: { "CF-Connecting-IP": randomClientIp() } });
  try {
    const coGm = await second.newPage();
    await joinAsNewAccount(coGm, baseURL, link, "cogm", "Co-GM");
    const edit = `/campaigns/${campaignId}/context/${entryId}/edit`;
    await coGm.goto(edit);
    await waitForHydration(coGm);
    await expect(coGm.getByRole("region", { name: "Who is here now" })).toContainText("you (Co-GM)");
    await coGm.getByLabel("Content").fill("The castle looms over the village. Strahd dines at midnight.");

    await page.goto(edit);
    await page.getByLabel("Title").fill("Castle Ravenloft, the count's seat");
    await page.getByRole("button", { name: "Save entry" }).click();
    // Renamed: the toast says the old name still works in links, and who can read it.
    await expectToast(page, renamedToast("Entry saved.", "Castle Ravenloft"));

    await expect(coGm.getByRole("status").filter({ hasText: `${gm} just changed this entry` })).toBeVisible();
    await expect(coGm.getByLabel("Content")).toHaveValue(/Strahd dines at midnight/);
    await coGm.getByRole("button", { name: "Save entry" }).click();
    await expect(coGm.getByText("Castle Ravenloft, the count's seat")).toBeVisible();
    await expect(coGm.getByRole("button", { name: "Save mine anyway" })).toBeVisible();
  } finally {
    await second.close();
  }
});

test("a player writes their own character's backstory on a phone without JavaScript and shares a conversation the GM reads", async ({
  page,
  browser,
  baseURL,
  isMobile,
}) => {
  test.skip(isMobile, "The journey drives a desktop GM and a phone-sized player itself.");
  const gm = uniqueUsername("gm");
  await createAccountViaHttp(page.request, baseURL, gm, uniquePassword());
  const campaignId = await createCampaignViaHttp(page.request, baseURL, { name: `Saltmarsh ${uniqueUsername("c")}` });
  const characterId = await createCharacterViaHttp(page.request, baseURL, campaignId, {
    characterName: "Wren Ashdown",
    characterType: "pc",
    backstory: "Grew up on the docks.",
  });
  const link = await inviteLink(page, campaignId, "player");

  const phone = await phoneContext(browser, baseURL);
  try {
    const player = await phone.newPage();
    const name = await joinAsNewAccount(player, baseURL, link, "player", "Player");

    // The GM names the player and lets them write the backstory.
    await page.goto(`/campaigns/${campaignId}/characters/${characterId}`);
    await page.getByLabel("Player", { exact: true }).selectOption({ label: name });
    await page.getByRole("checkbox", { name: "Backstory" }).check();
    await page.getByRole("button", { name: "Save player" }).click();
    await expectToast(page, "Player saved. They can open this character now.");

    await player.goto(`/campaigns/${campaignId}/characters/${characterId}`);
    await player.getByRole("link", { name: "Edit my character" }).click();
    await expect(player.getByRole("heading", { level: 1 })).toHaveText("Edit Wren Ashdown");
    await expect(player.getByLabel("Name", { exact: true })).toBeHidden();
    await expectNoHorizontalOverflow(player, "the player's character form at 375 px");
    await player.getByLabel("Backstory").fill("Grew up on the docks. Owes the harbourmaster a favour.");
    await player.getByRole("button", { name: "Save my character" }).click();
    await expectToast(player, "Your character is saved.");
    await expect(player.getByText("Owes the harbourmaster a favour.")).toBeVisible();

    // The player asks without JavaScript, then shares the conversation with the GMs.
    await player.goto(`/campaigns/${campaignId}/assistant`);
    await player.getByLabel("Ask a question to start a conversation").fill("Who do I owe a favour?");
    await player.getByRole("button", { name: "Ask" }).click();
    await expect(player.getByRole("article", { name: "Answer" })).toBeVisible();
    await expect(player.getByRole("list", { name: "Sources" }).getByRole("link")).toHaveText(
      /^Wren Ashdown · Player character in Saltmarsh/,
    );
    await expect(player.getByRole("link", { name: "Save as context entry" })).toBeHidden();
    await player.getByRole("button", { name: "Share with the GMs" }).click();
    await expectToast(player, "Shared with the GMs: they can read this conversation.");
    await expectNoHorizontalOverflow(player, "a shared conversation at 375 px");

    await page.goto(`/campaigns/${campaignId}/assistant`);
    const shared = page.getByRole("list", { name: "Shared with the GMs" });
    await shared.getByRole("link", { name: /^Who do I owe a favour\?/ }).click();
    await expect(page.getByText(`${name} shared this conversation with the GMs.`)).toBeVisible();
    await expect(page.getByRole("list", { name: "Messages" }).getByText("Who do I owe a favour?")).toBeVisible();
    await expect(page.getByLabel("Ask about this campaign")).toBeHidden();
    await expect(page.getByRole("link", { name: "Save as context entry" })).toBeHidden();
  } finally {
    await phone.close();
  }
});
