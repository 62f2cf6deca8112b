import { data, Form, Link, useNavigation } from "react-router";
import { PageHeader } from "~/components/app-shell";
import { Button, linkButtonClass } from "~/components/ui/button";
import { inputClass } from "~/components/ui/field";
import { characterTypeLabels, contextTypeLabels } from "~/lib/domain";
import { describeProgress } from "~/lib/file-progress";
import { formatDate, formatRelative } from "~/lib/format";
import { QuotaExceeded } from "~/server/db/quota.server";
import { UploadRefused } from "~/server/files/library.server";
import { homeModel } from "~/server/home.server";
import { unknownIntent } from "~/server/http/responses.server";
import { getServices, requireUser } from "~/server/request.server";
import { addSampleCampaign, removeSampleCampaign } from "~/server/sample/sample-campaign.server";
import { redirectWithToast } from "~/server/toast.server";
import type { Route } from "./+types/home";

export const meta: Route.MetaFunction = () => [{ title: "Home — LoreSmith AI" }];

export async function loader({ request, context }: Route.LoaderArgs) {
  const user = requireUser(context, request);
  const now = Date.now();
  const model = await homeModel(getServices(context).db, user, new Date(now).toISOString().slice(0, 10));
  return { username: user.username, now, ...model };
}

/** Adding and removing the sample campaign (its buttons are here, on the campaign and on the Campaigns page). */
export async function action({ request, context }: Route.ActionArgs) {
  const user = requireUser(context, request);
  const services = getServices(context);
  const intent = (await request.formData()).get("intent");
  if (intent === "add-sample") {
    try {
      const { campaignId, created } = await addSampleCampaign(services, user);
      return redirectWithToast(
        context,
        request,
        `/campaigns/${campaignId}`,
        created
          ? "Sample campaign added. Its house rules are being processed: search and the assistant find them in a few seconds."
          : "You already have the sample campaign: here it is.",
      );
    } catch (error) {
      if (error instanceof QuotaExceeded || error instanceof UploadRefused)
        return data({ error: `The sample campaign could not be added: ${error.message}` }, { status: error.status });
      throw error;
    }
  }
  if (intent === "remove-sample") {
    const removed = await removeSampleCampaign(services, user);
    return redirectWithToast(
      context,
      request,
      "/home",
      removed ? "Sample campaign removed, with the files it added." : "There was no sample campaign to remove.",
    );
  }
  unknownIntent(intent);
}

const cardClass = "rounded-lg border border-stone-300 bg-white p-4 sm:p-5";
const headingClass = "font-serif text-xl font-semibold";

export default function Home({ loaderData, actionData }: Route.ComponentProps) {
  const { username, campaigns, nextSession, recent, files, hasSample, now } = loaderData;
  const navigation = useNavigation();
  const pendingIntent = navigation.formData?.get("intent");
  const isNew = campaigns.length === 0 && files.length === 0;
  const editable = campaigns.filter((campaign) => campaign.mayEdit);
  const sampleIntent = hasSample ? "remove-sample" : "add-sample";

  return (
    <>
      <PageHeader title={isNew ? `Welcome, ${username}` : `Welcome back, ${username}`}>
        {isNew ? "Your campaigns, your books, one place to search them." : null}
      </PageHeader>

      <Form method="get" action="/search" role="search" className={`${cardClass} mb-6`}>
        <label htmlFor="home-q" className="block font-medium">
          Search your material
        </label>
        <div className="mt-1 flex gap-2">
          <input
            id="home-q"
            name="q"
            type="search"
            placeholder="a rule, a name, a place"
            autoComplete="off"
            enterKeyHint="search"
            className={`${inputClass} mt-0 min-w-0 flex-1`}
          />
          <Button type="submit">Search</Button>
        </div>
      </Form>

      {actionData?.error ? (
        <p role="alert" className="mb-6 rounded-md border border-red-300 bg-red-50 p-3 text-red-900">
          {actionData.error}
        </p>
      ) : null}

      {isNew ? (
        <section aria-labelledby="first-steps" className={`${cardClass} mb-6 space-y-4`}>
          <h2 id="first-steps" className={headingClass}>
            Start here
          </h2>
          <ol className="space-y-4">
            <li>
              <p className="font-medium">See what LoreSmith AI does with a ready-made campaign.</p>
              <p className="text-stone-700">
                A short original adventure with lore, characters, two sessions, GM-only secrets and a house-rules file.
                Remove it in one click when you are done.
              </p>
              <Form method="post" className="mt-2">
                <Button type="submit" name="intent" value="add-sample" pending={pendingIntent === "add-sample"}>
                  Add the sample campaign
                </Button>
              </Form>
            </li>
            <li>
              <p className="font-medium">Or start your own.</p>
              <div className="mt-2 flex flex-wrap gap-2">
                <Link to="/campaigns/new" className={linkButtonClass.secondary}>
                  Create a campaign
                </Link>
                <Link to="/library" className={linkButtonClass.secondary}>
                  Upload a rulebook or notes
                </Link>
              </div>
            </li>
          </ol>
        </section>
      ) : null}

      <div className="grid gap-6 lg:grid-cols-2">
        {nextSession ? (
          <section aria-labelledby="next-session" className={cardClass}>
            <h2 id="next-session" className={headingClass}>
              Next session
            </h2>
            <p className="mt-1">
              <span className="font-semibold">{formatDate(nextSession.nextSessionAt ?? "")}</span> —{" "}
              <Link to={`/campaigns/${nextSession.id}`} className="underline">
                {nextSession.name}
              </Link>
            </p>
            <div className="mt-3 flex flex-wrap gap-2">
              {nextSession.mayEdit ? (
                <Link to={`/campaigns/${nextSession.id}/sessions/new`} className={linkButtonClass.primary}>
                  New session note
                </Link>
              ) : null}
              <Link to={`/campaigns/${nextSession.id}/sessions`} className={linkButtonClass.secondary}>
                Past sessions
              </Link>
            </div>
          </section>
        ) : null}

        {editable.length > 0 ? (
          <section aria-labelledby="quick-add" className={cardClass}>
            <h2 id="quick-add" className={headingClass}>
              Add to a campaign
            </h2>
            <ul className="mt-2 divide-y divide-stone-200">
              {editable.slice(0, 4).map((campaign) => (
                <li key={campaign.id} className="flex flex-wrap items-center gap-x-3 gap-y-1 py-2">
                  <Link to={`/campaigns/${campaign.id}`} className="mr-auto min-w-0 break-words font-medium underline">
                    {campaign.name}
                  </Link>
                  <Link
                    to={`/campaigns/${campaign.id}/context/new`}
                    className="inline-flex min-h-11 items-center underline"
                  >
                    New entry<span className="sr-only"> in {campaign.name}</span>
                  </Link>
                  <Link
                    to={`/campaigns/${campaign.id}/sessions/new`}
                    className="inline-flex min-h-11 items-center underline"
                  >
                    New session note<span className="sr-only"> in {campaign.name}</span>
                  </Link>
                </li>
              ))}
            </ul>
            {campaigns.length > 4 ? (
              <Link to="/campaigns" className="mt-2 inline-flex min-h-11 items-center underline">
                All {campaigns.length} campaigns
              </Link>
            ) : null}
          </section>
        ) : null}

        {recent.length > 0 ? (
          <section aria-labelledby="recent" className={cardClass}>
            <h2 id="recent" className={headingClass}>
              Recently changed
            </h2>
            <ul className="mt-2 divide-y divide-stone-200">
              {recent.map((item) => (
                <li key={`${item.kind}:${item.id}`} className="py-2">
                  <Link
                    to={`/campaigns/${item.campaignId}/${item.kind === "entry" ? "context" : "characters"}/${item.id}`}
                    className="font-medium underline"
                  >
                    {item.title}
                  </Link>
                  <span className="block text-sm text-stone-700">
                    {item.kind === "entry"
                      ? contextTypeLabels[item.contextType]
                      : characterTypeLabels[item.characterType]}{" "}
                    in {item.campaignName} · {formatRelative(item.updatedAt, now)}
                  </span>
                </li>
              ))}
            </ul>
          </section>
        ) : null}

        {files.length > 0 ? (
          <section aria-labelledby="unfinished-files" className={cardClass}>
            <h2 id="unfinished-files" className={headingClass}>
              Files not searchable yet
            </h2>
            <ul className="mt-2 divide-y divide-stone-200">
              {files.map((file) => (
                <li key={file.fileKey} className="py-2">
                  <Link to={`/library/${file.fileKey}`} className="break-words font-medium underline">
                    {file.fileName}
                  </Link>
                  <span className="block text-sm text-stone-700">{describeProgress(file, undefined).label}</span>
                </li>
              ))}
            </ul>
            <Link to="/library" className="mt-2 inline-flex min-h-11 items-center underline">
              Live progress in the Library
            </Link>
          </section>
        ) : null}
      </div>

      {!isNew ? (
        <section aria-labelledby="sample" className="mt-6 text-stone-800">
          <h2 id="sample" className="sr-only">
            Sample campaign
          </h2>
          <Form method="post" className="flex flex-wrap items-center gap-3">
            <span>{hasSample ? "You have the sample campaign." : "Want to see a finished campaign?"}</span>
            <Button
              type="submit"
              name="intent"
              value={sampleIntent}
              variant="secondary"
              pending={pendingIntent === sampleIntent}
            >
              {hasSample ? "Remove the sample campaign" : "Add the sample campaign"}
            </Button>
          </Form>
        </section>
      ) : null}
    </>
  );
}
