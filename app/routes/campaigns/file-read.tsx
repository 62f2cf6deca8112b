import { FileReader } from "~/components/file-reader";
import { requireCampaignFile } from "~/server/campaigns/guards.server";
import { readableFile } from "~/server/files/reader.server";
import { getServices } from "~/server/request.server";
import type { Route } from "./+types/file-read";

export const meta: Route.MetaFunction = ({ loaderData }) => [
  { title: `Reading ${loaderData?.text.file.fileName ?? "a file"} — LoreSmith AI` },
];

/**
 * A campaign file's searchable text, for everyone in the campaign the policy lets read
 * its files: where campaign search results and the assistant's citations open. The text
 * is in the owner's tracker, as the file is in the owner's library.
 */
export async function loader({ context, params }: Route.LoaderArgs) {
  const { access, file } = await requireCampaignFile(context, params.fileKey);
  return {
    campaignId: access.campaign.id,
    text: await readableFile(getServices(context).tracker(access.owner.id), file),
  };
}

export default function CampaignFileReader({ loaderData }: Route.ComponentProps) {
  const { campaignId, text } = loaderData;
  return <FileReader text={text} back={{ to: `/campaigns/${campaignId}/files`, label: "Campaign files" }} />;
}
