import { type MetricsRecorder, statementName } from "./recorder.server";

/**
 * Thin wrappers that time what the app asks of D1, KV and R2 (ADR 0030). Each keeps the
 * binding's behaviour exactly, and is applied once, where the composition root hands the
 * binding out.
 */

type D1Like = Pick<D1Database, "prepare" | "batch">;

/**
 * The binding with some methods replaced; every other one still called on the binding
 * itself (native methods refuse another `this`).
 */
function withOverrides<T extends object>(target: T, overrides: Partial<T>): T {
  return new Proxy(target, {
    get(binding, property) {
      if (Object.hasOwn(overrides, property)) return overrides[property as keyof T];
      const value = Reflect.get(binding, property);
      return typeof value === "function" ? value.bind(binding) : value;
    },
  });
}

/** Every statement timed by its name ("select campaigns"); a batch as "batch" with its first statement's name. */
export function instrumentD1<T extends D1Like>(d1: T, recorder: MetricsRecorder): T {
  return withOverrides(d1, {
    prepare: ((query: string) => new TimedStatement(d1.prepare(query), statementName(query), recorder)) as never,
    batch: (async (statements: D1PreparedStatement[]) => {
      const inner = statements.map((s) => (s instanceof TimedStatement ? s.inner : s));
      const first = statements[0] instanceof TimedStatement ? statements[0].name : "other";
      return recorder.time("d1", `batch: ${first}`, "", () => d1.batch(inner));
    }) as T["batch"],
  } as unknown as Partial<T>);
}

class TimedStatement {
  constructor(
    readonly inner: D1PreparedStatement,
    readonly name: string,
    private readonly recorder: MetricsRecorder,
  ) {}

  bind(...values: unknown[]): TimedStatement {
    return new TimedStatement(this.inner.bind(...values), this.name, this.recorder);
  }

  first(column?: string) {
    return this.recorder.time("d1", this.name, "", () =>
      column === undefined ? this.inner.first() : this.inner.first(column),
    );
  }

  run() {
    return this.recorder.time("d1", this.name, "", () => this.inner.run());
  }

  all() {
    return this.recorder.time("d1", this.name, "", () => this.inner.all());
  }

  raw(options?: { columnNames?: boolean }) {
    return this.recorder.time("d1", this.name, "", () => this.inner.raw(options as { columnNames?: false }));
  }
}

/** KV reads as hit or miss with their latency, writes and deletes as operations, per namespace. */
export function instrumentKv(kv: KVNamespace, namespace: string, recorder: MetricsRecorder): KVNamespace {
  const timed = (label: string, start: number, ok: boolean) =>
    recorder.observe("kv", namespace, label, performance.now() - start, ok);
  const get = (async (...args: Parameters<KVNamespace["get"]>) => {
    const start = performance.now();
    try {
      const value = await (kv.get as (...a: unknown[]) => Promise<unknown>)(...args);
      timed(value === null ? "miss" : "hit", start, true);
      return value;
    } catch (error) {
      timed("error", start, false);
      throw error;
    }
  }) as KVNamespace["get"];
  return withOverrides(kv, {
    get,
    put: ((...args: Parameters<KVNamespace["put"]>) =>
      recorder.time("kv", namespace, "put", () => kv.put(...args))) as KVNamespace["put"],
    delete: ((key: string) => recorder.time("kv", namespace, "delete", () => kv.delete(key))) as KVNamespace["delete"],
  });
}

/** R2 operations with the bytes they moved (an object's size for reads and writes). */
export function instrumentR2(bucket: R2Bucket, recorder: MetricsRecorder): R2Bucket {
  const measure = async <T>(op: string, work: () => Promise<T>, size: (result: T) => number): Promise<T> => {
    const start = performance.now();
    try {
      const result = await work();
      recorder.observe("r2", op, "", performance.now() - start, true, size(result));
      return result;
    } catch (error) {
      recorder.observe("r2", op, "", performance.now() - start, false);
      throw error;
    }
  };
  const sizeOf = (object: R2Object | null) => (object && "body" in object ? rangeSize(object) : 0);
  const none = () => 0;
  return withOverrides(bucket, {
    get: ((key: string, options?: R2GetOptions) =>
      measure("get", () => bucket.get(key, options), sizeOf)) as R2Bucket["get"],
    head: ((key: string) => measure("head", () => bucket.head(key), none)) as R2Bucket["head"],
    put: ((...args: Parameters<R2Bucket["put"]>) =>
      measure(
        "put",
        () => bucket.put(...args),
        (object) => object?.size ?? 0,
      )) as R2Bucket["put"],
    delete: ((keys: string | string[]) => measure("delete", () => bucket.delete(keys), none)) as R2Bucket["delete"],
    list: ((options?: R2ListOptions) => measure("list", () => bucket.list(options), none)) as R2Bucket["list"],
    createMultipartUpload: ((...args: Parameters<R2Bucket["createMultipartUpload"]>) =>
      measure(
        "createMultipartUpload",
        () => bucket.createMultipartUpload(...args),
        none,
      )) as R2Bucket["createMultipartUpload"],
  });
}

/** The bytes a read returns: the range asked for, else the whole object. */
function rangeSize(object: R2ObjectBody | R2Object): number {
  const range = object.range as { offset?: number; length?: number; suffix?: number } | undefined;
  if (range?.length !== undefined) return range.length;
  if (range?.suffix !== undefined) return Math.min(range.suffix, object.size);
  if (range?.offset !== undefined) return object.size - range.offset;
  return object.size;
}
