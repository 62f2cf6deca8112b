import { z } from "zod";
import { versionField } from "./campaign-schemas";
import { type Audience, audienceSchema } from "./members";

/**
 * A campaign's sessions (ADR 0037): the form's schema, shared by the browser (Conform's
 * inline checks) and the action, and the bounds both sides hold. Browser-safe.
 */

/** The GMs' notes of one session: a long evening's worth, with room to spare. */
export const MAX_SESSION_NOTES = 100_000;
/** A recap is what players read: a page or two. */
export const MAX_SESSION_RECAP = 50_000;
export const MAX_SESSION_TITLE = 120;
/** A table is rarely more than eight; a convention game or a West Marches campaign may be more. */
export const MAX_ATTENDEES = 50;
export const MAX_GUESTS = 20;
export const MAX_GUEST_NAME = 80;
/** Sessions numbered beyond this are a typo. */
export const MAX_SESSION_NUMBER = 100_000;
/** Sessions one campaign holds: weekly for forty years. */
export const MAX_SESSIONS_PER_CAMPAIGN = 2_000;
/** Sessions one page of the timeline shows. */
export const SESSIONS_PAGE = 25;

const idField = z.number({ error: "Choose attendees from the list." }).int().positive().max(Number.MAX_SAFE_INTEGER);

/** "Wren, a guest from the Thursday group" → ["Wren", "a guest from the Thursday group"]: trimmed, de-duplicated. */
const guestsField = z
  .string()
  .max(2_000, "That is a lot of guests: keep the list under 2,000 characters.")
  .optional()
  .transform((value, ctx) => {
    const seen = new Set<string>();
    const guests: string[] = [];
    for (const raw of (value ?? "").split(",")) {
      const guest = raw.trim().replace(/\s+/g, " ");
      if (!guest || seen.has(guest.toLowerCase())) continue;
      if (guest.length > MAX_GUEST_NAME) {
        ctx.addIssue({
          code: "custom",
          message: `"${guest.slice(0, 20)}…" is too long: a guest's name is at most ${MAX_GUEST_NAME} characters.`,
        });
        return z.NEVER;
      }
      seen.add(guest.toLowerCase());
      guests.push(guest);
    }
    if (guests.length > MAX_GUESTS) {
      ctx.addIssue({ code: "custom", message: `Name at most ${MAX_GUESTS} guests.` });
      return z.NEVER;
    }
    return guests;
  });

export const sessionSchema = z.object({
  number: z
    .number({ error: "Give the session a number, like 4." })
    .int("A session's number is a whole number.")
    .min(1, "Sessions are numbered from 1.")
    .max(MAX_SESSION_NUMBER, `Session numbers go up to ${MAX_SESSION_NUMBER.toLocaleString("en")}.`),
  playedOn: z.iso.date({ error: "Enter the day it was played, like 2026-12-05." }),
  title: z
    .string()
    .trim()
    .max(MAX_SESSION_TITLE, `Keep the title under ${MAX_SESSION_TITLE} characters.`)
    .optional()
    .transform((value) => value ?? ""),
  // Checkboxes: none ticked sends nothing at all.
  attendeeIds: z
    .array(idField)
    .max(MAX_ATTENDEES, `Choose at most ${MAX_ATTENDEES} attendees.`)
    .optional()
    .transform((ids) => [...new Set(ids ?? [])]),
  guests: guestsField,
  notes: z
    .string()
    .max(
      MAX_SESSION_NOTES,
      `Keep the notes under ${MAX_SESSION_NOTES.toLocaleString("en")} characters; split a marathon into two sessions.`,
    )
    .optional()
    .transform((value) => value ?? ""),
  recap: z
    .string()
    .max(MAX_SESSION_RECAP, `Keep the recap under ${MAX_SESSION_RECAP.toLocaleString("en")} characters.`)
    .optional()
    .transform((value) => value ?? ""),
  audience: audienceSchema,
});
export const sessionUpdateSchema = sessionSchema.extend({ version: versionField });

/** A session as saved; who sees it defaults to the GMs only. */
export type SessionInput = Omit<z.output<typeof sessionSchema>, "audience"> & { audience?: Audience };

export const sessionAudienceLabels: Record<Audience, string> = {
  gm: "GMs only",
  campaign: "Shared with everyone in the campaign",
};

/** Which mode drafted a recap (like an answer's provider). */
export type RecapProvider = "extractive" | "workers-ai" | "openai-compatible";

export const recapProviderLabels: Record<RecapProvider, string> = {
  extractive: "Quoted from the notes and what they link (no AI model is set up to write it)",
  "workers-ai": "Written by Workers AI from the notes and what they link",
  "openai-compatible": "Written by your configured model from the notes and what they link",
};

/** One source of a drafted recap: [n] in the draft is the n-th. */
export interface RecapSource {
  n: number;
  kind: "notes" | "entry" | "character";
  title: string;
  href: string;
}

/** A session's saved fields as its form shows them. */
export function sessionFormValues(session: {
  number: number;
  playedOn: string;
  title: string;
  attendeeIds: number[];
  guests: string[];
  notes: string;
  recap: string;
  audience: Audience;
}) {
  return {
    number: String(session.number),
    playedOn: session.playedOn,
    title: session.title,
    attendeeIds: session.attendeeIds.map(String),
    guests: session.guests.join(", "),
    notes: session.notes,
    recap: session.recap,
    audience: session.audience,
  };
}
