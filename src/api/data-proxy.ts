import { create } from "@bufbuild/protobuf";
import { randomInt } from "node:crypto";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import type { HandlerContext, ServiceImpl } from "@connectrpc/connect";
import { NodeExecutionGetDataRequestSchema, NodeExecutionGetDataResponseSchema } from "../../gen/flyteidl/admin/node_execution_pb.js";
import {
  TaskExecutionGetDataRequestSchema,
  TaskExecutionGetDataResponseSchema,
  TaskExecutionListRequestSchema,
} from "../../gen/flyteidl/admin/task_execution_pb.js";
import { type LiteralMap, LiteralMapSchema } from "../../gen/flyteidl/core/literals_pb.js";
import {
  ArtifactType,
  ArtifactTypeSchema,
  type CreateDownloadLinkRequest,
  CreateDownloadLinkRequestSchema,
  type DataProxyService,
  GetDataResponseSchema,
  PreSignedURLsSchema,
} from "../../gen/flyteidl/service/dataproxy_pb.js";
import { type BlobStore, checkKey } from "../blob/blob-store.js";
import type { UrlSigner } from "../blob/url-signer.js";
import { AdminError, alreadyExists, invalidArgument, notFound } from "../core/errors.js";
import { parseFlyteUrl } from "../core/flyte-url.js";
import { validateProjectAndDomain } from "../core/project-gate.js";
import { isValidHost, validProto } from "../server/request-origin.js";
import { checkIdentifierText, checkNodeId } from "../core/text-limits.js";
import { checkUploadRequest, downloadExpiry, uploadExpiry, uploadKey } from "../core/upload-location.js";
import type { ApiDeps } from "./deps.js";
import { nodeExecutionHandlers, nodeText } from "./node-executions.js";
import { taskExecutionHandlers } from "./task-executions.js";

export interface DataProxyDeps extends ApiDeps {
  /** Signs blob URLs: S3 presigning, or this server's own signed endpoint for the local store. */
  urls: UrlSigner;
  /** scheme://host[:port] for self-served URLs; empty to use the address each caller reached us at. */
  publicUrl: string;
}

// FlyteAdmin's server.dataProxy upload and download maxExpiresIn, also the default expiry.
const MAX_EXPIRY_NANOS = 3600n * 1_000_000_000n;
// server.dataProxy.upload.storagePrefix. FlyteAdmin's default is "", which puts uploads beside the
// server's own data: project "metadata" with filename_root "<domain>/<name>" named an execution's
// inputs. Under their own prefix, no upload can ever meet `metadata/...` (clients use the native_url
// they are given, so the prefix is invisible to them).
const UPLOAD_PREFIX = "uploads";

/** flyteidl.service.DataProxyService over the server's blob store. */
export function dataProxyService(deps: DataProxyDeps): ServiceImpl<typeof DataProxyService> {
  const { store, blobs, urls } = deps;
  const nodes = nodeExecutionHandlers(deps);
  const tasks = taskExecutionHandlers(deps);
  const origin = (ctx: HandlerContext) => originOf(ctx, deps.publicUrl);

  async function createDownloadLink(req: CreateDownloadLinkRequest, ctx: HandlerContext) {
    const expiry = downloadExpiry(req.expiresIn, MAX_EXPIRY_NANOS);
    const invalid = (reason: string) => invalidArgument(`error while validating request. Error: ${reason}`);
    if (typeof expiry === "string") throw invalid(expiry);
    if (req.artifactType === ArtifactType.UNDEFINED) throw invalid(`invalid artifact type [${artifactTypeName(req.artifactType)}]`);
    if (req.source.case !== "nodeExecutionId") throw invalid("source is required. Provided nil");
    const id = req.source.value;
    const key = { project: id.executionId?.project ?? "", domain: id.executionId?.domain ?? "", name: id.executionId?.name ?? "", nodeId: id.nodeId };
    // Text no event could have stored is refused before the lookup, as every database can compare it.
    checkIdentifierText(key);
    if (key.nodeId !== "") checkNodeId(key.nodeId);
    const node = await store.nodeExecutions.get(key);
    if (!node) {
      throw invalidArgument(`failed to find node execution [${nodeText(key)}]. Error: missing entity of type node execution with identifier ${nodeText(key)}`);
    }
    const deckUri = node.closure?.deckUri ?? "";
    if (deckUri === "") throw notFound(`no deckUrl found for request [artifact_type:${artifactTypeName(req.artifactType)} node_execution_id:{${nodeText(key)}}]`);
    const blobKey = blobs.keyOf(deckUri);
    if (!blobKey || !(await blobs.stat(blobKey))) throw notFound("object not found");
    const until = instantAfter(expiry);
    const signed = await urls.sign({ key: blobKey, method: "GET", expiresAt: until, origin: origin(ctx) });
    const expiresAt = timestampFromDate(until);
    return {
      signedUrl: [signed.url],
      expiresAt,
      preSignedUrls: create(PreSignedURLsSchema, { signedUrl: [signed.url], expiresAt }),
    };
  }

  return {
    async createUploadLocation(req, ctx) {
      checkUploadRequest(req);
      if (req.contentMd5.length !== 0 && req.contentMd5.length !== 16) {
        throw invalidArgument(`content_md5 must be the 16 bytes of an MD5 digest, got ${req.contentMd5.length} bytes`);
      }
      // Uploads are for registered projects and configured domains, as everything else created under them.
      await validateProjectAndDomain(store.projects, deps.domains, req.project, req.domain);
      // A caller-chosen folder and name is a fixed place: refuse to let other content replace it.
      const fixed = req.filename !== "" && req.filenameRoot !== "";
      if (fixed) {
        const known = locationKey(blobs, uploadKey(req, req.filename, UPLOAD_PREFIX));
        const failed = (e: unknown): never => {
          throw new AdminError("Internal", `failed to check if file exists at location [${blobs.uri(known)}], Error: ${String(e)}`);
        };
        // Existence from stat; the digest (which the local store computes by reading the blob) only when there is one to compare.
        const exists = (await blobs.stat(known).catch(failed)) !== undefined;
        const stored = exists && req.contentMd5.length === 16 ? (await blobs.head(known).catch(failed))?.contentMd5 : undefined;
        const matches = stored !== undefined && Buffer.from(stored).equals(Buffer.from(req.contentMd5));
        if (exists && !matches) {
          throw alreadyExists(`file already exists at location [${blobs.uri(known)}], specify a matching hash if you wish to rewrite`);
        }
      }
      const expiry = uploadExpiry(req.expiresIn, MAX_EXPIRY_NANOS);
      const key = locationKey(blobs, uploadKey(req, req.filename !== "" ? req.filename : randomFileName(), UPLOAD_PREFIX));
      const until = instantAfter(expiry);
      const signed = await urls.sign({
        key,
        method: "PUT",
        expiresAt: until,
        ...(req.contentMd5.length ? { contentMd5: req.contentMd5 } : {}),
        addMd5Metadata: req.addContentMd5Metadata,
        // A fixed place is created once; later writes must carry the same content (an old URL cannot replace it).
        createOnly: fixed,
        origin: origin(ctx),
      });
      return { signedUrl: signed.url, nativeUrl: blobs.uri(key), expiresAt: timestampFromDate(until), headers: signed.headers };
    },

    async createDownloadLocation(req, ctx) {
      const expiry = downloadExpiry(req.expiresIn, MAX_EXPIRY_NANOS);
      const invalid = (reason: string) => invalidArgument(`error while validating request: ${reason}`);
      if (typeof expiry === "string") throw invalid(expiry);
      const key = blobs.keyOf(req.nativeUrl);
      if (!key) throw invalid(`native_url [${req.nativeUrl}] is not in this server's blob storage (${blobs.base})`);
      // As in FlyteAdmin, the object's existence is not checked: the URL may be handed out before the write.
      const until = instantAfter(expiry);
      const signed = await urls.sign({ key, method: "GET", expiresAt: until, origin: origin(ctx) });
      return { signedUrl: signed.url, expiresAt: timestampFromDate(until) };
    },

    createDownloadLink,

    async getData(req, ctx) {
      const invalid = (reason: string) => invalidArgument(`failed to validate resolve artifact request. Error: ${reason}`);
      if (req.flyteUrl === "") throw invalid("source is required. Provided empty string");
      if (!req.flyteUrl.startsWith("flyte://")) throw invalid("request does not start with the correct prefix");
      const url = parseFlyteUrl(req.flyteUrl);
      if (!url) throw invalidArgument(`failed to parse artifact url Error: failed to parse [${req.flyteUrl}]`);
      const nodeExecutionId = { executionId: { project: url.project, domain: url.domain, name: url.name }, nodeId: url.nodeId };
      const key = { project: url.project, domain: url.domain, name: url.name, nodeId: url.nodeId };

      let map: LiteralMap | undefined;
      let where: string;
      if (url.retryAttempt === undefined) {
        where = `node execution [${nodeText(key)}]`;
        if (url.io === "d") {
          const request = create(CreateDownloadLinkRequestSchema, {
            artifactType: ArtifactType.DECK,
            source: { case: "nodeExecutionId", value: nodeExecutionId },
          });
          return create(GetDataResponseSchema, { data: { case: "preSignedUrls", value: (await createDownloadLink(request, ctx)).preSignedUrls } });
        }
        const data = create(
          NodeExecutionGetDataResponseSchema,
          await nodes.getNodeExecutionData(create(NodeExecutionGetDataRequestSchema, { id: nodeExecutionId }), ctx),
        );
        map = url.io === "i" ? data.fullInputs : data.fullOutputs;
      } else {
        const attempt = `${nodeText(key)} retry_attempt:${url.retryAttempt}`;
        const filters = `eq(retry_attempt,${url.retryAttempt})`;
        const listed = await Promise.resolve(tasks.listTaskExecutions(create(TaskExecutionListRequestSchema, { nodeExecutionId, limit: 1, filters }), ctx)).catch(
          (e: unknown) => {
            throw invalidArgument(`failed to list task executions [${attempt}]. Error: ${(e as Error).message}`);
          },
        );
        const found = listed.taskExecutions?.[0];
        if (!found) throw invalidArgument(`no task executions were listed [${attempt}]. Error: <nil>`);
        if (url.io === "d") throw invalidArgument("deck type cannot be specified with a retry attempt, just use the node instead");
        where = `task execution [${attempt}]`;
        const data = create(
          TaskExecutionGetDataResponseSchema,
          await tasks.getTaskExecutionData(create(TaskExecutionGetDataRequestSchema, { id: found.id }), ctx),
        );
        map = url.io === "i" ? data.fullInputs : data.fullOutputs;
      }
      if (url.literal !== undefined) {
        const literal = map?.literals[url.literal];
        if (!literal) throw invalidArgument(`name [${url.literal}] not found in ${where}`);
        return create(GetDataResponseSchema, { data: { case: "literal", value: literal } });
      }
      return create(GetDataResponseSchema, { data: { case: "literalMap", value: map ?? create(LiteralMapSchema) } });
    },
  };
}

/**
 * A blob key from request parts. A part that makes no valid key, or one the store
 * keeps for itself (the local store's temp folder), is the caller's mistake.
 */
function locationKey(blobs: BlobStore, key: string): string {
  try {
    checkKey(key);
    if (blobs.keyOf(blobs.uri(key)) !== key) throw new Error(`"${key}" is reserved by the blob store`);
    return key;
  } catch (e) {
    throw invalidArgument(`invalid upload location [${key}]: ${(e as Error).message}`);
  }
}

/**
 * Where the caller reached this server: the configured public URL, else the
 * X-Forwarded-Host/-Proto the server's edge sets on every HTTP request (from a
 * trusted proxy's headers or the request's own Host, validated: see
 * server/request-origin.ts), else, for in-process calls, the call's URL.
 * They are checked again here, as in-process callers set headers freely.
 */
function originOf(ctx: HandlerContext, publicUrl: string): string {
  if (publicUrl !== "") return publicUrl.replace(/\/+$/, "");
  const host = ctx.requestHeader.get("x-forwarded-host")?.trim();
  const proto = validProto(ctx.requestHeader.get("x-forwarded-proto") ?? undefined);
  if (host !== undefined && isValidHost(host) && proto !== undefined) return `${proto}://${host}`;
  return new URL(ctx.url).origin;
}

/** The proto name (`ARTIFACT_TYPE_DECK`), as Go prints the enum. */
const artifactTypeName = (t: ArtifactType) => ArtifactTypeSchema.value[t]?.name ?? String(t);
/** When a URL valid for `nanos` from now stops working; the URL and the answer's expires_at share it. */
const instantAfter = (nanos: bigint) => new Date(Date.now() + Number(nanos / 1_000_000n));

// Kubernetes' rand.String alphabet (no vowels, no confusable characters), which FlyteAdmin names files with.
const FILE_NAME_ALPHABET = "bcdfghjklmnpqrstvwxz2456789";

/** A random file name for an upload that gives none (FlyteAdmin's defaultFileNameLength is 20). */
function randomFileName(length = 20): string {
  let out = "";
  for (let i = 0; i < length; i++) out += FILE_NAME_ALPHABET[randomInt(FILE_NAME_ALPHABET.length)];
  return out;
}
