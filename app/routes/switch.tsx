import { Form } from "react-router";
import { PageHeader } from "~/components/app-shell";
import { SwitcherList } from "~/components/quick-switcher";
import { Button } from "~/components/ui/button";
import { inputClass } from "~/components/ui/field";
import { SWITCHER_QUERY_MAX, switcherQuerySchema } from "~/lib/switcher";
import { getServices, requireUser } from "~/server/request.server";
import { switcherMatches } from "~/server/switcher.server";
import type { Route } from "./+types/switch";

export const meta: Route.MetaFunction = () => [{ title: "Jump to — LoreSmith AI" }];

/**
 * The quick switcher's answers: what the user may open whose name holds `q`. The Ctrl/⌘-K
 * dialog loads them as data; without JavaScript this page is the switcher.
 */
export async function loader({ request, context }: Route.LoaderArgs) {
  const user = requireUser(context, request);
  const query = switcherQuerySchema.parse(new URL(request.url).searchParams.get("q") ?? "");
  return { query, matches: await switcherMatches(getServices(context).db, user, query) };
}

export default function Switch({ loaderData }: Route.ComponentProps) {
  const { query, matches } = loaderData;
  return (
    <>
      <PageHeader title="Jump to">A campaign, entry, character or file, by its name.</PageHeader>
      <Form method="get" role="search" className="mb-6 flex max-w-xl gap-2">
        <label htmlFor="switch-q" className="sr-only">
          Name
        </label>
        <input
          id="switch-q"
          name="q"
          type="search"
          defaultValue={query}
          maxLength={SWITCHER_QUERY_MAX}
          autoComplete="off"
          className={`${inputClass} mt-0 min-w-0 flex-1`}
        />
        <Button type="submit">Find</Button>
      </Form>
      {query ? <SwitcherList matches={matches} query={query} /> : null}
    </>
  );
}
