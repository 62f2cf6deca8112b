import { Link } from "react-router";

interface BacklinkView {
  kind: "entry" | "character" | "session";
  id: number;
  title: string;
  href: string;
}

/** "Linked from": the entries, characters and sessions whose text links here with `[[…]]`, as far as the reader may see. */
export function Backlinks({ links }: { links: BacklinkView[] }) {
  if (links.length === 0) return null;
  return (
    <section aria-labelledby="backlinks-heading" className="mt-6 border-stone-200 border-t pt-4">
      <h2 id="backlinks-heading" className="font-semibold text-sm text-stone-800">
        Linked from
      </h2>
      <ul className="mt-2 flex flex-wrap gap-2">
        {links.map((link) => (
          <li key={`${link.kind}-${link.id}`}>
            <Link
              to={link.href}
              className="inline-flex min-h-11 items-center rounded-md border border-stone-300 bg-white px-3 text-sm hover:bg-stone-100"
            >
              {link.title}
              <span className="sr-only">{` (${link.kind})`}</span>
            </Link>
          </li>
        ))}
      </ul>
    </section>
  );
}

/** The other names a `[[link]]` may use for this entry or character. */
export function AlsoKnownAs({ names }: { names: string[] }) {
  if (names.length === 0) return null;
  return <p className="text-sm text-stone-700">Also known as {names.join(", ")}</p>;
}
