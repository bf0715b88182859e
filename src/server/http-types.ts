import type { connectNodeAdapter } from "@connectrpc/connect-node";

/** The request/response pair connect-node hands to handlers and fallbacks, for HTTP/1.1 and HTTP/2 alike. */
export type NodeHandler = ReturnType<typeof connectNodeAdapter>;
export type Req = Parameters<NodeHandler>[0];
export type Res = Parameters<NodeHandler>[1];
