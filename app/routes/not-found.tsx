import { data } from "react-router";

/** Any unknown path: a friendly 404 from the root error boundary. */
export function loader() {
  throw data("Not found", { status: 404 });
}

export function action() {
  throw data("Not found", { status: 404 });
}

export default function NotFound() {
  return null;
}
