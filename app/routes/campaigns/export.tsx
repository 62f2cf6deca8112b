import { ArchiveDownload } from "~/components/archive-download";
import { formatBytes } from "~/lib/format";
import { exportSummary } from "~/server/archives/export.server";
import { mayAlso, requireCampaign } from "~/server/campaigns/guards.server";
import { getServices } from "~/server/request.server";
import type { Route } from "./+types/export";

export const meta: Route.MetaFunction = () => [{ title: "Export — LoreSmith AI" }];

/** What an export of the campaign holds for the caller (ADR 0039); the archive itself is export/archive. */
export async function loader({ context }: Route.LoaderArgs) {
  const access = requireCampaign(context, "view");
  const summary = await exportSummary(getServices(context).db, access);
  return { campaignId: access.campaign.id, name: access.campaign.name, summary, files: mayAlso(context, "readFiles") };
}

export default function ExportCampaign({ loaderData }: Route.ComponentProps) {
  const { campaignId, name, summary, files } = loaderData;
  const plural = (n: number, one: string, many: string) => `${n.toLocaleString("en")} ${n === 1 ? one : many}`;
  return (
    <div className="max-w-2xl space-y-4">
      <header className="space-y-1">
        <h1 className="font-serif text-3xl font-semibold">Export “{name}”</h1>
        <p className="text-stone-700">
          One .zip file: the campaign, every entry, character and session as a Markdown note in folders by kind (with
          their <code>[[links]]</code> as written), and one data file with everything else, relations included. It opens
          as an Obsidian vault, and Campaigns → Import brings it back into LoreSmith as a new campaign.
        </p>
      </header>
      {summary.complete ? null : (
        <p className="rounded-lg border border-violet-700 bg-violet-50 p-3">
          Your archive holds what is shared with you in this campaign, as you see it here: nothing kept for the GMs.
        </p>
      )}
      <ul className="rounded-lg border border-stone-300 bg-white p-4" aria-label="What the archive holds">
        <li>{plural(summary.entries, "entry", "entries")} of lore and context</li>
        <li>{plural(summary.characters, "character", "characters")}</li>
        <li>
          {plural(summary.files, "attached file", "attached files")}
          {summary.files ? ` (${formatBytes(summary.fileBytes)})` : ""}
        </li>
      </ul>
      <ArchiveDownload
        action={`/campaigns/${campaignId}/export/archive`}
        label="Download the archive"
        estimate={(form) =>
          summary.textBytes * 2 + 64 * 1024 + (new FormData(form).get("files") === "1" ? summary.fileBytes : 0)
        }
      >
        {files && summary.files > 0 ? (
          <label className="flex min-h-11 items-center gap-3">
            <input type="checkbox" name="files" value="1" className="size-5" />
            <span>Include copies of the attached files ({formatBytes(summary.fileBytes)})</span>
          </label>
        ) : null}
      </ArchiveDownload>
    </div>
  );
}
