import { type KeyboardEvent, useEffect, useRef, useState } from "react";
import { Link, useFetcher, useLocation, useNavigate } from "react-router";
import { SWITCHER_QUERY_MAX, type SwitcherMatch, switcherKindLabels } from "~/lib/switcher";
import { inputClass } from "./ui/field";

/** The matches as links, each with its kind and where it is (the /switch page and the dialog). */
export function SwitcherList({ matches, query }: { matches: SwitcherMatch[]; query: string }) {
  if (matches.length === 0)
    return (
      <p className="text-stone-700">
        Nothing is named like “{query}”.{" "}
        <Link to={`/search?${new URLSearchParams({ q: query })}`} className="text-ember-700 underline">
          Search inside your material
        </Link>{" "}
        instead.
      </p>
    );
  return (
    <ul aria-label="Matches" className="divide-y divide-stone-200 rounded-lg border border-stone-300 bg-white">
      {matches.map((match) => (
        <li key={match.href}>
          <Link
            to={match.href}
            data-switcher-item
            className="flex min-h-11 flex-wrap items-center justify-between gap-x-3 px-4 py-2 hover:bg-stone-50 focus:bg-ember-50"
          >
            <span className="break-words font-medium">{match.title}</span>
            <span className="text-sm text-stone-700">
              {switcherKindLabels[match.kind]}
              {match.where ? ` · ${match.where}` : ""}
            </span>
          </Link>
        </li>
      ))}
    </ul>
  );
}

const DEBOUNCE_MS = 120;

function openDialog(dialog: HTMLDialogElement | null, input: HTMLInputElement | null) {
  dialog?.showModal();
  input?.select();
}

/**
 * Ctrl/⌘-K anywhere signed in opens a dialog that jumps to a campaign, entry, character or
 * file by name; Enter opens the first match, the arrow keys walk the list, Escape closes it.
 * The trigger is a link to /switch, which is the switcher without JavaScript.
 */
export function QuickSwitcher({ className = "" }: { className?: string }) {
  const dialog = useRef<HTMLDialogElement>(null);
  const input = useRef<HTMLInputElement>(null);
  const fetcher = useFetcher<{ query: string; matches: SwitcherMatch[] }>();
  const [query, setQuery] = useState("");
  const navigate = useNavigate();
  const location = useLocation();
  const timer = useRef<ReturnType<typeof setTimeout>>(undefined);
  // The server cannot know the keyboard: "Ctrl K" until the browser says it is an Apple one.
  const [shortcut, setShortcut] = useState("Ctrl K");
  useEffect(() => {
    if (/Mac|iPhone|iPad/.test(navigator.platform)) setShortcut("⌘ K");
  }, []);

  const open = () => openDialog(dialog.current, input.current);

  useEffect(() => {
    const onKey = (event: globalThis.KeyboardEvent) => {
      if ((event.ctrlKey || event.metaKey) && !event.altKey && event.key.toLowerCase() === "k") {
        event.preventDefault();
        if (dialog.current?.open) dialog.current.close();
        else openDialog(dialog.current, input.current);
      }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, []);

  // A jump closes it.
  // biome-ignore lint/correctness/useExhaustiveDependencies: runs on each navigation
  useEffect(() => {
    dialog.current?.close();
  }, [location.key]);

  const find = (value: string) => {
    setQuery(value);
    clearTimeout(timer.current);
    const q = value.trim();
    if (!q) return;
    timer.current = setTimeout(() => fetcher.load(`/switch?${new URLSearchParams({ q })}`), DEBOUNCE_MS);
  };

  const items = () => [...(dialog.current?.querySelectorAll<HTMLAnchorElement>("[data-switcher-item]") ?? [])];
  const onInputKey = (event: KeyboardEvent<HTMLInputElement>) => {
    if (event.key === "ArrowDown") {
      event.preventDefault();
      items()[0]?.focus();
    } else if (event.key === "Enter") {
      event.preventDefault();
      const first = fetcher.data?.query === query.trim() ? fetcher.data.matches[0] : undefined;
      if (first) navigate(first.href);
      else if (query.trim()) navigate(`/switch?${new URLSearchParams({ q: query.trim() })}`);
    }
  };
  const onListKey = (event: KeyboardEvent<HTMLDivElement>) => {
    if (event.key !== "ArrowDown" && event.key !== "ArrowUp") return;
    const links = items();
    const at = links.indexOf(document.activeElement as HTMLAnchorElement);
    if (at < 0) return;
    event.preventDefault();
    if (event.key === "ArrowUp" && at === 0) input.current?.focus();
    else links[Math.min(links.length - 1, event.key === "ArrowDown" ? at + 1 : at - 1)]?.focus();
  };

  const shown = query.trim() && fetcher.data ? fetcher.data : null;
  return (
    <>
      <a
        href="/switch"
        onClick={(event) => {
          event.preventDefault();
          open();
        }}
        className={`min-h-11 items-center gap-2 whitespace-nowrap rounded-md px-3 font-medium hover:bg-stone-200 ${className}`}
      >
        Jump to…
        <kbd className="hidden rounded border border-stone-300 px-1 font-sans text-stone-700 text-xs xl:inline">
          {shortcut}
        </kbd>
      </a>
      <dialog
        ref={dialog}
        aria-labelledby="switcher-label"
        className="mx-auto mt-[10vh] w-[min(36rem,calc(100vw-2rem))] rounded-lg border border-stone-300 bg-parchment p-4 shadow-xl backdrop:bg-black/40"
      >
        {/* biome-ignore lint/a11y/noStaticElementInteractions: the arrow keys move between the links inside */}
        <div className="space-y-3" onKeyDown={onListKey}>
          <label id="switcher-label" htmlFor="switcher-q" className="block font-medium">
            Jump to a campaign, entry, character or file
          </label>
          <input
            ref={input}
            id="switcher-q"
            type="search"
            value={query}
            onChange={(event) => find(event.target.value)}
            onKeyDown={onInputKey}
            maxLength={SWITCHER_QUERY_MAX}
            autoComplete="off"
            placeholder="Type a name"
            aria-describedby="switcher-hint"
            className={`${inputClass} mt-0`}
          />
          <p id="switcher-hint" className="text-stone-700 text-xs">
            Enter opens the first match; ↓ and ↑ move through them; Esc closes.
          </p>
          <div aria-live="polite">{shown ? <SwitcherList matches={shown.matches} query={shown.query} /> : null}</div>
        </div>
      </dialog>
    </>
  );
}
