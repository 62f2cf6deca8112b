import { z } from "zod";
import { apiScopeLabels, apiScopes } from "~/lib/api";
import { apiErrorSchema } from "./errors.server";
import type { ApiOperation } from "./operation.server";
import { apiOperations } from "./operations.server";
import {
  campaignJson,
  characterJson,
  conversationJson,
  entryJson,
  fileJson,
  jobJson,
  messageJson,
  searchResultJson,
  uploadResultJson,
  uploadStateJson,
} from "./resources.server";

const namedSchemas = [
  campaignJson,
  entryJson,
  characterJson,
  fileJson,
  uploadResultJson,
  uploadStateJson,
  jobJson,
  searchResultJson,
  conversationJson,
  messageJson,
];

/**
 * The OpenAPI 3.1 document of /api/v1, generated from the operations' own zod schemas
 * (z.toJSONSchema; OpenAPI 3.1 schemas are JSON Schema 2020-12): nothing in it is
 * written by hand but the prose. Built once per isolate.
 */

type JsonSchema = Record<string, unknown>;

const COMMON_ERRORS: Record<number, string> = {
  400: "The request is not valid: `error.issues` names each field.",
  401: "No token, or one that is expired, revoked or not valid.",
  403: "The token lacks the scope this needs, or is limited to another campaign.",
  429: "Rate limit or daily quota reached: wait for Retry-After seconds.",
};

/** A schema as an OpenAPI schema: without the JSON Schema dialect line or zod's meta id. */
function clean(schema: JsonSchema): JsonSchema {
  const { $schema: _dialect, $id: _id, id: _metaId, ...rest } = schema;
  return rest;
}

function standalone(schema: z.ZodType, io: "input" | "output"): JsonSchema {
  return clean(z.toJSONSchema(schema, { io, unrepresentable: "any" }) as JsonSchema);
}

function parametersOf(schema: z.ZodType | undefined, where: "path" | "query") {
  if (!schema) return [];
  const json = standalone(schema, "input") as { properties?: Record<string, JsonSchema>; required?: string[] };
  return Object.entries(json.properties ?? {}).map(([name, property]) => {
    const { description, ...rest } = property;
    return {
      name,
      in: where,
      required: where === "path" || (json.required ?? []).includes(name),
      ...(description ? { description } : {}),
      schema: rest,
    };
  });
}

export function buildOpenApiDocument(operations: ApiOperation[], origin: string) {
  // Every body and response schema goes through one registry, so the named ones (Campaign, Error, …)
  // are components and the others refer to them.
  const registry = z.registry<{ id: string }>();
  const idOf = new Map<z.ZodType, string>();
  const register = (schema: z.ZodType, fallbackId: string) => {
    const existing = idOf.get(schema);
    if (existing) return existing;
    const id = (z.globalRegistry.get(schema)?.id as string | undefined) ?? fallbackId;
    registry.add(schema, { id });
    idOf.set(schema, id);
    return id;
  };
  // The named shapes first, so that one nested in another schema is referred to, not copied.
  for (const schema of [apiErrorSchema, ...namedSchemas]) register(schema, "unnamed");
  const paths: Record<string, Record<string, unknown>> = {};
  const inputs = new Set<string>();
  for (const operation of operations) {
    const responses: Record<string, unknown> = {};
    for (const [status, spec] of Object.entries(operation.responses)) {
      responses[status] = {
        description: spec.description,
        ...(spec.schema
          ? {
              content: {
                "application/json": {
                  schema: { $ref: `#/components/schemas/${register(spec.schema, `${operation.id}Response${status}`)}` },
                },
              },
            }
          : spec.contentType
            ? { content: { [spec.contentType]: { schema: { type: "string", format: "binary" } } } }
            : {}),
      };
    }
    for (const [status, description] of Object.entries(COMMON_ERRORS)) {
      responses[status] ??= {
        description,
        content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } },
      };
    }
    let requestBody: unknown;
    if (operation.body && "raw" in operation.body) {
      requestBody = {
        required: true,
        description: operation.body.description,
        content: { [operation.body.raw]: { schema: { type: "string", format: "binary" } } },
      };
    } else if (operation.body) {
      const id = register(operation.body, `${operation.id}Body`);
      inputs.add(id);
      requestBody = {
        required: true,
        content: { "application/json": { schema: { $ref: `#/components/schemas/${id}` } } },
      };
    }
    const pathItem = paths[operation.path] ?? {};
    paths[operation.path] = pathItem;
    pathItem[operation.method.toLowerCase()] = {
      operationId: operation.id,
      tags: [operation.tag],
      summary: operation.summary,
      ...(operation.description ? { description: operation.description } : {}),
      // OpenAPI 3.1 lets a bearer scheme list the roles (here: scopes) an operation needs.
      security: [{ bearerToken: [operation.scope] }],
      "x-scope": operation.scope,
      ...(operation.library ? { "x-library-wide": true } : {}),
      parameters: [...parametersOf(operation.params, "path"), ...parametersOf(operation.query, "query")],
      ...(requestBody ? { requestBody } : {}),
      responses,
    };
  }
  // Request bodies are described as they are sent (input), responses as they come back.
  const outputs = z.toJSONSchema(registry, {
    io: "output",
    unrepresentable: "any",
    uri: (id) => `#/components/schemas/${id}`,
  });
  const asSent = z.toJSONSchema(registry, {
    io: "input",
    unrepresentable: "any",
    uri: (id) => `#/components/schemas/${id}`,
  });
  const schemas: Record<string, JsonSchema> = {};
  for (const [id, schema] of Object.entries(outputs.schemas)) {
    schemas[id] = clean((inputs.has(id) ? asSent.schemas[id] : schema) as JsonSchema);
  }
  return {
    openapi: "3.1.0",
    info: {
      title: "LoreSmith AI API",
      version: "1.0.0",
      description: [
        "Your campaigns, lore and context entries, characters, library files, search and the assistant, for the tools you use at the table.",
        "Authenticate with an access token from Settings → API and webhooks: `Authorization: Bearer <token>`. Each operation needs one scope:",
        ...apiScopes.map((scope) => `- **${scope}**: ${apiScopeLabels[scope]}.`),
        "Lists are paginated by cursor (`limit`, `cursor` → `nextCursor`). Every error is `{ error: { code, message } }`. Anything that is not yours to see answers 404.",
        "Limits: 120 requests a minute per token and 300 over all of an account's tokens, the account's own limits per kind of request, and daily quotas (API calls, questions, upload bytes); the RateLimit and RateLimit-Policy headers say where you stand, and a 429 carries Retry-After.",
      ].join("\n\n"),
    },
    servers: [{ url: `${origin}/api/v1` }],
    tags: [...new Set(operations.map((operation) => operation.tag))].map((name) => ({ name })),
    paths,
    components: {
      securitySchemes: {
        bearerToken: {
          type: "http",
          scheme: "bearer",
          bearerFormat: "JWT",
          description: "An access token from Settings.",
        },
      },
      schemas,
    },
  };
}

/** Built once per origin the isolate serves (a handful: its hostnames), never per request. */
const built = new Map<string, ReturnType<typeof buildOpenApiDocument>>();
const MAX_ORIGINS = 4;

export function openApiDocument(origin: string) {
  let document = built.get(origin);
  if (!document) {
    document = buildOpenApiDocument(apiOperations, origin);
    if (built.size >= MAX_ORIGINS) built.clear();
    built.set(origin, document);
  }
  return document;
}
