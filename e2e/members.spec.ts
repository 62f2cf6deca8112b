import {
  createAccountViaHttp,
  createCampaignViaHttp,
  expect,
  expectNoHorizontalOverflow,
  expectToast,
  fillSignUp,
  randomClientIp,
  test,
  uniquePassword,
  uniqueUsername,
} from "./fixtures";

/**
 * Campaign members (ADR 0026): a GM at a desktop invites a co-GM by link; the invitee opens
 * it on a phone without JavaScript, signs up from it, joins, and lands in the campaign; the
 * link, single-use, then works for nobody else.
 */

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
  await page.getByRole("button", { name: "Make an invite link" }).click();
  const link = await page.getByLabel("Invite link").inputValue();
  expect(link).toMatch(/\/join\/[0-9a-f]{32}$/);

  const phone = await browser.newContext({
    baseURL,
    viewport: { width: 375, height: 812 },
    isMobile: true,
    hasTouch: true,
    javaScriptEnabled: false,
    extraHTTPHeaders: { "CF-Connecting-IP": randomClientIp() },
  });
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
