import { Link } from "react-router";
import { PageHeader } from "~/components/app-shell";
import { requireUser } from "~/server/request.server";
import type { Route } from "./+types/home";

export const meta: Route.MetaFunction = () => [{ title: "Home — LoreSmith AI" }];

export function loader({ request, context }: Route.LoaderArgs) {
  const user = requireUser(context, request);
  return { username: user.username };
}

const SECTIONS = [
  { to: "/campaigns", title: "Campaigns", text: "Your campaigns, their lore, locations and characters." },
  { to: "/library", title: "Library", text: "Rulebooks, modules, notes and character sheets you uploaded." },
  { to: "/search", title: "Search", text: "Find any passage across your material." },
  { to: "/assistant", title: "Assistant", text: "Ask questions answered from your own sources, with citations." },
];

export default function Home({ loaderData }: Route.ComponentProps) {
  return (
    <>
      <PageHeader title={`Welcome, ${loaderData.username}`}>Where would you like to start?</PageHeader>
      <ul className="grid gap-4 sm:grid-cols-2">
        {SECTIONS.map((section) => (
          <li key={section.to}>
            <Link
              to={section.to}
              className="block h-full rounded-lg border border-stone-300 bg-white p-5 hover:border-ember-600"
            >
              <span className="font-serif text-xl font-semibold">{section.title}</span>
              <span className="mt-1 block text-stone-700">{section.text}</span>
            </Link>
          </li>
        ))}
      </ul>
    </>
  );
}
