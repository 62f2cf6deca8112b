import { openApiDocument } from "./openapi.server";

/**
 * The API reference page's model: the OpenAPI document (the one /api/v1/openapi.json
 * serves) reduced to what a person reads — each operation's fields with their types and
 * bounds — so the page and the document can never say different things.
 */

type Schema = {
  type?: string | string[];
  enum?: unknown[];
  const?: unknown;
  anyOf?: Schema[];
  items?: Schema;
  $ref?: string;
  format?: string;
  maxLength?: number;
  minLength?: number;
  minimum?: number;
  maximum?: number;
  default?: unknown;
  description?: string;
  properties?: Record<string, Schema>;
  required?: string[];
};

export interface ReferenceField {
  name: string;
  type: string;
  required: boolean;
  notes: string;
}

export interface ReferenceOperation {
  id: string;
  method: string;
  path: string;
  summary: string;
  description: string;
  scope: string;
  parameters: (ReferenceField & { in: string })[];
  body: { contentType: string; fields: ReferenceField[] } | null;
  responses: { status: string; description: string }[];
}

function typeOf(schema: Schema): string {
  if (schema.$ref) return schema.$ref.split("/").at(-1) ?? "object";
  if (schema.enum) return schema.enum.map((v) => JSON.stringify(v)).join(" | ");
  if (schema.const !== undefined) return JSON.stringify(schema.const);
  if (schema.anyOf) return [...new Set(schema.anyOf.map(typeOf))].join(" | ");
  if (schema.type === "array") return `${schema.items ? typeOf(schema.items) : "any"}[]`;
  if (Array.isArray(schema.type)) return schema.type.join(" | ");
  return schema.format ? `${schema.type ?? "any"} (${schema.format})` : (schema.type ?? "any");
}

function notesOf(schema: Schema): string {
  const notes = [
    schema.minLength ? `at least ${schema.minLength} characters` : null,
    schema.maxLength ? `at most ${schema.maxLength.toLocaleString("en")} characters` : null,
    schema.minimum !== undefined ? `≥ ${schema.minimum}` : null,
    schema.maximum !== undefined && schema.maximum < Number.MAX_SAFE_INTEGER ? `≤ ${schema.maximum}` : null,
    schema.default !== undefined ? `default ${JSON.stringify(schema.default)}` : null,
    schema.description ?? null,
  ];
  return notes.filter(Boolean).join("; ");
}

function fieldsOf(schema: Schema, schemas: Record<string, Schema>): ReferenceField[] {
  const resolved = schema.$ref ? (schemas[schema.$ref.split("/").at(-1) ?? ""] ?? schema) : schema;
  return Object.entries(resolved.properties ?? {}).map(([name, property]) => ({
    name,
    type: typeOf(property),
    required: (resolved.required ?? []).includes(name),
    notes: notesOf(property),
  }));
}

export function apiReference(origin: string) {
  const document = openApiDocument(origin);
  const schemas = document.components.schemas as Record<string, Schema>;
  const byTag = new Map<string, ReferenceOperation[]>();
  for (const [path, item] of Object.entries(document.paths)) {
    for (const [method, raw] of Object.entries(item)) {
      const operation = raw as {
        operationId: string;
        tags: string[];
        summary: string;
        description?: string;
        "x-scope": string;
        parameters: { name: string; in: string; required: boolean; description?: string; schema: Schema }[];
        requestBody?: { content: Record<string, { schema: Schema }> };
        responses: Record<string, { description: string }>;
      };
      const [contentType, content] = Object.entries(operation.requestBody?.content ?? {})[0] ?? [];
      const entry: ReferenceOperation = {
        id: operation.operationId,
        method: method.toUpperCase(),
        path,
        summary: operation.summary,
        description: operation.description ?? "",
        scope: operation["x-scope"],
        parameters: operation.parameters.map((p) => ({
          name: p.name,
          in: p.in,
          type: typeOf(p.schema),
          required: p.required,
          notes: [notesOf(p.schema), p.description].filter(Boolean).join("; "),
        })),
        body:
          contentType && content
            ? { contentType, fields: contentType === "application/json" ? fieldsOf(content.schema, schemas) : [] }
            : null,
        responses: Object.entries(operation.responses).map(([status, r]) => ({ status, description: r.description })),
      };
      const tag = operation.tags[0] ?? "Other";
      byTag.set(tag, [...(byTag.get(tag) ?? []), entry]);
    }
  }
  return {
    description: document.info.description,
    server: document.servers[0]?.url ?? `${origin}/api/v1`,
    groups: [...byTag.entries()].map(([tag, operations]) => ({ tag, operations })),
  };
}
