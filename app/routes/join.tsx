import type { ReactNode } from "react";
import { data, Form, Link, redirect, useNavigation } from "react-router";
import { Button, linkButtonClass } from "~/components/ui/button";
import { inviteTokenSchema, roleDescriptions, roleLabels } from "~/lib/members";
import { CampaignFull, findOpenInvite, joinWithInvite } from "~/server/campaigns/members.server";
import { campaignAccess } from "~/server/campaigns/policy.server";
import { getServices, limitRequest, requireUser } from "~/server/request.server";
import { redirectWithToast } from "~/server/toast.server";
import type { Route } from "./+types/join";

export const meta: Route.MetaFunction = ({ loaderData }) => [
  {
    title:
      loaderData && "invite" in loaderData && loaderData.invite
        ? `Join ${loaderData.invite.campaignName} — LoreSmith AI`
        : "Invite — LoreSmith AI",
  },
];

/**
 * An invite link. A signed-out visitor is sent to sign in or sign up first (the layout's
 * guard) and comes back here. An expired, revoked, used-up or made-up link all answer the
 * same 404 page, so a link says nothing about a campaign once it stops working.
 */
export async function loader({ request, context, params }: Route.LoaderArgs) {
  const user = requireUser(context, request);
  const token = inviteTokenSchema.safeParse(params.token);
  const { db } = getServices(context);
  const invite = token.success ? await findOpenInvite(db, token.data) : undefined;
  if (!invite) return data({ invite: null, alreadyIn: false }, { status: 404 });
  const alreadyIn = (await campaignAccess(db, user, invite.campaignId)) !== null;
  return { invite, alreadyIn };
}

export async function action({ request, context, params }: Route.ActionArgs) {
  const user = requireUser(context, request);
  await limitRequest(context, request, "write");
  const token = inviteTokenSchema.safeParse(params.token);
  const { db } = getServices(context);
  try {
    const joined = token.success ? await joinWithInvite(db, user, token.data) : null;
    if (!joined) return data({ invite: null, alreadyIn: false, error: null }, { status: 404 });
    if (joined.alreadyIn) return redirect(`/campaigns/${joined.campaignId}`);
    return redirectWithToast(
      context,
      request,
      `/campaigns/${joined.campaignId}`,
      `Welcome! You joined as ${roleLabels[joined.role]}.`,
    );
  } catch (error) {
    if (!(error instanceof CampaignFull)) throw error;
    return data({ invite: null, alreadyIn: false, error: error.message }, { status: error.status });
  }
}

function InviteCard({ title, children }: { title: string; children: ReactNode }) {
  return (
    <div className="mx-auto max-w-md rounded-lg border border-stone-300 bg-white p-6 shadow-sm">
      <h1 className="mb-4 font-serif text-2xl font-semibold">{title}</h1>
      {children}
    </div>
  );
}

export default function Join({ loaderData, actionData }: Route.ComponentProps) {
  const navigation = useNavigation();
  const invite = loaderData.invite;
  const error = actionData && "error" in actionData ? actionData.error : null;
  if (!invite || (actionData && !error)) {
    return (
      <InviteCard title="This invite no longer works">
        <p className="text-stone-800">
          The link has expired, was revoked or has been used as often as it allows. Ask your GM for a new one.
        </p>
        <p className="mt-4">
          <Link to="/campaigns" className="font-medium text-ember-700 underline">
            Go to your campaigns
          </Link>
        </p>
      </InviteCard>
    );
  }
  return (
    <InviteCard title={`Join ${invite.campaignName}`}>
      <div className="space-y-4">
        <p className="text-stone-800">
          <span className="font-medium">{invite.ownerUsername}</span> invites you to their campaign as{" "}
          <span className="font-medium">{roleLabels[invite.role]}</span>: {roleDescriptions[invite.role]}
        </p>
        {error ? (
          <p role="alert" className="rounded-md border border-red-300 bg-red-50 p-3 text-red-800">
            {error}
          </p>
        ) : null}
        {loaderData.alreadyIn ? (
          <>
            <p>You are already in this campaign.</p>
            <Link to={`/campaigns/${invite.campaignId}`} className={linkButtonClass.primary}>
              Open {invite.campaignName}
            </Link>
          </>
        ) : (
          <Form method="post">
            <Button type="submit" className="w-full" pending={navigation.state === "submitting"}>
              {navigation.state === "submitting" ? "Joining…" : `Join ${invite.campaignName}`}
            </Button>
          </Form>
        )}
      </div>
    </InviteCard>
  );
}
