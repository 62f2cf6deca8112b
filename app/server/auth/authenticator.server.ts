import { parseWithZod } from "@conform-to/zod/v4";
import { Authenticator } from "remix-auth";
import { FormStrategy } from "remix-auth-form";
import { loginSchema } from "~/lib/auth-schemas";
import type { Db } from "../db/db.server";
import type { User } from "../db/schema";
import type { RequestState } from "../request.server";
import { AccountError, verifyLogin } from "./accounts.server";
import { attemptOrigin } from "./sign-in.server";

export interface LoginResult {
  user: User;
  remember: boolean;
  redirectTo: string | undefined;
}

/** remix-auth with its form strategy: the verify step checks the password, throttled. */
export function createAuthenticator(db: Db, state: RequestState): Authenticator<LoginResult> {
  return new Authenticator<LoginResult>().use(
    new FormStrategy(async ({ form, request }) => {
      const submission = parseWithZod(form, { schema: loginSchema });
      if (submission.status !== "success") throw new AccountError("Enter your username and password.");
      const { username, password, remember, redirectTo } = submission.value;
      const user = await verifyLogin(db, username, password, await attemptOrigin(state, request));
      return { user, remember: remember ?? false, redirectTo };
    }),
  );
}
