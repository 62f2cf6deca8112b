import { Link } from "react-router";
import { apiReference } from "~/server/api/v1/reference.server";
import type { Route } from "./+types/api-reference";

export const meta: Route.MetaFunction = () => [{ title: "API reference — LoreSmith AI" }];

/** /docs/api — the public API's reference, read from the same OpenAPI document /api/v1/openapi.json serves. */
export function loader({ request }: Route.LoaderArgs) {
  return apiReference(new URL(request.url).origin);
}

const METHOD_STYLES: Record<string, string> = {
  GET: "bg-emerald-100 text-emerald-900",
  POST: "bg-sky-100 text-sky-900",
  PUT: "bg-amber-100 text-amber-900",
  DELETE: "bg-red-100 text-red-900",
};

/** A list, not a table: a name, its type and its notes stack on a phone and sit side by side on a desk. */
function Fields({
  caption,
  fields,
}: {
  caption: string;
  fields: { name: string; type: string; required: boolean; notes: string; in?: string }[];
}) {
  if (fields.length === 0) return null;
  return (
    <div className="mt-3">
      <h4 className="font-medium text-sm text-stone-800">{caption}</h4>
      <ul className="mt-1 divide-y divide-stone-200 border-stone-200 border-y text-sm">
        {fields.map((field) => (
          <li key={`${field.in ?? ""}${field.name}`} className="grid gap-x-4 gap-y-0.5 py-2 sm:grid-cols-[14rem_1fr]">
            <div className="min-w-0">
              <code className="font-mono font-semibold">{field.name}</code>
              {field.required ? <span className="text-ember-800"> required</span> : null}
              {field.in && field.in !== "path" ? <span className="text-stone-600"> · in the {field.in}</span> : null}
              <div className="break-words font-mono text-stone-700">{field.type}</div>
            </div>
            {field.notes ? <p className="text-stone-700">{field.notes}</p> : null}
          </li>
        ))}
      </ul>
    </div>
  );
}

/** The document's Markdown-ish description: paragraphs, and runs of "- " lines as lists. */
function descriptionBlocks(description: string): (string | string[])[] {
  const blocks: (string | string[])[] = [];
  for (const paragraph of description.split("\n\n")) {
    const last = blocks.at(-1);
    if (paragraph.startsWith("- ")) {
      if (Array.isArray(last)) last.push(paragraph.slice(2));
      else blocks.push([paragraph.slice(2)]);
    } else blocks.push(paragraph);
  }
  return blocks;
}

const plain = (text: string) => text.replaceAll("**", "").replaceAll("`", "");

export default function ApiReference({ loaderData }: Route.ComponentProps) {
  const { description, server, groups } = loaderData;
  return (
    <main id="main" className="mx-auto max-w-4xl px-4 py-8">
      <p className="font-serif text-lg font-semibold">
        <Link to="/" className="hover:underline">
          LoreSmith <span className="text-ember-700">AI</span>
        </Link>
      </p>
      <h1 className="mt-4 font-serif text-3xl font-semibold">API reference</h1>
      <div className="mt-4 space-y-3 text-stone-800">
        {descriptionBlocks(description).map((block) =>
          Array.isArray(block) ? (
            <ul key={block.join()} className="list-disc space-y-1 pl-6">
              {block.map((item) => (
                <li key={item}>{plain(item)}</li>
              ))}
            </ul>
          ) : (
            <p key={block}>{plain(block)}</p>
          ),
        )}
        <p>
          Base address: <code className="rounded bg-stone-100 px-1 break-all">{server}</code>. The machine-readable
          document:{" "}
          <a href="/api/v1/openapi.json" className="text-ember-800 underline">
            /api/v1/openapi.json
          </a>{" "}
          (OpenAPI 3.1). Create a token in{" "}
          <Link to="/settings/api" className="text-ember-800 underline">
            Settings → API and webhooks
          </Link>
          .
        </p>
        <pre className="whitespace-pre-wrap break-all rounded-md bg-stone-900 p-3 text-sm text-stone-50">
          <code>{`curl -H "Authorization: Bearer $LORESMITH_TOKEN" \\\n  "${server}/search?q=grapple"`}</code>
        </pre>
      </div>
      <nav aria-label="Sections" className="mt-6">
        <ul className="flex flex-wrap gap-2">
          {groups.map((group) => (
            <li key={group.tag}>
              <a
                href={`#${group.tag.toLowerCase()}`}
                className="inline-flex min-h-11 items-center rounded-md border border-stone-300 bg-white px-3 hover:bg-stone-100"
              >
                {group.tag}
              </a>
            </li>
          ))}
        </ul>
      </nav>
      {groups.map((group) => (
        <section key={group.tag} aria-labelledby={group.tag.toLowerCase()} className="mt-10">
          <h2 id={group.tag.toLowerCase()} className="font-serif text-2xl font-semibold">
            {group.tag}
          </h2>
          {group.operations.map((operation) => (
            <article
              key={operation.id}
              id={`op-${operation.id}`}
              className="mt-5 rounded-lg border border-stone-300 bg-white p-4"
            >
              <h3 className="flex flex-wrap items-baseline gap-2 font-medium">
                <span className={`rounded px-2 py-0.5 font-mono text-sm ${METHOD_STYLES[operation.method] ?? ""}`}>
                  {operation.method}
                </span>
                <code className="font-mono break-all">{operation.path}</code>
              </h3>
              <p className="mt-2">{operation.summary}.</p>
              {operation.description ? <p className="mt-1 text-stone-700">{operation.description}</p> : null}
              <p className="mt-2 text-sm text-stone-700">
                Needs the <strong className="font-mono">{operation.scope}</strong> scope.
              </p>
              <Fields caption="Parameters" fields={operation.parameters} />
              {operation.body ? (
                operation.body.fields.length ? (
                  <Fields caption="JSON body" fields={operation.body.fields} />
                ) : (
                  <p className="mt-3 text-sm">
                    Body: the raw bytes (<code>{operation.body.contentType}</code>), with Content-Length.
                  </p>
                )
              ) : null}
              <details className="mt-3 text-sm">
                <summary className="cursor-pointer">Responses</summary>
                <ul className="mt-1 space-y-1">
                  {operation.responses.map((response) => (
                    <li key={response.status}>
                      <span className="font-mono">{response.status}</span> — {response.description}
                    </li>
                  ))}
                </ul>
              </details>
            </article>
          ))}
        </section>
      ))}
    </main>
  );
}
