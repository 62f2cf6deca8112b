import { Links, Meta, Outlet, Scripts, ScrollRestoration } from "react-router";
import type { Route } from "./+types/root";
// The stylesheet by URL, rendered with a precedence: React then puts it at the head of the
// document before the dozen module preloads <Scripts /> adds, so it is requested first.
import appStylesheet from "./app.css?url";
import { ErrorPage } from "./components/error-page";
import { useNonce } from "./components/nonce";
import { sessionMiddleware } from "./server/auth/middleware.server";
import { getToast, toastMiddleware } from "./server/toast.server";

export const middleware: Route.MiddlewareFunction[] = [sessionMiddleware, toastMiddleware];

export function loader({ context }: Route.LoaderArgs) {
  return { toast: getToast(context) };
}

export const meta: Route.MetaFunction = () => [
  { title: "LoreSmith AI" },
  { name: "description", content: "The campaign companion for game masters." },
];

export function Layout({ children }: { children: React.ReactNode }) {
  const nonce = useNonce();
  return (
    // The `js` class is set before the first paint (below), so it never matches the server's HTML.
    <html lang="en" suppressHydrationWarning>
      <head>
        <meta charSet="utf-8" />
        {/* Marks that scripts run, before anything is painted: `js:` styles (app.css) then hide what
            only a browser without JavaScript needs, with no flash of it while the bundle loads. */}
        <script
          nonce={nonce}
          suppressHydrationWarning
          // biome-ignore lint/security/noDangerouslySetInnerHtml: a constant of ours, not user content
          dangerouslySetInnerHTML={{ __html: 'document.documentElement.classList.add("js")' }}
        />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="color-scheme" content="light" />
        <link rel="stylesheet" href={appStylesheet} precedence="default" />
        <link rel="icon" href="/favicon.svg" type="image/svg+xml" />
        <Meta />
        <Links />
      </head>
      <body className="min-h-dvh">
        <a
          href="#main"
          className="sr-only focus:not-sr-only focus:absolute focus:top-2 focus:left-2 focus:z-50 focus:rounded focus:bg-white focus:p-3"
        >
          Skip to content
        </a>
        {children}
        <ScrollRestoration nonce={nonce} />
        <Scripts nonce={nonce} />
      </body>
    </html>
  );
}

export default function App() {
  return <Outlet />;
}

export function ErrorBoundary({ error }: Route.ErrorBoundaryProps) {
  return (
    <main id="main">
      <ErrorPage error={error} />
    </main>
  );
}
