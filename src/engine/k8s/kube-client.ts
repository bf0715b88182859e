import {
  ApiException,
  CoreV1Api,
  createConfiguration,
  CustomObjectsApi,
  type KubeConfig,
  type KubernetesObject,
  KubernetesObjectApi,
  PatchStrategy,
  type RequestContext,
  ServerConfiguration,
} from "@kubernetes/client-node";

/** A refusal or failure of the Kubernetes API, with its HTTP status (0 when no answer came). */
export class KubeApiError extends Error {
  override name = "KubeApiError";
  constructor(
    message: string,
    readonly status: number,
    readonly reason: string,
  ) {
    super(message);
  }
}

/** What happened to a create or delete that is idempotent. */
export type CreateOutcome = "created" | "exists";
export type DeleteOutcome = "deleted" | "absent";

/** The few Kubernetes API calls the server makes; every call is bounded by the request timeout. */
export interface KubeClient {
  /** The cluster's server URL, for logs. */
  readonly server: string;
  /** Creates the namespace; one that exists already is left as it is. */
  createNamespace(name: string, labels?: Record<string, string>): Promise<CreateOutcome>;
  /** Creates a namespaced custom object; an object of that name that exists already counts as created. */
  createCustomObject(ref: CustomObjectRef, body: KubernetesObject): Promise<CreateOutcome>;
  /** Deletes a namespaced custom object, letting the garbage collector remove its dependents; a missing one is not an error. */
  deleteCustomObject(ref: CustomObjectRef, name: string): Promise<DeleteOutcome>;
  /** Creates any resource named by its apiVersion and kind; an existing one is left as it is. */
  createObject(body: KubernetesObject): Promise<CreateOutcome>;
  /** Merges `body` into the existing resource (JSON merge patch). */
  patchObject(body: KubernetesObject): Promise<void>;
}

export interface CustomObjectRef {
  group: string;
  version: string;
  namespace: string;
  plural: string;
}

export interface KubeClientOptions {
  kubeConfig: KubeConfig;
  /** Longest one call may take, in milliseconds. */
  timeoutMs: number;
}

export function createKubeClient({ kubeConfig, timeoutMs }: KubeClientOptions): KubeClient {
  const cluster = kubeConfig.getCurrentCluster();
  if (!cluster) throw new Error("the kubeconfig names no cluster");
  // Every request gets its own deadline: a hung API server must not hold an execution's launch forever.
  const timeout = {
    pre: async (ctx: RequestContext) => {
      ctx.setSignal(AbortSignal.timeout(timeoutMs));
      return ctx;
    },
    post: async <T>(ctx: T) => ctx,
  };
  const configuration = createConfiguration({
    baseServer: new ServerConfiguration(cluster.server, {}),
    authMethods: { default: kubeConfig },
    promiseMiddleware: [timeout],
  });
  const core = new CoreV1Api(configuration);
  const custom = new CustomObjectsApi(configuration);
  const objects = new KubernetesObjectApi(configuration);

  const call = async <T>(what: string, run: () => Promise<T>): Promise<T> => {
    try {
      return await run();
    } catch (e) {
      throw toKubeApiError(what, e, timeoutMs);
    }
  };
  const tolerate = async <T extends string>(what: string, status: number, run: () => Promise<unknown>, done: T, tolerated: T): Promise<T> => {
    try {
      await call(what, run);
      return done;
    } catch (e) {
      if (e instanceof KubeApiError && e.status === status) return tolerated;
      throw e;
    }
  };

  return {
    server: cluster.server,
    createNamespace: (name, labels) =>
      tolerate(`create namespace ${name}`, 409, () => core.createNamespace({ body: { apiVersion: "v1", kind: "Namespace", metadata: { name, ...(labels ? { labels } : {}) } } }), "created", "exists"),
    createCustomObject: (ref, body) =>
      tolerate(
        `create ${ref.plural}.${ref.group} ${ref.namespace}/${body.metadata?.name ?? ""}`,
        409,
        () => custom.createNamespacedCustomObject({ ...ref, body }),
        "created",
        "exists",
      ),
    deleteCustomObject: (ref, name) =>
      tolerate(
        `delete ${ref.plural}.${ref.group} ${ref.namespace}/${name}`,
        404,
        () => custom.deleteNamespacedCustomObject({ ...ref, name, propagationPolicy: "Background" }),
        "deleted",
        "absent",
      ),
    createObject: (body) => tolerate(`create ${describe(body)}`, 409, () => objects.create(body), "created", "exists"),
    patchObject: (body) =>
      call(`patch ${describe(body)}`, async () => {
        await objects.patch(body, undefined, undefined, undefined, undefined, PatchStrategy.MergePatch);
      }),
  };
}

const describe = (o: KubernetesObject) => `${o.kind ?? "object"} ${o.metadata?.namespace ? `${o.metadata.namespace}/` : ""}${o.metadata?.name ?? ""}`;

/**
 * One clear line for a failed call: the API's status code, reason and message
 * (an RBAC refusal names the verb and resource it refused), or why no answer
 * came (timeout, connection refused).
 */
export function toKubeApiError(what: string, e: unknown, timeoutMs: number): KubeApiError {
  if (e instanceof KubeApiError) return e;
  if (e instanceof ApiException) {
    const status = statusBody(e.body);
    const reason = status?.reason ?? "";
    const message = status?.message ?? (typeof e.body === "string" && e.body.trim() !== "" ? e.body.trim().slice(0, 500) : "");
    return new KubeApiError(`kubernetes API refused to ${what}: ${e.code}${reason ? ` ${reason}` : ""}${message ? `: ${message}` : ""}`, e.code, reason);
  }
  const err = e as { name?: string; message?: string; type?: string; code?: string };
  if (err?.name === "AbortError" || err?.type === "aborted") {
    return new KubeApiError(`kubernetes API did not answer to ${what} within ${timeoutMs} ms`, 0, "Timeout");
  }
  const message = String(err?.message ?? e).split("\n")[0];
  // node-fetch's FetchError: no answer at all (refused, reset, DNS); anything else failed before a request was made (an unknown kind).
  if (err?.name === "FetchError") return new KubeApiError(`kubernetes API unreachable to ${what}: ${message}`, 0, err.code ?? "Unreachable");
  return new KubeApiError(`cannot ${what}: ${message}`, 0, "ClientError");
}

/** The Kubernetes Status object of an error answer, whether the client parsed it or not. */
function statusBody(body: unknown): { reason?: string; message?: string } | undefined {
  let value = body;
  if (typeof value === "string") {
    try {
      value = JSON.parse(value) as unknown;
    } catch {
      return undefined;
    }
  }
  if (!value || typeof value !== "object") return undefined;
  const o = value as Record<string, unknown>;
  return {
    ...(typeof o.reason === "string" ? { reason: o.reason } : {}),
    ...(typeof o.message === "string" ? { message: o.message } : {}),
  };
}
