import { type CampaignStatus, campaignStatusLabels } from "~/lib/domain";

const statusBadge: Record<CampaignStatus, string> = {
  planning: "bg-sky-100 text-sky-900",
  active: "bg-green-100 text-green-900",
  paused: "bg-amber-100 text-amber-900",
  completed: "bg-stone-200 text-stone-800",
  archived: "bg-stone-100 text-stone-700",
};

export function StatusBadge({ status }: { status: CampaignStatus }) {
  return (
    <span className={`whitespace-nowrap rounded-full px-2 py-0.5 font-medium text-xs ${statusBadge[status]}`}>
      {campaignStatusLabels[status]}
    </span>
  );
}
