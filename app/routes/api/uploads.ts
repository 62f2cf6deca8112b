import { data } from "react-router";
import { z } from "zod";
import { UploadRefused } from "~/server/files/library.server";
import { startMultipartUpload } from "~/server/files/multipart.server";
import { jsonApi } from "~/server/http/api.server";
import { withDailyQuota } from "~/server/http/daily-quotas.server";
import { limitRequest } from "~/server/request.server";
import type { Route } from "./+types/uploads";

const startSchema = z.object({ fileName: z.string().min(1).max(255), size: z.number().int().positive() });

/** POST /api/uploads {fileName, size} — starts a resumable upload of a large file. */
export async function action({ request, context }: Route.ActionArgs) {
  return jsonApi(context, async ({ user, services }) => {
    await limitRequest(context, request, "upload");
    const parsed = startSchema.safeParse(await request.json().catch(() => null));
    if (!parsed.success) throw new UploadRefused("Send the file's name and size as JSON.", 400);
    const upload = await withDailyQuota(services, user.id, "uploadBytes", parsed.data.size, () =>
      startMultipartUpload(services.fileStores, user, parsed.data),
    );
    return data(upload, { status: 201 });
  });
}
