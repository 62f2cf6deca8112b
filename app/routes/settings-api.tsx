import { getCollectionProps, getFormProps, getInputProps, getSelectProps, useForm } from "@conform-to/react";
import { parseWithZod } from "@conform-to/zod/v4";
import { data, Form, Link, useNavigation } from "react-router";
import { PageHeader } from "~/components/app-shell";
import { DeleteDisclosure } from "~/components/delete-disclosure";
import { ShownOnce } from "~/components/shown-once";
import { Button } from "~/components/ui/button";
import { Field, FieldErrors, FormErrors, inputClass } from "~/components/ui/field";
import { schemaValidation } from "~/components/ui/form-kit";
import {
  type ApiScope,
  apiScopeLabels,
  apiScopes,
  type DeliveryStatus,
  deliveryStatuses,
  deliveryStatusLabels,
  deliveryTargetSchema,
  endpointTargetSchema,
  tokenFormSchema,
  tokenLifetimes,
  tokenTargetSchema,
  type WebhookEvent,
  webhookEventLabels,
  webhookEvents,
  webhookFormSchema,
} from "~/lib/api";
import { formatBytes, formatRelative } from "~/lib/format";
import { createApiToken, listApiTokens, revokeApiToken } from "~/server/api/tokens.server";
import { listCampaigns } from "~/server/campaigns/campaigns.server";
import { QuotaExceeded } from "~/server/db/quota.server";
import type { User } from "~/server/db/schema";
import { dailyUsage, secondsUntilReset } from "~/server/http/daily-quotas.server";
import { notFound, Refusal, unknownIntent } from "~/server/http/responses.server";
import { getServices, requireUser } from "~/server/request.server";
import { redirectWithToast } from "~/server/toast.server";
import { resendDelivery, sendTestEvent } from "~/server/webhooks/delivery.server";
import {
  createWebhookEndpoint,
  deleteWebhookEndpoint,
  enableWebhookEndpoint,
  listWebhookEndpoints,
} from "~/server/webhooks/endpoints.server";
import type { Route } from "./+types/settings-api";

/**
 * Settings → API and webhooks (issue 15): access tokens for the public API, today's use of
 * the daily quotas, and webhook endpoints with their recent deliveries. A new token or
 * signing secret is in the POST's own response, once — never in the session, a cookie or
 * a URL — and the list shows neither again.
 */

export const meta: Route.MetaFunction = () => [{ title: "API and webhooks — LoreSmith AI" }];

const HERE = "/settings/api";

export async function loader({ request, context }: Route.LoaderArgs) {
  const user = requireUser(context, request);
  const services = getServices(context);
  const { db } = services;
  const now = Date.now();
  const [tokens, campaigns, usage, endpoints] = await Promise.all([
    listApiTokens(db, user),
    listCampaigns(db, user, { status: "all", q: "", sort: "name" }),
    dailyUsage(db, user.id, now),
    listWebhookEndpoints(db, user),
  ]);
  return {
    tokens,
    campaigns: campaigns.map((campaign) => ({ id: campaign.id, name: campaign.name })),
    usage,
    quotas: services.dailyQuotas,
    resetSeconds: secondsUntilReset(now),
    endpoints,
    allowLoopback: services.webhooks.rules.allowLoopback,
    origin: new URL(request.url).origin,
    now,
  };
}

export async function action({ request, context }: Route.ActionArgs) {
  const user = requireUser(context, request);
  const formData = await request.formData();
  const intent = formData.get("intent");
  const services = getServices(context);
  const { db } = services;
  /** Sends to one endpoint (a test, a resend): its refusal is shown in that endpoint's card, a missing one is a 404. */
  const endpointAction = async (endpointId: string, send: () => Promise<unknown>, done: string) => {
    try {
      if (!(await send())) notFound("webhook endpoint or delivery");
    } catch (error) {
      if (!(error instanceof Refusal)) throw error;
      return data({ intent: "endpoint-refused" as const, endpointId, error: error.message }, { status: error.status });
    }
    return redirectWithToast(context, request, `${HERE}#${endpointId}`, done);
  };
  switch (intent) {
    case "create-token":
      return createTokenAction(context, user, formData);
    case "revoke-token": {
      const parsed = tokenTargetSchema.safeParse(Object.fromEntries(formData));
      if (!parsed.success || !(await revokeApiToken(db, user, parsed.data.tokenId))) notFound("token");
      return redirectWithToast(
        context,
        request,
        `${HERE}#tokens`,
        "Token revoked. Anything still using it is refused from now on.",
      );
    }
    case "create-webhook":
      return createWebhookAction(context, user, formData);
    case "delete-webhook": {
      const parsed = endpointTargetSchema.safeParse(Object.fromEntries(formData));
      if (!parsed.success || !(await deleteWebhookEndpoint(db, user, parsed.data.endpointId))) {
        notFound("webhook endpoint");
      }
      return redirectWithToast(context, request, `${HERE}#webhooks`, "Endpoint deleted. It gets no more events.");
    }
    case "enable-webhook": {
      const parsed = endpointTargetSchema.safeParse(Object.fromEntries(formData));
      if (!parsed.success || !(await enableWebhookEndpoint(db, user, parsed.data.endpointId))) {
        notFound("webhook endpoint");
      }
      return redirectWithToast(
        context,
        request,
        `${HERE}#${parsed.data.endpointId}`,
        "Endpoint enabled again. New events go to it; resend any failed ones you still need.",
      );
    }
    case "test-webhook": {
      const parsed = endpointTargetSchema.safeParse(Object.fromEntries(formData));
      if (!parsed.success) notFound("webhook endpoint");
      const { endpointId } = parsed.data;
      return endpointAction(
        endpointId,
        () => sendTestEvent(services.webhooks, user, endpointId),
        "Test event sent. Reload in a few seconds to see how the endpoint answered.",
      );
    }
    case "resend-delivery": {
      const parsed = deliveryTargetSchema.safeParse(Object.fromEntries(formData));
      if (!parsed.success) notFound("delivery");
      const { endpointId, eventId } = parsed.data;
      return endpointAction(
        endpointId,
        () => resendDelivery(services.webhooks, user, endpointId, eventId),
        "Delivery sent again, with the same id. Reload in a few seconds to see how it went.",
      );
    }
    default:
      unknownIntent(intent);
  }
}

async function createTokenAction(context: Route.ActionArgs["context"], user: User, form: FormData) {
  const intent = "create-token" as const;
  const submission = parseWithZod(form, { schema: tokenFormSchema });
  if (submission.status !== "success") {
    return data({ intent, result: submission.reply(), created: null }, { status: 400 });
  }
  const services = getServices(context);
  try {
    const { token, row } = await createApiToken(services.db, services.apiKeys(), user, submission.value);
    // The token is in this response only: it is stored nowhere, and the list never shows it.
    return data({
      intent,
      result: submission.reply({ resetForm: true }),
      created: { token, name: row.name, expiresAt: row.expiresAt },
    });
  } catch (error) {
    if (!(error instanceof Refusal)) throw error;
    // A campaign that is not the caller's is the field's problem; a full account or a server without keys, the form's.
    const reply =
      error instanceof QuotaExceeded || error.status !== 400
        ? submission.reply({ formErrors: [error.message] })
        : submission.reply({ fieldErrors: { campaignId: [error.message] } });
    return data({ intent, result: reply, created: null }, { status: error.status });
  }
}

async function createWebhookAction(context: Route.ActionArgs["context"], user: User, form: FormData) {
  const intent = "create-webhook" as const;
  const submission = parseWithZod(form, { schema: webhookFormSchema });
  if (submission.status !== "success") {
    return data({ intent, result: submission.reply(), created: null }, { status: 400 });
  }
  const { db, webhooks } = getServices(context);
  try {
    const { endpoint, secret } = await createWebhookEndpoint(db, user, submission.value, webhooks.rules);
    // Like a token, the secret is in this response only; the list never shows it.
    return data({ intent, result: submission.reply({ resetForm: true }), created: { secret, url: endpoint.url } });
  } catch (error) {
    if (!(error instanceof Refusal)) throw error;
    const reply =
      error instanceof QuotaExceeded
        ? submission.reply({ formErrors: [error.message] })
        : submission.reply({ fieldErrors: { url: [error.message] } });
    return data({ intent, result: reply, created: null }, { status: error.status });
  }
}

type LoaderData = Route.ComponentProps["loaderData"];
type ActionData = Route.ComponentProps["actionData"];

const dateTime = (ms: number) =>
  `${new Date(ms).toLocaleString("en", { dateStyle: "medium", timeStyle: "short", timeZone: "UTC" })} UTC`;
const day = (ms: number) => new Date(ms).toLocaleDateString("en", { dateStyle: "medium", timeZone: "UTC" });

const lifetimeLabels: Record<(typeof tokenLifetimes)[number], string> = {
  7: "7 days",
  30: "30 days",
  90: "90 days",
  365: "1 year",
};

const scopeNames: Record<ApiScope, string> = { read: "Read", write: "Write", files: "Files", assistant: "Assistant" };

export default function SettingsApi({ loaderData, actionData }: Route.ComponentProps) {
  const navigation = useNavigation();
  const busy = navigation.state === "submitting" ? navigation.formData : null;
  return (
    <div className="space-y-6">
      <p>
        <Link to="/settings" className="text-ember-700 underline">
          ← Settings
        </Link>
      </p>
      <PageHeader title="API and webhooks">
        Let your own tools — a Discord bot that answers rules questions at the table, a virtual tabletop module, a
        backup script — read and change your campaigns with an access token, and tell them when something changes.
      </PageHeader>
      <TokensSection loaderData={loaderData} actionData={actionData} busy={busy} />
      <UsageSection loaderData={loaderData} />
      <WebhooksSection loaderData={loaderData} actionData={actionData} busy={busy} />
      <HowToSection origin={loaderData.origin} />
    </div>
  );
}

function TokensSection({
  loaderData,
  actionData,
  busy,
}: {
  loaderData: LoaderData;
  actionData: ActionData;
  busy: FormData | null | undefined;
}) {
  const { tokens, campaigns, now } = loaderData;
  const last = actionData?.intent === "create-token" ? actionData : null;
  const [form, fields] = useForm({
    id: "create-token",
    lastResult: last?.result,
    defaultValue: { scopes: ["read"], days: "30", campaignId: "" },
    ...schemaValidation(tokenFormSchema),
  });
  const creating = busy?.get("intent") === "create-token";
  const revoking = busy?.get("intent") === "revoke-token" ? busy.get("tokenId") : null;
  return (
    <section
      id="tokens"
      aria-labelledby="tokens-heading"
      className="space-y-5 rounded-lg border border-stone-300 bg-white p-5"
    >
      <div className="space-y-1">
        <h2 id="tokens-heading" className="font-serif text-xl font-semibold">
          Access tokens
        </h2>
        <p className="text-stone-700">
          A token lets a program act as you through the API, only in the ways you allow. Make one for each program, so
          you can revoke one without breaking the others.
        </p>
      </div>

      {last?.created ? (
        <ShownOnce title={`Your new token “${last.created.name}”`} label="API token" value={last.created.token}>
          It works until {dateTime(last.created.expiresAt)}. Put it in your program's settings (for a bot, usually an
          environment variable); “How to use the API” below shows how to send it.
        </ShownOnce>
      ) : null}

      <Form method="post" {...getFormProps(form)} className="space-y-4">
        <input type="hidden" name="intent" value="create-token" />
        <h3 className="font-semibold">Make a token</h3>
        <FormErrors id={form.errorId} errors={form.errors} />
        <div className="grid gap-4 sm:grid-cols-2">
          <Field
            label="Name"
            id={fields.name.id}
            errors={fields.name.errors}
            hint="What will use it, like “Discord bot” or “Backup script”."
          >
            <input
              {...getInputProps(fields.name, { type: "text", ariaDescribedBy: `${fields.name.id}-hint` })}
              autoComplete="off"
              className={inputClass}
            />
          </Field>
          <Field label="Lasts for" id={fields.days.id} errors={fields.days.errors}>
            <select {...getSelectProps(fields.days)} className={inputClass}>
              {tokenLifetimes.map((days) => (
                <option key={days} value={String(days)}>
                  {lifetimeLabels[days]}
                </option>
              ))}
            </select>
          </Field>
        </div>
        <fieldset aria-describedby={fields.scopes.errors ? fields.scopes.errorId : undefined} className="space-y-2">
          <legend className="font-medium text-sm">What it may do</legend>
          {getCollectionProps(fields.scopes, { type: "checkbox", options: [...apiScopes] }).map(({ key, ...props }) => (
            <label key={key} htmlFor={props.id} className="flex min-h-11 items-start gap-3 py-1">
              <input {...props} className="mt-0.5 size-5 shrink-0" />
              <span>
                <span className="font-medium">{scopeNames[props.value as ApiScope]}</span>
                <span className="block text-sm text-stone-700">{apiScopeLabels[props.value as ApiScope]}</span>
              </span>
            </label>
          ))}
          <FieldErrors id={fields.scopes.errorId} errors={fields.scopes.errors} />
        </fieldset>
        <Field
          label="Campaigns it may reach"
          id={fields.campaignId.id}
          errors={fields.campaignId.errors}
          hint="Limit a table bot to the campaign it plays in; it then sees nothing of your others."
        >
          <select
            {...getSelectProps(fields.campaignId, { ariaDescribedBy: `${fields.campaignId.id}-hint` })}
            className={inputClass}
          >
            <option value="">Every campaign you are in</option>
            {campaigns.map((campaign) => (
              <option key={campaign.id} value={campaign.id}>
                Only “{campaign.name}”
              </option>
            ))}
          </select>
        </Field>
        <Button type="submit" pending={creating}>
          {creating ? "Making the token…" : "Make token"}
        </Button>
      </Form>

      <div className="space-y-2">
        <h3 className="font-semibold">Your tokens</h3>
        {tokens.length ? (
          <ul className="divide-y divide-stone-200 border-stone-200 border-y" aria-label="Your tokens">
            {tokens.map((token) => {
              const expired = token.expiresAt <= now;
              return (
                <li key={token.id} className="flex flex-col gap-3 py-3 sm:flex-row sm:items-start sm:justify-between">
                  <div className="min-w-0 space-y-1">
                    <p className="break-words font-medium">
                      {token.name}
                      {expired ? (
                        <span className="ml-2 rounded bg-stone-200 px-2 py-0.5 text-sm text-stone-800">Expired</span>
                      ) : null}
                    </p>
                    <dl className="grid grid-cols-[auto_1fr] gap-x-3 gap-y-0.5 text-sm text-stone-700">
                      <dt className="font-medium text-ink">Allowed</dt>
                      <dd>{token.scopes.map((scope) => scopeNames[scope]).join(", ")}</dd>
                      <dt className="font-medium text-ink">Campaigns</dt>
                      <dd className="break-words">
                        {token.campaignId ? `Only “${token.campaignName ?? "a campaign you left"}”` : "Every campaign"}
                      </dd>
                      <dt className="font-medium text-ink">Made</dt>
                      <dd>{day(token.createdAt)}</dd>
                      <dt className="font-medium text-ink">{expired ? "Expired" : "Expires"}</dt>
                      <dd>{day(token.expiresAt)}</dd>
                      <dt className="font-medium text-ink">Last used</dt>
                      <dd>{token.lastUsedAt ? formatRelative(token.lastUsedAt, now) : "never"}</dd>
                    </dl>
                  </div>
                  <Form method="post" className="shrink-0">
                    <input type="hidden" name="intent" value="revoke-token" />
                    <input type="hidden" name="tokenId" value={token.id} />
                    <Button type="submit" variant="secondary" pending={revoking === token.id}>
                      Revoke<span className="sr-only"> {token.name}</span>
                    </Button>
                  </Form>
                </li>
              );
            })}
          </ul>
        ) : (
          <p className="text-sm text-stone-700">No tokens yet. Nothing can use the API as you.</p>
        )}
      </div>
    </section>
  );
}

function resetIn(seconds: number): string {
  const hours = Math.floor(seconds / 3600);
  const minutes = Math.max(1, Math.round((seconds % 3600) / 60));
  if (hours === 0) return `${minutes} minute${minutes === 1 ? "" : "s"}`;
  return `${hours} hour${hours === 1 ? "" : "s"}${minutes ? ` ${minutes} minute${minutes === 1 ? "" : "s"}` : ""}`;
}

function UsageSection({ loaderData }: { loaderData: LoaderData }) {
  const { usage, quotas, resetSeconds } = loaderData;
  const rows = [
    {
      key: "questions",
      label: "Questions to the assistant",
      used: usage.questions,
      limit: quotas.questions,
      show: (n: number) => n.toLocaleString("en"),
    },
    {
      key: "uploads",
      label: "Uploaded",
      used: usage.uploadBytes,
      limit: quotas.uploadBytes,
      show: formatBytes,
    },
    {
      key: "api",
      label: "API calls",
      used: usage.apiCalls,
      limit: quotas.apiCalls,
      show: (n: number) => n.toLocaleString("en"),
    },
  ];
  return (
    <section
      id="usage"
      aria-labelledby="usage-heading"
      className="space-y-4 rounded-lg border border-stone-300 bg-white p-5"
    >
      <div className="space-y-1">
        <h2 id="usage-heading" className="font-serif text-xl font-semibold">
          Today's usage
        </h2>
        <p className="text-stone-700">
          What your account used today — in the app and through the API together — against its daily limits. They reset
          at midnight UTC, in {resetIn(resetSeconds)}.
        </p>
      </div>
      <div className="grid gap-4 sm:grid-cols-3">
        {rows.map((row) => (
          <div key={row.key} className="space-y-1">
            <p id={`usage-${row.key}`}>
              <span className="block font-medium text-sm">{row.label}</span>
              <strong>{row.show(row.used)}</strong> of {row.show(row.limit)}
            </p>
            <progress
              aria-labelledby={`usage-${row.key}`}
              className="h-2 w-full accent-ember-600"
              max={row.limit}
              value={Math.min(row.used, row.limit)}
            />
          </div>
        ))}
      </div>
    </section>
  );
}

type Endpoint = LoaderData["endpoints"][number];

function WebhooksSection({
  loaderData,
  actionData,
  busy,
}: {
  loaderData: LoaderData;
  actionData: ActionData;
  busy: FormData | null | undefined;
}) {
  const { endpoints, allowLoopback, now } = loaderData;
  const last = actionData?.intent === "create-webhook" ? actionData : null;
  const refused = actionData?.intent === "endpoint-refused" ? actionData : null;
  const [form, fields] = useForm({
    id: "create-webhook",
    lastResult: last?.result,
    ...schemaValidation(webhookFormSchema),
  });
  const creating = busy?.get("intent") === "create-webhook";
  return (
    <section
      id="webhooks"
      aria-labelledby="webhooks-heading"
      className="space-y-5 rounded-lg border border-stone-300 bg-white p-5"
    >
      <div className="space-y-1">
        <h2 id="webhooks-heading" className="font-serif text-xl font-semibold">
          Webhooks
        </h2>
        <p className="text-stone-700">
          LoreSmith AI can tell another program when something changes — an entry edited, a file ready — by sending it a
          signed request (the Standard Webhooks format). A delivery that fails is retried for a few hours; an endpoint
          that keeps failing is turned off until you enable it again.
        </p>
      </div>

      {last?.created ? (
        <ShownOnce title={`Signing secret for ${last.created.url}`} label="Signing secret" value={last.created.secret}>
          Your receiver uses it to check the <code className="font-mono">webhook-signature</code> header of every
          request, so it knows the request came from LoreSmith AI.
        </ShownOnce>
      ) : null}

      <Form method="post" {...getFormProps(form)} className="space-y-4">
        <input type="hidden" name="intent" value="create-webhook" />
        <h3 className="font-semibold">Add an endpoint</h3>
        <FormErrors id={form.errorId} errors={form.errors} />
        <Field
          label="Address that receives the events"
          id={fields.url.id}
          errors={fields.url.errors}
          hint={
            allowLoopback
              ? "An https:// address on the internet; on this local server, http://localhost addresses work too."
              : "An https:// address on the internet, like https://bot.example.com/loresmith. Private and local addresses are refused."
          }
        >
          <input
            {...getInputProps(fields.url, { type: "url", ariaDescribedBy: `${fields.url.id}-hint` })}
            autoComplete="off"
            inputMode="url"
            spellCheck={false}
            placeholder="https://"
            className={inputClass}
          />
        </Field>
        <fieldset aria-describedby={fields.events.errors ? fields.events.errorId : undefined} className="space-y-2">
          <legend className="font-medium text-sm">Events to send</legend>
          <div className="grid gap-x-4 sm:grid-cols-2 lg:grid-cols-3">
            {getCollectionProps(fields.events, { type: "checkbox", options: [...webhookEvents] }).map(
              ({ key, ...props }) => (
                <label key={key} htmlFor={props.id} className="flex min-h-11 items-center gap-3">
                  <input {...props} className="size-5 shrink-0" />
                  <span>
                    {webhookEventLabels[props.value as WebhookEvent]}
                    <span className="block font-mono text-stone-600 text-xs">{props.value}</span>
                  </span>
                </label>
              ),
            )}
          </div>
          <FieldErrors id={fields.events.errorId} errors={fields.events.errors} />
        </fieldset>
        <Button type="submit" pending={creating}>
          {creating ? "Adding…" : "Add endpoint"}
        </Button>
      </Form>

      <div className="space-y-3">
        <h3 className="font-semibold">Your endpoints</h3>
        {endpoints.length ? (
          <ul className="space-y-4" aria-label="Your webhook endpoints">
            {endpoints.map((endpoint) => (
              <EndpointCard
                key={endpoint.id}
                endpoint={endpoint}
                now={now}
                busy={busy}
                error={refused?.endpointId === endpoint.id ? refused.error : null}
              />
            ))}
          </ul>
        ) : (
          <p className="text-sm text-stone-700">No endpoints yet.</p>
        )}
      </div>
    </section>
  );
}

const statusClass: Record<DeliveryStatus, string> = {
  pending: "bg-stone-200 text-stone-800",
  retrying: "bg-amber-100 text-amber-900",
  delivered: "bg-green-100 text-green-900",
  failed: "bg-red-100 text-red-900",
};

function deliveryStatus(status: string): DeliveryStatus {
  return (deliveryStatuses as readonly string[]).includes(status) ? (status as DeliveryStatus) : "pending";
}

function EndpointCard({
  endpoint,
  now,
  busy,
  error,
}: {
  endpoint: Endpoint;
  now: number;
  busy: FormData | null | undefined;
  error: string | null;
}) {
  const disabled = endpoint.disabledAt !== null;
  const mine = busy?.get("endpointId") === endpoint.id ? busy.get("intent") : null;
  const headingId = `${endpoint.id}-heading`;
  return (
    <li id={endpoint.id} aria-labelledby={headingId} className="space-y-3 rounded-md border border-stone-300 p-4">
      <div className="flex flex-wrap items-start justify-between gap-2">
        <h4 id={headingId} className="min-w-0 break-all font-medium font-mono text-sm">
          {endpoint.url}
        </h4>
        <span
          className={`whitespace-nowrap rounded-full px-2 py-0.5 font-medium text-xs ${disabled ? "bg-red-100 text-red-900" : "bg-green-100 text-green-900"}`}
        >
          {disabled ? "Disabled" : "Active"}
        </span>
      </div>
      {disabled ? (
        <div className="space-y-2 rounded-md border border-red-300 bg-red-50 p-3 text-red-900 text-sm">
          <p>{endpoint.disabledReason ?? "This endpoint was turned off."}</p>
          <Form method="post">
            <input type="hidden" name="intent" value="enable-webhook" />
            <input type="hidden" name="endpointId" value={endpoint.id} />
            <Button type="submit" variant="secondary" pending={mine === "enable-webhook"}>
              Enable again
            </Button>
          </Form>
        </div>
      ) : null}
      {error ? (
        <p role="alert" className="rounded-md border border-red-300 bg-red-50 p-3 text-red-800 text-sm">
          {error}
        </p>
      ) : null}
      <p className="text-sm text-stone-700">
        <span className="font-medium text-ink">Sends: </span>
        {endpoint.events.map((event) => webhookEventLabels[event] ?? event).join(" · ")}
        <span className="block">Added {formatRelative(endpoint.createdAt, now)}.</span>
      </p>
      <DeliveriesTable endpoint={endpoint} now={now} busy={mine} disabled={disabled} />
      <div className="flex flex-wrap items-start gap-3">
        {disabled ? null : (
          <Form method="post">
            <input type="hidden" name="intent" value="test-webhook" />
            <input type="hidden" name="endpointId" value={endpoint.id} />
            <Button type="submit" variant="secondary" pending={mine === "test-webhook"}>
              {mine === "test-webhook" ? "Sending…" : "Send test event"}
            </Button>
          </Form>
        )}
      </div>
      <DeleteDisclosure
        what="endpoint"
        intent="delete-webhook"
        fields={{ endpointId: endpoint.id }}
        detail={`${endpoint.url} stops getting events, and its delivery history goes with it. Events already on their way are not sent.`}
        pending={mine === "delete-webhook"}
      />
    </li>
  );
}

function DeliveriesTable({
  endpoint,
  now,
  busy,
  disabled,
}: {
  endpoint: Endpoint;
  now: number;
  busy: FormDataEntryValue | null;
  disabled: boolean;
}) {
  if (!endpoint.deliveries.length) {
    return (
      <p className="text-sm text-stone-700">
        No deliveries yet.{disabled ? null : " Send a test event to try the endpoint."}
      </p>
    );
  }
  const cell = "flex justify-between gap-3 py-1 sm:table-cell sm:py-2 sm:pr-3 sm:align-top";
  const label = "font-medium sm:hidden";
  return (
    <table className="block w-full text-left text-sm sm:table">
      <caption className="mb-2 block text-left text-stone-700 sm:table-caption">
        Recent deliveries, newest first
      </caption>
      <thead className="hidden sm:table-header-group">
        <tr className="border-stone-300 border-b">
          <th scope="col" className="py-2 pr-3 font-medium">
            Event
          </th>
          <th scope="col" className="py-2 pr-3 font-medium">
            Status
          </th>
          <th scope="col" className="py-2 pr-3 font-medium">
            Attempts
          </th>
          <th scope="col" className="py-2 pr-3 font-medium">
            Answer
          </th>
          <th scope="col" className="py-2 pr-3 font-medium">
            When
          </th>
          <th scope="col" className="py-2 font-medium">
            <span className="sr-only">Actions</span>
          </th>
        </tr>
      </thead>
      <tbody className="block sm:table-row-group">
        {endpoint.deliveries.map((delivery) => {
          const status = deliveryStatus(delivery.status);
          return (
            <tr
              key={delivery.eventId}
              className="mb-3 block rounded-md border border-stone-200 p-3 sm:mb-0 sm:table-row sm:rounded-none sm:border-0 sm:border-stone-200 sm:border-b sm:p-0"
            >
              <td className={cell}>
                <span className={label}>Event</span>
                <span className="text-right sm:text-left">
                  {webhookEventLabels[delivery.eventType] ?? delivery.eventType}
                  <span className="block font-mono text-stone-600 text-xs">{delivery.eventType}</span>
                </span>
              </td>
              <td className={cell}>
                <span className={label}>Status</span>
                <span
                  className={`h-fit whitespace-nowrap rounded-full px-2 py-0.5 font-medium text-xs ${statusClass[status]}`}
                >
                  {deliveryStatusLabels[status]}
                </span>
              </td>
              <td className={cell}>
                <span className={label}>Attempts</span>
                <span>{delivery.attempts}</span>
              </td>
              <td className={cell}>
                <span className={label}>Answer</span>
                <span className="text-right sm:text-left">
                  {delivery.responseStatus ? `HTTP ${delivery.responseStatus}` : delivery.attempts ? "No answer" : "—"}
                  {delivery.lastError && status !== "delivered" ? (
                    <span className="block text-stone-700 text-xs">{delivery.lastError}</span>
                  ) : null}
                </span>
              </td>
              <td className={cell}>
                <span className={label}>When</span>
                <time dateTime={new Date(delivery.createdAt).toISOString()} title={dateTime(delivery.createdAt)}>
                  {formatRelative(delivery.createdAt, now)}
                </time>
              </td>
              <td className="block pt-2 sm:table-cell sm:py-2 sm:align-top">
                {status === "failed" && !disabled ? (
                  <Form method="post">
                    <input type="hidden" name="intent" value="resend-delivery" />
                    <input type="hidden" name="endpointId" value={endpoint.id} />
                    <input type="hidden" name="eventId" value={delivery.eventId} />
                    <Button type="submit" variant="secondary" pending={busy === "resend-delivery"}>
                      Resend
                      <span className="sr-only"> {webhookEventLabels[delivery.eventType] ?? delivery.eventType}</span>
                    </Button>
                  </Form>
                ) : null}
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

function HowToSection({ origin }: { origin: string }) {
  return (
    <section aria-labelledby="howto-heading" className="space-y-3 rounded-lg border border-stone-300 bg-white p-5">
      <h2 id="howto-heading" className="font-serif text-xl font-semibold">
        How to use the API
      </h2>
      <p className="text-stone-700">
        Send the token in the <code className="font-mono">Authorization</code> header of every request. For example, to
        list your campaigns:
      </p>
      <pre className="whitespace-pre-wrap break-all rounded-md bg-stone-900 p-3 text-sm text-stone-50">
        <code>{`curl -H "Authorization: Bearer $LORESMITH_TOKEN" ${origin}/api/v1/campaigns`}</code>
      </pre>
      <ul className="list-disc space-y-1 pl-5">
        <li>
          <Link to="/docs/api" className="text-ember-700 underline">
            The API reference
          </Link>{" "}
          — every endpoint, the scope each needs, the errors and the limits, and how to check a webhook's signature.
        </li>
        <li>
          <a href="/api/v1/openapi.json" className="text-ember-700 underline">
            The OpenAPI document
          </a>{" "}
          (<code className="font-mono">/api/v1/openapi.json</code>) — for generating a client in your language.
        </li>
      </ul>
    </section>
  );
}
