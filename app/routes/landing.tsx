import { Link, redirect, useSearchParams } from "react-router";
// Taken from the app itself by scripts/landing-pictures.mjs (rerun it after a visible change).
import assistantPhone from "~/assets/landing/assistant-phone.jpg";
import searchDesktop from "~/assets/landing/search-desktop.jpg";
import { getRequestState } from "~/server/request.server";
import type { Route } from "./+types/landing";

export const meta: Route.MetaFunction = () => [{ title: "LoreSmith AI — the campaign companion for game masters" }];

export function loader({ context }: Route.LoaderArgs) {
  if (getRequestState(context).user) throw redirect("/home");
  return null;
}

const FEATURES = [
  {
    title: "Your campaigns in one place",
    text: "Campaigns, lore, locations, factions, house rules, player characters and NPCs — edited through plain forms that work on a phone at the table.",
  },
  {
    title: "Your books, searchable",
    text: "Upload PDF rulebooks and modules, Markdown notes and character sheets. Every file becomes searchable passages that remember their page.",
  },
  {
    title: "Answers with citations",
    text: "Ask a question and get an answer built from your own material, each claim linked to the file and page it came from.",
  },
];

export default function Landing() {
  const [searchParams] = useSearchParams();
  return (
    <main id="main" className="mx-auto max-w-5xl px-4 py-10 sm:py-16">
      {searchParams.get("accountDeleted") === "1" ? (
        <p role="status" className="mb-8 rounded-md border border-stone-300 bg-white p-3 text-center">
          Your account and everything in it were deleted.
        </p>
      ) : null}
      <section className="space-y-6 text-center">
        <p className="font-serif text-lg font-semibold">
          LoreSmith <span className="text-ember-700">AI</span>
        </p>
        <h1 className="font-serif text-4xl font-semibold sm:text-5xl">Run your campaign from your own sources.</h1>
        <p className="mx-auto max-w-2xl text-lg text-stone-700">
          The campaign companion for game masters: keep your world, your players and your rulebooks together, and ask
          questions that are answered from what you uploaded — with the page to prove it.
        </p>
        <div className="flex flex-col justify-center gap-3 sm:flex-row">
          <Link
            to="/signup"
            className="inline-flex min-h-11 items-center justify-center rounded-md bg-ember-600 px-6 font-medium text-white hover:bg-ember-700"
          >
            Create your account
          </Link>
          <Link
            to="/login"
            className="inline-flex min-h-11 items-center justify-center rounded-md border border-stone-400 bg-white px-6 font-medium hover:bg-stone-100"
          >
            Sign in
          </Link>
        </div>
      </section>
      <figure className="mt-12">
        <div className="relative mx-auto max-w-4xl sm:pb-10">
          {/* Lazy: a phone never shows it, and a hidden lazy image is not fetched. */}
          <img
            src={searchDesktop}
            width={1200}
            height={760}
            loading="lazy"
            decoding="async"
            alt="Search in LoreSmith AI: the query “lantern oil” finds the Lantern oil rule in the sample campaign’s house rules, named by file and heading, and also found on page 1 of the PDF handout."
            className="hidden h-auto w-full rounded-lg border border-stone-300 shadow-lg sm:block"
          />
          <img
            src={assistantPhone}
            width={375}
            height={740}
            decoding="async"
            alt="The assistant on a phone: asked “What happens when the bell rings?”, it answers with quoted passages from the campaign’s own material, each marked with its source number, and the ask box stays at the bottom of the screen."
            className="mx-auto h-auto w-64 rounded-3xl border-4 border-ink shadow-xl sm:absolute sm:right-6 sm:bottom-0 sm:w-44 md:w-52"
          />
        </div>
        <figcaption className="mx-auto mt-4 max-w-2xl text-center text-stone-700">
          The sample campaign every new account can add: search finds the rule with its file and page, and the assistant
          answers at the table from the same passages.
        </figcaption>
      </figure>
      <section aria-labelledby="features" className="mt-16">
        <h2 id="features" className="sr-only">
          What you get
        </h2>
        <ul className="grid gap-4 sm:grid-cols-3">
          {FEATURES.map((feature) => (
            <li key={feature.title} className="rounded-lg border border-stone-300 bg-white p-5">
              <h3 className="font-serif text-xl font-semibold">{feature.title}</h3>
              <p className="mt-2 text-stone-700">{feature.text}</p>
            </li>
          ))}
        </ul>
      </section>
    </main>
  );
}
