import { notFound } from "~/server/http/responses.server";

/** Any unknown path: a friendly 404 from the root error boundary. */
export function loader() {
  notFound();
}

export function action() {
  notFound();
}

export default function NotFound() {
  return null;
}
