import {
  createAccountViaHttp,
  expect,
  fillSignUp,
  formError,
  openMainNav,
  originOf,
  signOut,
  signUp,
  submitSignIn,
  test,
  uniquePassword,
  uniqueUsername,
} from "./fixtures";

test("account journey: sign up, sign out, sign in, throttling, change password, delete account", async ({
  page,
  request,
  baseURL,
  isMobile,
  newClient,
}) => {
  // A dozen sign-ins with password hashing, and three browser contexts.
  test.slow();
  const username = uniqueUsername();
  const password = uniquePassword();
  const newPassword = uniquePassword();

  await test.step("sign up lands on the welcome page", async () => {
    await signUp(page, username, password);
  });

  await test.step("sign out", async () => {
    await signOut(page, isMobile);
  });

  await test.step("a wrong password is refused, the right one signs in", async () => {
    await submitSignIn(page, username, `${password}-wrong`);
    await expect(page).toHaveURL(/\/login/);
    await expect(formError(page)).toHaveText("Wrong username or password.");
    await submitSignIn(page, username, password);
    await expect(page).toHaveURL(/\/home$/);
    await expect(page.getByRole("heading", { level: 1 })).toHaveText(`Welcome, ${username}`);
  });

  await test.step("five failures lock the username, whichever client tries next", async () => {
    // A throwaway account, so the main one stays usable; attacked from another client.
    const victim = uniqueUsername("e2e-lock");
    const victimPassword = uniquePassword();
    await createAccountViaHttp(request, baseURL, victim, victimPassword);

    const attacker = await newClient();
    await attacker.goto("/login");
    for (let attempt = 1; attempt <= 4; attempt++) {
      await submitSignIn(attacker, victim, `wrong-password-${attempt}`);
      await expect(formError(attacker), `attempt ${attempt}`).toHaveText("Wrong username or password.");
    }
    await submitSignIn(attacker, victim, "wrong-password-5");
    await expect(formError(attacker)).toContainText("Too many failed");
    await expect(formError(attacker)).toContainText(/wait \d+ seconds?/);

    // A fresh client (new address, no cookies) with the RIGHT password is still refused.
    const owner = await newClient();
    const refused = await owner.request.post("/login", {
      headers: { Origin: originOf(baseURL) },
      form: { username: victim, password: victimPassword },
      maxRedirects: 0,
    });
    expect(refused.status(), "no session is started while locked").toBe(429);
    expect(refused.headers()["set-cookie"]).toBeUndefined();
    expect(await refused.text()).toContain("Too many failed");

    // The attacking client is locked too, even for an account it has not attacked.
    await submitSignIn(attacker, username, password);
    await expect(formError(attacker)).toContainText("Too many failed");
    await expect(attacker).toHaveURL(/\/login/);

    // The owner's own browser (it signed up there: a known device) is not locked out.
    const own = await request.post("/login", {
      headers: { Origin: originOf(baseURL) },
      form: { username: victim, password: victimPassword },
      maxRedirects: 0,
    });
    expect(own.status(), "the owner's known device still signs in").toBe(302);
  });

  // Signed in elsewhere too: changing the password must sign that session out.
  const otherDevice = (await newClient()).request;
  const otherSignIn = await otherDevice.post("/login", {
    headers: { Origin: originOf(baseURL) },
    form: { username, password },
    maxRedirects: 0,
  });
  expect(otherSignIn.status()).toBe(302);
  expect((await otherDevice.get("/home", { maxRedirects: 0 })).status()).toBe(200);

  await test.step("change the password", async () => {
    const nav = await openMainNav(page, isMobile);
    await nav.getByRole("link", { name: "Settings" }).click();
    await expect(page).toHaveURL(/\/settings$/);
    const section = page.getByRole("region", { name: "Change password" });
    await section.getByLabel("Current password").fill(password);
    await section.getByLabel("New password", { exact: true }).fill(newPassword);
    await section.getByLabel("Repeat the new password").fill(newPassword);
    await section.getByRole("button", { name: "Change password" }).click();
    await expect(page.getByRole("status")).toContainText("Your password was changed.");
    // This session was re-issued and stays signed in.
    await page.reload();
    await expect(page.getByRole("heading", { level: 1 })).toHaveText("Settings");
  });

  await test.step("the other session was signed out", async () => {
    const home = await otherDevice.get("/home", { maxRedirects: 0 });
    expect(home.status()).toBe(302);
    expect(home.headers().location).toBe("/login?redirectTo=%2Fhome");
  });

  await test.step("the old password no longer works, the new one does", async () => {
    await signOut(page, isMobile);
    await submitSignIn(page, username, password);
    await expect(formError(page)).toHaveText("Wrong username or password.");
    await submitSignIn(page, username, newPassword);
    await expect(page).toHaveURL(/\/home$/);
    await expect(page.getByRole("heading", { level: 1 })).toHaveText(`Welcome, ${username}`);
  });

  await test.step("delete the account", async () => {
    const nav = await openMainNav(page, isMobile);
    await nav.getByRole("link", { name: "Settings" }).click();
    await expect(page).toHaveURL(/\/settings$/);
    const section = page.getByRole("region", { name: "Delete account" });
    await section.getByLabel(/^Type your username/).fill(username);
    await section.getByLabel("Your password").fill(newPassword);
    await section.getByRole("button", { name: "Delete my account" }).click();
    await expect(page).toHaveURL(/\/\?accountDeleted=1$/);
    await expect(page.getByRole("status")).toHaveText("Your account and everything in it were deleted.");
    await page.goto("/home");
    await expect(page, "signed out after deletion").toHaveURL(/\/login\?redirectTo=%2Fhome$/);
  });

  await test.step("the deleted account cannot sign in", async () => {
    await page.goto("/login");
    await submitSignIn(page, username, newPassword);
    await expect(formError(page)).toHaveText("Wrong username or password.");
    await expect(page).toHaveURL(/\/login/);
  });
});

test.describe("without JavaScript", () => {
  test.use({ javaScriptEnabled: false });

  test("sign-up and sign-in work as plain form posts, with the server's messages", async ({ page, isMobile }) => {
    const username = uniqueUsername("e2e-nojs");
    const password = uniquePassword();

    await page.goto("/signup");
    await fillSignUp(page, username, password, `${password}-typo`);
    await expect(page).toHaveURL(/\/signup$/);
    await expect(page.getByText("The passwords do not match.")).toBeVisible();
    // The username survives the round trip; passwords are never sent back.
    await expect(page.getByLabel("Username")).toHaveValue(username);
    await expect(page.getByLabel("Password", { exact: true })).toHaveValue("");

    // The form has `novalidate`, so the server's length rule is what answers here.
    await fillSignUp(page, username, "short", "short");
    await expect(page.getByText("Passwords are at least 10 characters.")).toBeVisible();

    await fillSignUp(page, username, password);
    await expect(page).toHaveURL(/\/settings\/recovery-codes\?welcome=1$/);
    await expect(page.getByRole("list", { name: "Your recovery codes" }).getByRole("listitem")).toHaveCount(10);
    await page.getByRole("link", { name: "I have saved them — continue" }).click();
    await expect(page).toHaveURL(/\/home$/);
    await expect(page.getByRole("heading", { level: 1 })).toHaveText(`Welcome, ${username}`);

    await signOut(page, isMobile);

    const refused = await submitSignIn(page, username, `${password}-wrong`);
    // A document request, not React Router's fetch (`/login.data`): JavaScript is really off.
    expect(refused.request().resourceType()).toBe("document");
    expect(new URL(refused.url()).pathname).toBe("/login");
    expect(refused.status()).toBe(401);
    await expect(formError(page)).toHaveText("Wrong username or password.");

    await submitSignIn(page, username, password);
    await expect(page).toHaveURL(/\/home$/);
    await expect(page.getByRole("heading", { level: 1 })).toHaveText(`Welcome, ${username}`);
  });
});

test("recovery codes and signed-in devices: see every device, sign one out, reset a forgotten password", async ({
  page,
  baseURL,
  isMobile,
  newClient,
}) => {
  test.slow();
  const username = uniqueUsername("e2e-recover");
  const password = uniquePassword();

  await page.goto("/signup");
  await fillSignUp(page, username, password);
  await expect(page).toHaveURL(/\/settings\/recovery-codes\?welcome=1$/);
  const codes = await page.getByRole("list", { name: "Your recovery codes" }).getByRole("listitem").allTextContents();
  expect(codes).toHaveLength(10);
  // Shown once: a reload shows only how many are left.
  await page.reload();
  await expect(page.getByRole("list", { name: "Your recovery codes" })).toHaveCount(0);
  await expect(page.getByText("You have 10 unused recovery codes.")).toBeVisible();

  await test.step("Settings lists both devices and signs the other one out", async () => {
    const laptop = (await newClient()).request;
    const signedIn = await laptop.post("/login", {
      headers: { Origin: originOf(baseURL), "User-Agent": "Mozilla/5.0 (Windows NT 10.0) Firefox/128.0" },
      form: { username, password },
      maxRedirects: 0,
    });
    expect(signedIn.status()).toBe(302);
    await page.goto("/settings");
    const devices = page.getByRole("list", { name: "Signed-in devices" }).getByRole("listitem");
    await expect(devices).toHaveCount(2);
    await expect(devices.filter({ hasText: "This device" })).toHaveCount(1);
    const other = devices.filter({ hasText: "Firefox on Windows" });
    await other.getByRole("button", { name: /Sign out/ }).click();
    await expect(page.getByRole("status")).toContainText("That device is signed out.");
    await expect(page.getByRole("list", { name: "Signed-in devices" }).getByRole("listitem")).toHaveCount(1);
    const home = await laptop.get("/home", { maxRedirects: 0 });
    expect(home.status()).toBe(302);
  });

  await test.step("a recovery code sets a new password once", async () => {
    await signOut(page, isMobile);
    await page.goto("/login");
    await page.getByRole("link", { name: "Use a recovery code" }).click();
    await expect(page).toHaveURL(/\/recover$/);
    const newPassword = uniquePassword();
    await page.getByLabel("Username").fill(username);
    await page.getByLabel("Recovery code").fill((codes[0] ?? "").toLowerCase());
    await page.getByLabel("New password", { exact: true }).fill(newPassword);
    await page.getByLabel("Repeat the new password").fill(newPassword);
    await page.getByRole("button", { name: "Set the new password and sign in" }).click();
    await expect(page).toHaveURL(/\/settings\?recovered=1$/);
    await expect(page.getByRole("status")).toContainText("You have 9 recovery codes left.");

    // The same code does not work twice.
    await signOut(page, isMobile);
    await page.goto("/recover");
    await page.getByLabel("Username").fill(username);
    await page.getByLabel("Recovery code").fill(codes[0] ?? "");
    await page.getByLabel("New password", { exact: true }).fill(uniquePassword());
    await page.getByLabel("Repeat the new password").fill(uniquePassword());
    await page.getByRole("button", { name: "Set the new password and sign in" }).click();
    await expect(page.getByText("The passwords do not match.")).toBeVisible();
    const again = uniquePassword();
    await page.getByLabel("Recovery code").fill(codes[0] ?? "");
    await page.getByLabel("New password", { exact: true }).fill(again);
    await page.getByLabel("Repeat the new password").fill(again);
    await page.getByRole("button", { name: "Set the new password and sign in" }).click();
    await expect(formError(page)).toContainText("the code was used already");
  });
});
