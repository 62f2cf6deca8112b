import type { ReactNode } from "react";
import { Form, Link, NavLink, useLocation } from "react-router";
import { QuickSwitcher } from "./quick-switcher";

export const NAV_ITEMS = [
  { to: "/campaigns", label: "Campaigns" },
  { to: "/library", label: "Library" },
  { to: "/search", label: "Search" },
  { to: "/assistant", label: "Assistant" },
  { to: "/settings", label: "Settings" },
] as const;

const linkClass = ({ isActive }: { isActive: boolean }) =>
  `flex min-h-11 items-center rounded-md px-3 font-medium ${
    isActive ? "bg-ember-50 text-ember-700 underline underline-offset-4" : "text-ink hover:bg-stone-200"
  }`;

function SignOut() {
  return (
    <Form method="post" action="/logout">
      <button
        type="submit"
        className="flex min-h-11 w-full items-center whitespace-nowrap rounded-md px-3 font-medium hover:bg-stone-200"
      >
        Sign out
      </button>
    </Form>
  );
}

/** Signed-in frame: header with navigation (a disclosure menu below 1024 px), then the page. */
export function AppShell({ username, children }: { username: string; children: ReactNode }) {
  const location = useLocation();
  return (
    <div className="flex min-h-dvh flex-col">
      <header className="border-stone-300 border-b bg-white">
        <div className="mx-auto flex max-w-6xl items-center justify-between gap-4 px-4 py-2">
          <Link to="/home" className="flex min-h-11 items-center font-serif text-xl font-semibold">
            LoreSmith <span className="ml-1 text-ember-700">AI</span>
          </Link>
          <nav aria-label="Main" className="hidden lg:block">
            <ul className="flex items-center gap-1">
              {NAV_ITEMS.map((item) => (
                <li key={item.to}>
                  <NavLink to={item.to} className={linkClass}>
                    {item.label}
                  </NavLink>
                </li>
              ))}
            </ul>
          </nav>
          {/* Outside the desktop-only box: its dialog and Ctrl/⌘-K work at any width. */}
          <QuickSwitcher className="ml-auto hidden lg:flex" />
          <div className="hidden items-center gap-2 lg:flex">
            {/* From 1280 px: below that the header has room for the links and Sign out only. */}
            <span className="hidden max-w-48 truncate text-sm text-stone-700 xl:block" title={username}>
              Signed in as <strong>{username}</strong>
            </span>
            <SignOut />
          </div>
          {/* <details> opens and closes without JavaScript; keyed by path so it closes on navigation. */}
          <details key={location.pathname} className="relative lg:hidden">
            <summary className="flex min-h-11 min-w-11 cursor-pointer list-none items-center justify-center rounded-md border border-stone-400 px-3 font-medium">
              Menu
            </summary>
            <nav
              aria-label="Main"
              className="absolute right-0 z-20 mt-2 w-64 rounded-md border border-stone-300 bg-white p-2 shadow-lg"
            >
              <p className="px-3 py-2 text-sm text-stone-700">
                Signed in as <strong>{username}</strong>
              </p>
              <ul>
                {NAV_ITEMS.map((item) => (
                  <li key={item.to}>
                    <NavLink to={item.to} className={linkClass}>
                      {item.label}
                    </NavLink>
                  </li>
                ))}
                <li>
                  <a href="/switch" className={linkClass({ isActive: false })}>
                    Jump to…
                  </a>
                </li>
                <li>
                  <SignOut />
                </li>
              </ul>
            </nav>
          </details>
        </div>
      </header>
      <main id="main" className="mx-auto w-full max-w-6xl flex-1 px-4 py-6">
        {children}
      </main>
      <footer className="border-stone-300 border-t py-4 text-center text-sm text-stone-600">
        LoreSmith AI — your campaign, your sources.
      </footer>
    </div>
  );
}

/** Heading and one-line purpose at the top of every signed-in page. */
export function PageHeader({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="mb-6 space-y-2">
      <h1 className="font-serif text-3xl font-semibold">{title}</h1>
      {children ? <div className="text-stone-700">{children}</div> : null}
    </div>
  );
}
