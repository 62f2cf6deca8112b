import { useEffect, useRef } from "react";
import { Form, Link, useLocation, useNavigation, useSubmit } from "react-router";
import { PageHeader } from "~/components/app-shell";
import { SearchResultList } from "~/components/search-results";
import { Button } from "~/components/ui/button";
import { inputClass } from "~/components/ui/field";
import { MAX_SEARCH_PAGE, parseSearchParams, searchTypeLabels, searchTypes } from "~/lib/search";
import { httpError, notFound } from "~/server/http/responses.server";
import { getRequestState, getServices, limitRequest, requireUser } from "~/server/request.server";
import { resolveScope, scopedSearchOptions, search, searchScopesModel } from "~/server/search/search.server";
import type { Route } from "./+types/search";

export const meta: Route.MetaFunction = ({ loaderData }) => [
  { title: loaderData?.params.q ? `“${loaderData.params.q}” — Search — LoreSmith AI` : "Search — LoreSmith AI" },
];

export async function loader({ request, context }: Route.LoaderArgs) {
  const user = requireUser(context, request);
  const parsed = parseSearchParams(new URL(request.url).searchParams);
  if (!parsed.success) {
    throw httpError(400, parsed.error.issues[0]?.message ?? "That search is not valid.");
  }
  const params = parsed.data;
  if (params.q) await limitRequest(context, request, "search");
  const services = getServices(context);
  const scope = await resolveScope(services.db, user, params, getRequestState(context).session.get("previewAs"));
  if (!scope) notFound("campaign or file");
  const [scopes, found] = await Promise.all([
    searchScopesModel(services, user),
    params.q
      ? search(services.search, scope.owner, { ...scopedSearchOptions(params, scope), explain: false, prefix: true })
      : Promise.resolve({ results: [], more: false, synonyms: [] }),
  ]);
  return {
    params,
    scopes,
    results: found.results,
    more: found.more,
    synonyms: found.synonyms,
    fileName: scopes.files.find((f) => f.fileKey === params.fileKey)?.fileName,
  };
}

const pageLinkClass =
  "inline-flex min-h-11 items-center gap-1 rounded-md border border-stone-300 bg-white px-4 font-medium text-ember-700 hover:bg-ember-50";

/** Results follow typing after this pause. */
const DEBOUNCE_MS = 300;

export default function Search({ loaderData }: Route.ComponentProps) {
  const { params, scopes, results, more, synonyms, fileName } = loaderData;
  const submit = useSubmit();
  const navigation = useNavigation();
  const location = useLocation();
  const formRef = useRef<HTMLFormElement>(null);
  const statusRef = useRef<HTMLParagraphElement>(null);
  const timer = useRef<ReturnType<typeof setTimeout>>(undefined);
  /** A paging link was followed: the new page's summary takes the focus. */
  const paged = useRef(false);
  useEffect(() => () => clearTimeout(timer.current), []);
  // biome-ignore lint/correctness/useExhaustiveDependencies: runs when the page of results changes.
  useEffect(() => {
    if (!paged.current) return;
    paged.current = false;
    statusRef.current?.focus();
  }, [params.page, location.key]);
  const first = (params.page - 1) * params.k + 1;
  const last = first + results.length - 1;
  // Every current parameter, another page (the first page has none).
  const pageHref = (page: number) => {
    const search = new URLSearchParams(location.search);
    if (page > 1) search.set("page", String(page));
    else search.delete("page");
    return `/search?${search}`;
  };
  const hasPrevious = params.page > 1;
  const hasNext = more && params.page < MAX_SEARCH_PAGE;
  const searching = navigation.state !== "idle" && navigation.location?.pathname === "/search";
  // As you type: replace the history entry, keep the scroll and the focus in the box.
  const searchSoon = (delay: number) => {
    clearTimeout(timer.current);
    timer.current = setTimeout(() => {
      if (formRef.current) submit(formRef.current, { replace: true, preventScrollReset: true });
    }, delay);
  };

  return (
    <>
      <PageHeader title="Search">Find any passage in your files, lore and characters.</PageHeader>
      <Form
        ref={formRef}
        method="get"
        role="search"
        className="mb-6 space-y-3 rounded-lg border border-stone-300 bg-white p-4"
        onChange={(event) => searchSoon((event.target as HTMLElement).id === "q" ? DEBOUNCE_MS : 0)}
      >
        <div>
          <label htmlFor="q" className="block font-medium">
            Search your material
          </label>
          <div className="mt-1 flex gap-2">
            <input
              id="q"
              name="q"
              type="search"
              defaultValue={params.q}
              placeholder="e.g. what does a lich need to come back"
              autoComplete="off"
              enterKeyHint="search"
              className={`${inputClass} flex-1`}
            />
            <Button type="submit" pending={searching}>
              Search
            </Button>
          </div>
        </div>
        <div className="grid gap-3 sm:grid-cols-3">
          <div>
            <label htmlFor="campaignId" className="block font-medium text-sm">
              Where
            </label>
            <select id="campaignId" name="campaignId" defaultValue={params.campaignId ?? ""} className={inputClass}>
              <option value="">Whole library</option>
              {scopes.campaigns.map((campaign) => (
                <option key={campaign.id} value={campaign.id}>
                  Campaign: {campaign.name}
                </option>
              ))}
            </select>
          </div>
          <div>
            <label htmlFor="type" className="block font-medium text-sm">
              What
            </label>
            <select id="type" name="type" defaultValue={params.type ?? ""} className={inputClass}>
              <option value="">Everything</option>
              {searchTypes.map((type) => (
                <option key={type} value={type}>
                  {searchTypeLabels[type]}
                </option>
              ))}
            </select>
          </div>
          <div>
            <label htmlFor="tag" className="block font-medium text-sm">
              Tag
            </label>
            <input
              id="tag"
              name="tag"
              type="text"
              defaultValue={params.tag ?? ""}
              list="search-tags"
              className={inputClass}
            />
            <datalist id="search-tags">
              {scopes.tags.map((tag) => (
                <option key={tag} value={tag} />
              ))}
            </datalist>
          </div>
        </div>
        {params.fileKey ? (
          <p className="text-sm">
            <input type="hidden" name="fileKey" value={params.fileKey} />
            Only in <strong className="break-all">{fileName}</strong> ·{" "}
            <Link to={`/search?q=${encodeURIComponent(params.q)}`} className="text-ember-700 underline">
              search everything
            </Link>
          </p>
        ) : null}
      </Form>

      <section aria-labelledby="results-heading" aria-busy={searching}>
        <h2 id="results-heading" className="sr-only">
          Results
        </h2>
        <p ref={statusRef} role="status" tabIndex={-1} className="mb-3 text-stone-700">
          {!params.q
            ? "Type a question or a few words: a rule, a monster, a name from your notes."
            : results.length
              ? params.page === 1 && !more
                ? `${results.length} result${results.length === 1 ? "" : "s"} for “${params.q}”.`
                : `Results ${first}–${last} for “${params.q}”.`
              : params.page > 1
                ? `No more results for “${params.q}”.`
                : `Nothing found for “${params.q}”. Try other words, fewer words, or the whole library.`}
          {scopes.processing > 0
            ? ` ${scopes.processing} file${scopes.processing === 1 ? " is" : "s are"} still being processed and not searched yet.`
            : ""}
        </p>
        {results.length && synonyms.length ? (
          <p className="mb-3 text-sm text-stone-600">
            Your material rarely uses a word you searched for, so words of like meaning were searched too:{" "}
            {synonyms.join(", ")}.
          </p>
        ) : null}
        {results.length ? <SearchResultList results={results} label="Search results" start={first} /> : null}
        {params.q && (hasPrevious || hasNext) ? (
          <nav aria-label="Pages of results" className="mt-4 flex flex-wrap justify-between gap-3">
            {hasPrevious ? (
              <Link
                to={pageHref(params.page - 1)}
                preventScrollReset
                onClick={() => {
                  paged.current = true;
                }}
                className={pageLinkClass}
              >
                <span aria-hidden="true">←</span> Previous results
              </Link>
            ) : (
              <span />
            )}
            {hasNext ? (
              <Link
                to={pageHref(params.page + 1)}
                preventScrollReset
                onClick={() => {
                  paged.current = true;
                }}
                className={pageLinkClass}
              >
                Next results <span aria-hidden="true">→</span>
              </Link>
            ) : null}
          </nav>
        ) : null}
      </section>
    </>
  );
}
