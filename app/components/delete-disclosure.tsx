import { Form } from "react-router";
import { Button } from "./ui/button";

/**
 * Two-step delete that works without JavaScript: the first click only opens the
 * disclosure, the second (inside it) posts the delete.
 */
export function DeleteDisclosure({
  what,
  detail,
  pending,
  intent = "delete",
  fields = {},
}: {
  what: string;
  detail: string;
  pending?: boolean;
  /** The action's intent, where a page deletes more than one kind of thing. */
  intent?: string;
  /** Hidden fields that say which one (an id), where a page lists several. */
  fields?: Record<string, string>;
}) {
  return (
    <details className="rounded-lg border border-red-300 bg-white p-4">
      <summary className="flex min-h-11 cursor-pointer items-center font-medium text-red-800">Delete {what}…</summary>
      <div className="mt-3 space-y-3">
        <p className="text-stone-700">{detail}</p>
        <Form method="post">
          <input type="hidden" name="intent" value={intent} />
          {Object.entries(fields).map(([name, value]) => (
            <input key={name} type="hidden" name={name} value={value} />
          ))}
          <Button type="submit" variant="danger" pending={pending}>
            {pending ? "Deleting…" : `Yes, delete ${what}`}
          </Button>
        </Form>
      </div>
    </details>
  );
}
