import { FileReader } from "~/components/file-reader";
import { getFileFromContext, requireFileMiddleware } from "~/server/files/guards.server";
import { readableFile } from "~/server/files/reader.server";
import { getServices, requireUser } from "~/server/request.server";
import type { Route } from "./+types/read";

export const meta: Route.MetaFunction = ({ loaderData }) => [
  { title: `Reading ${loaderData?.file.fileName ?? "a file"} — LoreSmith AI` },
];

/** A library file's searchable text (reader.server.ts), for its owner. */
export const middleware: Route.MiddlewareFunction[] = [requireFileMiddleware];

export async function loader({ context, request }: Route.LoaderArgs) {
  const user = requireUser(context, request);
  return readableFile(getServices(context).tracker(user.id), getFileFromContext(context));
}

export default function ReadFile({ loaderData }: Route.ComponentProps) {
  return (
    <FileReader
      text={loaderData}
      back={{ to: `/library/${loaderData.file.fileKey}`, label: loaderData.file.fileName }}
    />
  );
}
