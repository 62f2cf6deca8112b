import { getFormProps, useForm } from "@conform-to/react";
import { parseWithZod } from "@conform-to/zod/v4";
import { useState } from "react";
import { data, Form, useNavigation } from "react-router";
import { Button } from "~/components/ui/button";
import { SelectField } from "~/components/ui/controls";
import { FormErrors, inputClass } from "~/components/ui/field";
import { schemaValidation } from "~/components/ui/form-kit";
import { formatRelative } from "~/lib/format";
import {
  inviteLifetimes,
  inviteSchema,
  inviteTargetSchema,
  inviteUseLimits,
  memberRoles,
  memberTargetSchema,
  roleChangeSchema,
  roleDescriptions,
  roleLabels,
} from "~/lib/members";
import { mayAlso, requireCampaign } from "~/server/campaigns/guards.server";
import {
  CampaignFull,
  changeMemberRole,
  createInvite,
  leaveCampaign,
  listMembers,
  listOpenInvites,
  removeMember,
  revokeInvite,
  TransferRefused,
  transferOwnership,
} from "~/server/campaigns/members.server";
import { QuotaExceeded } from "~/server/db/quota.server";
import { notFound, unknownIntent } from "~/server/http/responses.server";
import { closeRoomSockets } from "~/server/live/campaign-room.server";
import { getServices } from "~/server/request.server";
import { redirectWithToast } from "~/server/toast.server";
import type { Route } from "./+types/members";

export const meta: Route.MetaFunction = () => [{ title: "Members — LoreSmith AI" }];

export async function loader({ context }: Route.LoaderArgs) {
  const { campaign, account } = requireCampaign(context, "seeMembers");
  const { db } = getServices(context);
  const manages = mayAlso(context, "manageMembers");
  const [{ owner, members }, invites] = await Promise.all([
    listMembers(db, campaign),
    manages ? listOpenInvites(db, campaign) : [],
  ]);
  return {
    campaignId: campaign.id,
    campaignName: campaign.name,
    me: account.id,
    owner,
    members,
    invites,
    manages,
    mayLeave: mayAlso(context, "leave"),
    mayPreview: mayAlso(context, "reveal"),
    now: Date.now(),
  };
}

export async function action({ request, context }: Route.ActionArgs) {
  const formData = await request.formData();
  const intent = formData.get("intent");
  const services = getServices(context);
  const { db, limits } = services;
  if (intent === "leave") {
    const access = requireCampaign(context, "leave");
    const { campaign } = access;
    if (!(await leaveCampaign(db, access))) notFound("membership");
    await closeRoomSockets(services, campaign.id, [access.account.id]);
    return redirectWithToast(context, request, "/campaigns", `You left “${campaign.name}”.`);
  }
  const access = requireCampaign(context, "manageMembers");
  const { campaign } = access;
  const here = `/campaigns/${campaign.id}/members`;
  switch (intent) {
    case "invite": {
      const submission = parseWithZod(formData, { schema: inviteSchema });
      if (submission.status !== "success") return data({ invite: null, result: submission.reply() }, { status: 400 });
      const { role, lifetimeDays, maxUses } = submission.value;
      try {
        const { token, invite } = await createInvite(db, access, {
          role,
          lifetimeDays: Number(lifetimeDays),
          maxUses: maxUses ? Number(maxUses) : null,
        });
        // The link is shown this once: only its hash is kept.
        const url = new URL(`/join/${token}`, request.url).href;
        return data({
          invite: { url, role: invite.role, expiresAt: invite.expiresAt, maxUses: invite.maxUses },
          result: null,
        });
      } catch (error) {
        if (!(error instanceof QuotaExceeded)) throw error;
        return data(
          { invite: null, result: submission.reply({ formErrors: [error.message] }) },
          { status: error.status },
        );
      }
    }
    case "revoke": {
      const parsed = inviteTargetSchema.safeParse(Object.fromEntries(formData));
      if (!parsed.success || !(await revokeInvite(db, campaign, parsed.data.inviteId))) notFound("invite");
      return redirectWithToast(context, request, here, "Invite link revoked. Nobody else can join with it.");
    }
    case "role": {
      const parsed = roleChangeSchema.safeParse(Object.fromEntries(formData));
      if (!parsed.success) notFound("member");
      if (!(await changeMemberRole(db, campaign, parsed.data.accountId, parsed.data.role))) notFound("member");
      await closeRoomSockets(services, campaign.id, [parsed.data.accountId]);
      return redirectWithToast(context, request, here, `Role changed to ${roleLabels[parsed.data.role]}.`);
    }
    case "remove": {
      const parsed = memberTargetSchema.safeParse(Object.fromEntries(formData));
      if (!parsed.success || !(await removeMember(db, campaign, parsed.data.accountId))) notFound("member");
      await closeRoomSockets(services, campaign.id, [parsed.data.accountId]);
      return redirectWithToast(
        context,
        request,
        here,
        "Member removed. The invite links that still worked were revoked too, so they cannot come back with one.",
      );
    }
    case "transfer": {
      const parsed = memberTargetSchema.safeParse(Object.fromEntries(formData));
      if (!parsed.success) notFound("member");
      try {
        if (!(await transferOwnership(db, access, parsed.data.accountId, limits.rows.campaigns))) notFound("member");
        await closeRoomSockets(services, campaign.id, [access.account.id, parsed.data.accountId]);
      } catch (error) {
        if (!(error instanceof TransferRefused || error instanceof CampaignFull)) throw error;
        return redirectWithToast(context, request, here, error.message);
      }
      return redirectWithToast(
        context,
        request,
        `/campaigns/${campaign.id}`,
        "The campaign has a new owner. You are its co-GM now.",
      );
    }
    default:
      unknownIntent(intent);
  }
}

/** The roles an invite can give, with their labels (an invite never makes an owner). */
const memberRoleLabels = Object.fromEntries(memberRoles.map((role) => [role, roleLabels[role]]));

const dateTime = (ms: number) =>
  new Date(ms).toLocaleString("en", { dateStyle: "medium", timeStyle: "short", timeZone: "UTC" });

export default function Members({ loaderData, actionData }: Route.ComponentProps) {
  const { campaignId, campaignName, me, owner, members, invites, manages, mayLeave, mayPreview, now } = loaderData;
  const navigation = useNavigation();
  const busy = navigation.state === "submitting" ? navigation.formData?.get("intent") : null;
  const coGms = members.filter((member) => member.role === "co-gm");
  return (
    <div className="max-w-3xl space-y-6">
      <header className="space-y-2">
        <h1 className="font-serif text-3xl font-semibold">Members</h1>
        <p className="text-stone-700">
          Who is in {campaignName}.{" "}
          {manages ? "Invite your table with a link; you decide what each role may do." : null}
        </p>
      </header>

      <section aria-labelledby="members-heading" className="rounded-lg border border-stone-300 bg-white p-4">
        <h2 id="members-heading" className="mb-3 font-serif text-xl font-semibold">
          {members.length + 1} {members.length === 0 ? "person" : "people"}
        </h2>
        <ul className="divide-y divide-stone-200">
          {owner ? (
            <li className="flex flex-wrap items-center justify-between gap-2 py-3">
              <span className="font-medium">
                {owner.username}
                {owner.accountId === me ? " (you)" : ""}
              </span>
              <span className="rounded-full bg-stone-100 px-2 py-0.5 text-sm">{roleLabels.owner}</span>
            </li>
          ) : null}
          {members.map((member) => (
            <li key={member.accountId} className="space-y-2 py-3">
              <div className="flex flex-wrap items-center justify-between gap-2">
                <span className="min-w-0 break-words">
                  <span className="font-medium">
                    {member.username}
                    {member.accountId === me ? " (you)" : ""}
                  </span>
                  <span className="block text-sm text-stone-600">Joined {formatRelative(member.joinedAt, now)}</span>
                </span>
                <span className="rounded-full bg-stone-100 px-2 py-0.5 text-sm">{roleLabels[member.role]}</span>
              </div>
              {mayPreview && member.role !== "co-gm" ? (
                <Form method="post" action={`/campaigns/${campaignId}/preview`}>
                  <input type="hidden" name="accountId" value={member.accountId} />
                  <Button type="submit" variant="secondary">
                    See the campaign as {member.username}
                  </Button>
                </Form>
              ) : null}
              {manages ? (
                <div className="flex flex-wrap items-end gap-2">
                  <Form method="post" className="flex items-end gap-2">
                    <input type="hidden" name="intent" value="role" />
                    <input type="hidden" name="accountId" value={member.accountId} />
                    <label className="text-sm">
                      <span className="block font-medium">Role of {member.username}</span>
                      <select name="role" defaultValue={member.role} className={inputClass}>
                        {memberRoles.map((role) => (
                          <option key={role} value={role}>
                            {roleLabels[role]}
                          </option>
                        ))}
                      </select>
                    </label>
                    <Button type="submit" variant="secondary" pending={busy === "role"}>
                      Change role
                    </Button>
                  </Form>
                  <Form method="post">
                    <input type="hidden" name="intent" value="remove" />
                    <input type="hidden" name="accountId" value={member.accountId} />
                    <Button type="submit" variant="secondary" pending={busy === "remove"}>
                      Remove<span className="sr-only"> {member.username}</span>
                    </Button>
                  </Form>
                </div>
              ) : null}
            </li>
          ))}
        </ul>
      </section>

      {manages ? <InviteSection actionData={actionData} invites={invites} now={now} busy={busy} /> : null}

      {manages && coGms.length ? (
        <details className="rounded-lg border border-stone-300 bg-white p-4">
          <summary className="flex min-h-11 cursor-pointer items-center font-medium">Hand the campaign over…</summary>
          <Form method="post" className="mt-3 space-y-3">
            <input type="hidden" name="intent" value="transfer" />
            <p className="text-stone-700">
              The co-GM you choose becomes the owner, and you become a co-GM. Files you attached stay in your Library
              and are detached from the campaign; the new owner attaches their own.
            </p>
            <label className="block text-sm">
              <span className="block font-medium">New owner</span>
              <select name="accountId" className={inputClass} required>
                {coGms.map((member) => (
                  <option key={member.accountId} value={member.accountId}>
                    {member.username}
                  </option>
                ))}
              </select>
            </label>
            <Button type="submit" variant="danger" pending={busy === "transfer"}>
              Yes, hand it over
            </Button>
          </Form>
        </details>
      ) : null}

      {mayLeave ? (
        <details className="rounded-lg border border-red-300 bg-white p-4">
          <summary className="flex min-h-11 cursor-pointer items-center font-medium text-red-800">
            Leave this campaign…
          </summary>
          <Form method="post" className="mt-3 space-y-3">
            <input type="hidden" name="intent" value="leave" />
            <p className="text-stone-700">
              You lose access at once. Your conversations here are kept for you in case the GM invites you again.
            </p>
            <Button type="submit" variant="danger" pending={busy === "leave"}>
              Yes, leave {campaignName}
            </Button>
          </Form>
        </details>
      ) : null}
    </div>
  );
}

type MembersAction = Route.ComponentProps["actionData"];

function InviteSection({
  actionData,
  invites,
  now,
  busy,
}: {
  actionData: MembersAction;
  invites: Route.ComponentProps["loaderData"]["invites"];
  now: number;
  busy: unknown;
}) {
  const created = actionData && "invite" in actionData ? actionData.invite : null;
  const [copied, setCopied] = useState(false);
  const [form, fields] = useForm({
    id: "invite",
    lastResult: actionData && "result" in actionData ? actionData.result : null,
    defaultValue: { role: "player", lifetimeDays: "7", maxUses: "1" },
    ...schemaValidation(inviteSchema),
  });
  return (
    <section aria-labelledby="invite-heading" className="space-y-4 rounded-lg border border-stone-300 bg-white p-4">
      <h2 id="invite-heading" className="font-serif text-xl font-semibold">
        Invite people
      </h2>
      {created ? (
        <div role="status" className="space-y-2 rounded-md border border-ember-600 bg-ember-50 p-3">
          <p className="font-medium">
            Your invite link for a {roleLabels[created.role]}. Copy it now: it is shown only this once.
          </p>
          <label className="block text-sm">
            <span className="sr-only">Invite link</span>
            <input
              readOnly
              value={created.url}
              className={`${inputClass} font-mono`}
              onFocus={(event) => event.currentTarget.select()}
            />
          </label>
          <div className="flex flex-wrap items-center gap-3">
            <Button
              type="button"
              variant="secondary"
              onClick={async () => {
                await navigator.clipboard.writeText(created.url);
                setCopied(true);
              }}
            >
              {copied ? "Copied" : "Copy link"}
            </Button>
            <span className="text-sm text-stone-700">
              Works until {dateTime(created.expiresAt)} UTC
              {created.maxUses ? `, for ${created.maxUses === 1 ? "one person" : `${created.maxUses} people`}` : ""}.
            </span>
          </div>
        </div>
      ) : null}
      <Form method="post" {...getFormProps(form)} className="grid gap-4 sm:grid-cols-3 sm:items-start">
        <input type="hidden" name="intent" value="invite" />
        <div className="sm:col-span-3">
          <FormErrors id={form.errorId} errors={form.errors} />
        </div>
        <SelectField field={fields.role} label="Role" options={memberRoleLabels} />
        <SelectField field={fields.lifetimeDays} label="Link works for" options={inviteLifetimes} />
        <SelectField field={fields.maxUses} label="Who can use it" options={inviteUseLimits} />
        <div className="sm:col-span-3">
          <Button type="submit" pending={busy === "invite"}>
            {busy === "invite" ? "Making a link…" : "Make an invite link"}
          </Button>
        </div>
      </Form>
      <dl className="grid gap-x-3 gap-y-1 text-sm text-stone-700 sm:grid-cols-[auto_1fr]">
        {memberRoles.map((role) => (
          <div key={role} className="contents">
            <dt className="font-medium text-ink">{roleLabels[role]}</dt>
            <dd>{roleDescriptions[role]}</dd>
          </div>
        ))}
      </dl>
      <p className="text-sm text-stone-700">
        Everything is for GMs only until you share it: choose “Everyone in the campaign” on an entry, a character or a
        file.
      </p>
      {invites.length ? (
        <div>
          <h3 className="mb-2 font-semibold">Links that still work</h3>
          <ul className="divide-y divide-stone-200">
            {invites.map((invite) => (
              <li key={invite.id} className="flex flex-wrap items-center justify-between gap-2 py-2">
                <span className="text-sm">
                  <span className="font-medium">{roleLabels[invite.role]}</span> · made{" "}
                  {formatRelative(invite.createdAt, now)} · used {invite.uses}
                  {invite.maxUses ? ` of ${invite.maxUses}` : ""} · until {dateTime(invite.expiresAt)} UTC
                </span>
                <Form method="post">
                  <input type="hidden" name="intent" value="revoke" />
                  <input type="hidden" name="inviteId" value={invite.id} />
                  <Button type="submit" variant="secondary" pending={busy === "revoke"}>
                    Revoke<span className="sr-only"> this link</span>
                  </Button>
                </Form>
              </li>
            ))}
          </ul>
        </div>
      ) : null}
    </section>
  );
}
