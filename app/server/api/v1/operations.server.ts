import { assistantOperations } from "./assistant-operations.server";
import { campaignOperations } from "./campaign-operations.server";
import { fileOperations } from "./file-operations.server";
import type { ApiOperation } from "./operation.server";

/** Every /api/v1 operation: what the router serves and the OpenAPI document describes. */
export const apiOperations: ApiOperation[] = [...campaignOperations, ...fileOperations, ...assistantOperations];
