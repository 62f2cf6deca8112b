import { Form, useNavigation } from "react-router";
import { formatRelative } from "~/lib/format";
import { type Audience, audienceLabels, roleLabels } from "~/lib/members";
import { Button } from "./ui/button";
import { inputClass } from "./ui/field";

export interface RevealPanelData {
  audience: Audience;
  /** `plays`: the characters the member plays here, comma-separated ("" for none). */
  members: { accountId: string; username: string; role: "co-gm" | "player" | "viewer"; plays: string }[];
  known: {
    accountId: string | null;
    username: string | null;
    plays: string;
    sessionLabel: string | null;
    revealedAt: number;
  }[];
}

/**
 * The GMs' panel on an entry or a character: who can see it, who learned it when, and
 * the reveal itself (to chosen players — named with the characters they play — or to
 * everyone), with the session it happened in.
 * Plain forms: it works without JavaScript.
 */
export function RevealPanel({
  data,
  what,
  now,
  fileKey,
}: {
  data: RevealPanelData;
  what: string;
  now: number;
  /** On the files tab, which file the forms are about. */
  fileKey?: string;
}) {
  const navigation = useNavigation();
  const busy = navigation.state === "submitting" ? navigation.formData?.get("intent") : null;
  const subjectField = fileKey ? <input type="hidden" name="fileKey" value={fileKey} /> : null;
  const headingId = `reveal-heading${fileKey ? `-${fileKey}` : ""}`;
  const knownBy = new Set(data.known.map((row) => row.accountId).filter(Boolean));
  const unaware = data.members.filter((member) => !knownBy.has(member.accountId));
  return (
    <section
      aria-labelledby={headingId}
      className="mt-4 max-w-3xl space-y-3 rounded-lg border border-violet-300 bg-white p-4"
    >
      <h2 id={headingId} className="font-serif text-xl font-semibold">
        Who knows about this {what}
      </h2>
      <p>
        <span className="font-medium">{audienceLabels[data.audience]}</span>
        {data.audience === "gm" ? `: players see this ${what} only once you reveal it to them.` : "."}
      </p>
      {data.known.length ? (
        <ul className="divide-y divide-stone-200 text-sm">
          {data.known.map((row) => (
            <li
              key={`${row.accountId}-${row.revealedAt}`}
              className="flex flex-wrap items-center justify-between gap-2 py-2"
            >
              <span>
                <span className="font-medium">{row.username ?? "Everyone"}</span>
                {row.plays ? ` (${row.plays})` : ""} learned it {formatRelative(row.revealedAt, now)}
                {row.sessionLabel ? ` · ${row.sessionLabel}` : ""}
              </span>
              {row.accountId && data.audience === "gm" ? (
                <Form method="post">
                  <input type="hidden" name="intent" value="hide" />
                  {subjectField}
                  <input type="hidden" name="accountId" value={row.accountId} />
                  <Button type="submit" variant="secondary" pending={busy === "hide"}>
                    Hide again<span className="sr-only"> from {row.username}</span>
                  </Button>
                </Form>
              ) : null}
            </li>
          ))}
        </ul>
      ) : null}
      {data.audience === "gm" ? (
        <Form method="post" className="space-y-3">
          <input type="hidden" name="intent" value="reveal" />
          {subjectField}
          {unaware.length ? (
            <fieldset>
              <legend className="font-medium text-sm">Reveal to</legend>
              <ul className="mt-1 space-y-1">
                {unaware.map((member) => (
                  <li key={member.accountId}>
                    <label className="flex min-h-11 items-center gap-3">
                      <input type="checkbox" name="to" value={member.accountId} className="size-5" />
                      <span>
                        {member.plays ? <span className="font-medium">{member.plays} · </span> : null}
                        {member.username} <span className="text-sm text-stone-600">({roleLabels[member.role]})</span>
                      </span>
                    </label>
                  </li>
                ))}
              </ul>
            </fieldset>
          ) : (
            <p className="text-sm text-stone-700">
              {data.members.length ? "Every player knows it already." : "Invite players to reveal things to them."}
            </p>
          )}
          <label className="block text-sm">
            <span className="block font-medium">Session (optional)</span>
            <input name="sessionLabel" maxLength={80} placeholder="e.g. Session 4" className={inputClass} />
          </label>
          <div className="flex flex-wrap gap-2">
            {unaware.length ? (
              <Button type="submit" pending={busy === "reveal"}>
                Reveal to the chosen
              </Button>
            ) : null}
            <Button type="submit" name="everyone" value="1" variant="secondary" pending={busy === "reveal"}>
              Share with everyone
            </Button>
          </div>
        </Form>
      ) : null}
    </section>
  );
}
