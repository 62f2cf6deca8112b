import { z } from "zod";
import { fileDetailsSchema } from "~/lib/campaign-schemas";
import { VersionConflictError } from "../../campaigns/errors.server";
import { streamFile } from "../../files/download.server";
import {
  deleteFile,
  getFile,
  getFileVersions,
  listFilesPage,
  listJobs,
  updateFileDetails,
  uploadFile,
} from "../../files/files.server";
import { UploadRefused } from "../../files/library.server";
import {
  abortMultipartUpload,
  completeMultipartUpload,
  getUploadState,
  startMultipartUpload,
  uploadPart,
} from "../../files/multipart.server";
import { contentLength } from "../../http/api.server";
import { withDailyQuota } from "../../http/daily-quotas.server";
import { notFound } from "../../http/responses.server";
import { apiError, apiErrorSchema } from "./errors.server";
import { fileKeyParam, operation } from "./operation.server";
import { decodeCursor, page, pageQuerySchema, pageSchema } from "./pagination.server";
import { fileJson, jobJson, toFileJson, uploadResultJson, uploadStateJson } from "./resources.server";

/**
 * The file library: list, details, upload (one request, or the resumable multipart
 * protocol the app's own uploader uses), download, delete, and processing jobs. Library-wide:
 * a token limited to one campaign may not use them.
 */

const fileParams = z.object({ fileKey: fileKeyParam });
const uploadParams = z.object({ uploadId: z.string().regex(/^[A-Za-z0-9_-]{8,64}$/, "That is not an upload id.") });
const notYours = { 404: { description: "No such file of yours.", schema: apiErrorSchema } };

function uploaded(result: Awaited<ReturnType<typeof uploadFile>>): Response {
  return Response.json(
    {
      fileKey: result.file.fileKey,
      fileName: result.file.fileName,
      version: result.version,
      created: result.created,
      size: result.file.fileSize,
    } satisfies z.infer<typeof uploadResultJson>,
    { status: result.created ? 201 : 200 },
  );
}

export const fileOperations = [
  operation({
    id: "listFiles",
    method: "GET",
    path: "/files",
    tag: "Files",
    summary: "List your library's files",
    scope: "read",
    library: true,
    query: pageQuerySchema,
    responses: { 200: { description: "A page of files.", schema: pageSchema(fileJson) } },
    async handle({ caller, services, query }) {
      const after = decodeCursor(query.cursor);
      const rows = await listFilesPage(services.db, caller.user.username, {
        after: after ? [after[0], String(after[1])] : null,
        limit: query.limit,
      });
      const result = page(rows, query.limit, (row) => [row.createdAt, row.fileKey]);
      return { ...result, data: result.data.map(toFileJson) };
    },
  }),
  operation({
    id: "uploadFile",
    method: "PUT",
    path: "/files",
    tag: "Files",
    summary: "Upload a file in one request",
    description:
      "The raw bytes as the body, with Content-Length. A file with the same name becomes its next version. For files over 100 MB, or to resume, use the multipart upload.",
    scope: "files",
    limit: "upload",
    library: true,
    query: z.object({ name: z.string().trim().min(1, "Name the file: ?name=").max(255).describe("The file's name.") }),
    body: { raw: "application/octet-stream", description: "The file's bytes." },
    responses: {
      201: { description: "Stored as a new file.", schema: uploadResultJson },
      200: { description: "Stored as a new version of the file with this name.", schema: uploadResultJson },
      413: { description: "Too large, or over your storage.", schema: apiErrorSchema },
    },
    async handle({ request, caller, services, query }) {
      const size = contentLength(request);
      if (!request.body || !Number.isSafeInteger(size))
        throw new UploadRefused("Send the bytes with a Content-Length.", 411);
      const body = request.body;
      const result = await withDailyQuota(services, caller.user.id, "uploadBytes", size, () =>
        uploadFile(services.fileStores, caller.user, { fileName: query.name, size, body }),
      );
      return uploaded(result);
    },
  }),
  operation({
    id: "getFile",
    method: "GET",
    path: "/files/{fileKey}",
    tag: "Files",
    summary: "Get a file's details and status",
    scope: "read",
    library: true,
    params: fileParams,
    responses: { 200: { description: "The file.", schema: fileJson }, ...notYours },
    async handle({ caller, services, params }) {
      const file = await getFile(services.db, caller.user.username, params.fileKey);
      if (!file) notFound("file");
      return toFileJson(file);
    },
  }),
  operation({
    id: "updateFile",
    method: "PUT",
    path: "/files/{fileKey}",
    tag: "Files",
    summary: "Change a file's description and tags",
    scope: "files",
    limit: "write",
    library: true,
    params: fileParams,
    body: fileDetailsSchema,
    responses: {
      200: { description: "The file.", schema: fileJson },
      409: { description: "It changed since `version`.", schema: apiErrorSchema },
      ...notYours,
    },
    async handle({ caller, services, params, body }) {
      try {
        const saved = await updateFileDetails(services.db, caller.user.username, params.fileKey, body.version, {
          description: body.description ?? "",
          tags: body.tags,
        });
        if (!saved) notFound("file");
        return toFileJson(saved);
      } catch (error) {
        if (!(error instanceof VersionConflictError)) throw error;
        return apiError(
          409,
          "version_conflict",
          "The file's details changed since that version. Fetch it again and retry.",
        );
      }
    },
  }),
  operation({
    id: "downloadFile",
    method: "GET",
    path: "/files/{fileKey}/content",
    tag: "Files",
    summary: "Download a file's bytes",
    description: "Supports Range and If-None-Match. `?version=N` for an older version.",
    scope: "files",
    library: true,
    params: fileParams,
    query: z.object({ version: z.coerce.number().int().min(1).optional() }),
    responses: {
      200: { description: "The bytes.", contentType: "application/octet-stream" },
      206: { description: "The requested range.", contentType: "application/octet-stream" },
      ...notYours,
    },
    async handle({ request, caller, services, params, query }) {
      const file = await getFile(services.db, caller.user.username, params.fileKey);
      if (!file) notFound("file");
      const wanted = query.version ?? file.currentVersion;
      const version = (await getFileVersions(services.db, file)).find((v) => v.versionNumber === wanted);
      if (!version) notFound("version of this file");
      return streamFile(services.bucket, request, file, version, { download: true });
    },
  }),
  operation({
    id: "deleteFile",
    method: "DELETE",
    path: "/files/{fileKey}",
    tag: "Files",
    summary: "Delete a file, every version of it, and its passages",
    scope: "files",
    limit: "write",
    library: true,
    params: fileParams,
    responses: { 204: { description: "Deleted." }, ...notYours },
    async handle({ caller, services, params }) {
      if (!(await deleteFile(services.fileStores, caller.user, params.fileKey))) notFound("file");
      return new Response(null, { status: 204 });
    },
  }),

  operation({
    id: "startUpload",
    method: "POST",
    path: "/uploads",
    tag: "Uploads",
    summary: "Start a resumable (multipart) upload",
    description:
      "Answers the part size and count: PUT each part to /uploads/{uploadId}/parts/{n} (1-based), then POST /uploads/{uploadId}/complete. GET /uploads/{uploadId} says which parts are stored, to resume.",
    scope: "files",
    limit: "upload",
    library: true,
    body: z.object({
      fileName: z.string().min(1).max(255),
      size: z.number().int().positive().describe("The whole file's bytes."),
    }),
    responses: { 201: { description: "The upload, with its part size.", schema: uploadStateJson } },
    async handle({ caller, services, body }) {
      const upload = await withDailyQuota(services, caller.user.id, "uploadBytes", body.size, () =>
        startMultipartUpload(services.fileStores, caller.user, body),
      );
      return Response.json(upload, { status: 201 });
    },
  }),
  operation({
    id: "getUpload",
    method: "GET",
    path: "/uploads/{uploadId}",
    tag: "Uploads",
    summary: "Which parts of an upload are stored",
    scope: "files",
    library: true,
    params: uploadParams,
    responses: { 200: { description: "The upload.", schema: uploadStateJson }, ...notYours },
    async handle({ caller, services, params }) {
      return getUploadState(services.fileStores, caller.user, params.uploadId);
    },
  }),
  operation({
    id: "uploadPart",
    method: "PUT",
    path: "/uploads/{uploadId}/parts/{partNumber}",
    tag: "Uploads",
    summary: "Store one part",
    scope: "files",
    limit: "upload",
    library: true,
    params: uploadParams.extend({ partNumber: z.coerce.number().int().min(1).max(10_000) }),
    body: { raw: "application/octet-stream", description: "The part's bytes, with Content-Length." },
    responses: { 200: { description: "The upload, this part included.", schema: uploadStateJson }, ...notYours },
    async handle({ request, caller, services, params }) {
      if (!request.body) throw new UploadRefused("Send the part's bytes with PUT.", 411);
      return uploadPart(services.fileStores, caller.user, params.uploadId, params.partNumber, {
        size: contentLength(request),
        body: request.body,
      });
    },
  }),
  operation({
    id: "completeUpload",
    method: "POST",
    path: "/uploads/{uploadId}/complete",
    tag: "Uploads",
    summary: "Finish an upload: the parts become the file",
    scope: "files",
    limit: "upload",
    library: true,
    params: uploadParams,
    responses: {
      201: { description: "Stored as a new file.", schema: uploadResultJson },
      200: { description: "Stored as a new version.", schema: uploadResultJson },
      ...notYours,
    },
    async handle({ caller, services, params }) {
      return uploaded(await completeMultipartUpload(services.fileStores, caller.user, params.uploadId));
    },
  }),
  operation({
    id: "cancelUpload",
    method: "DELETE",
    path: "/uploads/{uploadId}",
    tag: "Uploads",
    summary: "Cancel an upload (its stored parts are removed)",
    scope: "files",
    library: true,
    params: uploadParams,
    responses: { 204: { description: "Cancelled." }, ...notYours },
    async handle({ caller, services, params }) {
      await abortMultipartUpload(services.fileStores, caller.user, params.uploadId);
      return new Response(null, { status: 204 });
    },
  }),

  operation({
    id: "listJobs",
    method: "GET",
    path: "/jobs",
    tag: "Jobs",
    summary: "Processing jobs: each file's extraction and indexing progress",
    scope: "read",
    library: true,
    responses: { 200: { description: "Every job.", schema: z.object({ data: z.array(jobJson) }) } },
    async handle({ caller, services }) {
      const jobs = await listJobs(services.fileStores, caller.user);
      return { data: jobs.map(({ timings: _timings, ...job }) => job) };
    },
  }),
];
