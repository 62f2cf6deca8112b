import { z } from "zod";

/** Shared by the forms (Conform, in the browser) and the actions (on the server). */

// Upper case is allowed here because input is case-folded first; the browser sees the
// same pattern (as an HTML `pattern`) before folding.
export const USERNAME_PATTERN = /^[A-Za-z0-9_-]{3,32}$/;
export const MIN_PASSWORD_LENGTH = 10;
/** Long enough for any passphrase; short enough that hashing stays cheap. */
export const MAX_PASSWORD_LENGTH = 256;

export const usernameSchema = z
  .string({ error: "Enter a username." })
  .trim()
  .toLowerCase()
  .min(3, "Usernames are at least 3 characters.")
  .max(32, "Usernames are at most 32 characters.")
  .regex(USERNAME_PATTERN, "Use only letters a–z, digits, _ and -.");

export const passwordSchema = z
  .string({ error: "Enter a password." })
  .min(MIN_PASSWORD_LENGTH, `Passwords are at least ${MIN_PASSWORD_LENGTH} characters.`)
  .max(MAX_PASSWORD_LENGTH, `Passwords are at most ${MAX_PASSWORD_LENGTH} characters.`);

/**
 * Where to go after sign-in: only a path on this site. Resolving against a dummy origin
 * the way a browser would catches every trick that leaves it (`//host`, `/\host`, a tab
 * inside `//`), and the normalised path is what we redirect to.
 */
export const redirectToSchema = z
  .string()
  .optional()
  .transform((value) => {
    if (!value?.startsWith("/")) return undefined;
    const base = "http://loresmith.invalid";
    try {
      const url = new URL(value, base);
      return url.origin === base ? url.pathname + url.search + url.hash : undefined;
    } catch {
      return undefined;
    }
  });

export const loginSchema = z.object({
  username: usernameSchema,
  // Sign-in accepts any non-empty password: the length rule belongs to choosing one.
  password: z.string({ error: "Enter your password." }).min(1, "Enter your password.").max(MAX_PASSWORD_LENGTH),
  remember: z.boolean().optional(),
  redirectTo: redirectToSchema,
});

export const signupSchema = z
  .object({
    username: usernameSchema,
    password: passwordSchema,
    confirmPassword: z.string({ error: "Repeat the password." }),
    remember: z.boolean().optional(),
    redirectTo: redirectToSchema,
  })
  .refine((value) => value.password === value.confirmPassword, {
    path: ["confirmPassword"],
    message: "The passwords do not match.",
  });

export const changePasswordSchema = z
  .object({
    intent: z.literal("change-password"),
    currentPassword: z.string({ error: "Enter your current password." }).max(MAX_PASSWORD_LENGTH),
    newPassword: passwordSchema,
    confirmPassword: z.string({ error: "Repeat the new password." }),
  })
  .refine((value) => value.newPassword === value.confirmPassword, {
    path: ["confirmPassword"],
    message: "The passwords do not match.",
  });

export const deleteAccountSchema = z.object({
  intent: z.literal("delete-account"),
  password: z.string({ error: "Enter your password to confirm." }).max(MAX_PASSWORD_LENGTH),
  confirmUsername: z.string({ error: "Type your username to confirm." }).trim().toLowerCase(),
});

/** A recovery code as printed ("7KQ2-…", 16 characters); typed loosely, checked on the server. */
export const recoveryCodeSchema = z
  .string({ error: "Enter one of your recovery codes." })
  .trim()
  .min(16, "A recovery code has 16 letters and digits, like 7KQ2-M9XD-4H1T-8VRA.")
  .max(40, "A recovery code has 16 letters and digits, like 7KQ2-M9XD-4H1T-8VRA.");

export const recoverSchema = z
  .object({
    username: usernameSchema,
    code: recoveryCodeSchema,
    newPassword: passwordSchema,
    confirmPassword: z.string({ error: "Repeat the new password." }),
  })
  .refine((value) => value.newPassword === value.confirmPassword, {
    path: ["confirmPassword"],
    message: "The passwords do not match.",
  });

export const newRecoveryCodesSchema = z.object({
  intent: z.literal("new-recovery-codes"),
  password: z.string({ error: "Enter your password to confirm." }).max(MAX_PASSWORD_LENGTH),
});

export const signOutDeviceSchema = z.object({
  intent: z.literal("sign-out-device"),
  deviceId: z.string().regex(/^[0-9a-f]{64}$/, "That device is not signed in."),
});
