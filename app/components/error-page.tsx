import { isRouteErrorResponse, Link } from "react-router";

/** The message of a thrown refusal: `{ error }` (app/server/http/responses.server.ts) or plain text. */
function refusalMessage(data: unknown): string | null {
  if (typeof data === "string") return data;
  if (data && typeof data === "object" && "error" in data && typeof data.error === "string") return data.error;
  return null;
}

/** Friendly 404 / 500 content shared by the root and nested error boundaries. */
export function ErrorPage({ error }: { error: unknown }) {
  let title = "Something went wrong";
  let message = "An unexpected error stopped this page. Try again; if it keeps happening, reload the app.";
  if (isRouteErrorResponse(error)) {
    if (error.status === 404) {
      title = "Page not found";
      message = "There is nothing here, or it belongs to someone else. Check the address, or go back home.";
    } else if (error.status === 403) {
      title = "Not allowed";
      message = refusalMessage(error.data) ?? "This request was refused.";
    } else {
      title = `${error.status} ${error.statusText}`;
      message = refusalMessage(error.data) ?? message;
    }
  } else if (import.meta.env.DEV && error instanceof Error) {
    message = error.message;
  }
  return (
    <section className="mx-auto max-w-xl space-y-4 px-4 py-16 text-center">
      <h1 className="font-serif text-3xl font-semibold">{title}</h1>
      <p className="text-stone-700">{message}</p>
      <p>
        <Link to="/" className="inline-flex min-h-11 items-center font-medium text-ember-700 underline">
          Go to the start page
        </Link>
      </p>
    </section>
  );
}
